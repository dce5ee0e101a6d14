"""What the harness child records of each generation beyond lm-eval's samples: a reasoning model's thinking
(lm-eval cuts the generation at its ``think_end_token`` and keeps only the answer after it) and the tokens of
the prompt, the thinking and the answer. Used by the harness child only (it works on lm-eval's model object).

lm-eval's HF and vLLM backends post-process each generation (``postprocess_generated_text``: thinking cut off,
then stop sequences) and report the result to the model's cache hook right after; :class:`Generations` wraps the
function where the model's backend module imported it and installs the hook, which pairs the two by the
request's context. The thinking is recorded, never searched for an answer: the
filters see only what lm-eval kept. Each logged sample of a generative task then gets a ``generation`` key
(``thinking``, ``prompt_tokens``, ``thinking_tokens``, ``answer_tokens``), and the run its totals.
"""

import sys
import time
from typing import Any

GENERATE = "generate_until"


class Generations:
    def __init__(self, progress):
        self.progress = progress  # the hook lm-eval reported to before: progress counts every answer
        self.thinking: dict[str, str] = {}
        self._last = ""
        self.generate_s = 0.0

    def install(self, lm) -> None:
        backend: Any = next(  # lm-eval's module of the model's class (HFLM, VLLM; ours subclass them)
            module
            for module in (sys.modules[cls.__module__] for cls in type(lm).__mro__)
            if hasattr(module, "postprocess_generated_text")
        )
        postprocess = backend.postprocess_generated_text

        def recorded(generation, stop, think_end_token):
            marker = think_end_token if isinstance(think_end_token, str) else None
            self._last = generation.rsplit(marker, 1)[0] + marker if marker and marker in generation else ""
            return postprocess(generation=generation, stop=stop, think_end_token=think_end_token)

        backend.postprocess_generated_text = recorded
        lm.set_cache_hook(self)
        generate = lm.generate_until

        def timed(requests, *args, **kwargs):
            started = time.monotonic()
            try:
                return generate(requests, *args, **kwargs)
            finally:
                self.generate_s += time.monotonic() - started

        lm.generate_until = timed

    def add_partial(self, attr, req, res) -> None:  # lm_eval.api.model.CacheHook's interface
        if attr == GENERATE:
            self.thinking[req[0]] = self._last
            self._last = ""
        self.progress.add_partial(attr, req, res)

    def annotate(self, samples: dict[str, list[dict]], tokenizer) -> dict:
        """Add each generative sample's ``generation`` record; returns the run's token totals."""

        def count(text: str) -> int:
            return len(tokenizer(text, add_special_tokens=False).input_ids) if text else 0

        totals = {"prompt_tokens": 0, "generated_tokens": 0, "thinking_tokens": 0, "generations": 0}
        totals["generate_s"] = round(self.generate_s, 3)
        counted: dict[str, dict] = {}  # per context: the filters' samples of one generation share it
        for task_samples in samples.values():
            for sample in task_samples:
                arguments = sample.get("arguments")  # in memory: each request's (context, generation kwargs)
                if not (arguments and len(arguments[0]) == 2 and isinstance(arguments[0][1], dict)):
                    continue  # not a generation
                context = arguments[0][0]
                key = f"{sample['doc_id']}\0{context}"
                if key not in counted:
                    thinking = self.thinking.get(context, "")
                    answer = sample["resps"][0][0] if sample["resps"] and sample["resps"][0] else ""
                    counted[key] = {
                        "thinking": thinking,
                        "prompt_tokens": count(context),
                        "thinking_tokens": count(thinking),
                        "answer_tokens": count(answer),
                    }
                    totals["prompt_tokens"] += counted[key]["prompt_tokens"]
                    totals["generated_tokens"] += counted[key]["thinking_tokens"] + counted[key]["answer_tokens"]
                    totals["thinking_tokens"] += counted[key]["thinking_tokens"]
                    totals["generations"] += 1
                sample["generation"] = counted[key]
        return totals
