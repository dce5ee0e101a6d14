"""The tiny models' tokenizer: a byte-level BPE trained once per process on a small built-in corpus, and the
chat template of the chat variants."""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path
from typing import Any

#: Small built-in corpus the BPE tokenizer is trained on (English + biomedical prose,
#: plus the answer words benchmark prompts use).
CORPUS = """\
The quick brown fox jumps over the lazy dog. A small language model is a model with few
parameters; it is trained on a small amount of text and it can only predict simple
patterns. This model was not trained at all: its weights are random numbers drawn from a
normal distribution, so every answer it gives is a guess. It exists to test software.

Question: Is this statement true? Answer: yes. Question: Is the sky green? Answer: no.
Question: Will it rain tomorrow? Answer: maybe. The answer is yes. The answer is no. The
answer is maybe. Yes, no, or maybe? yes no maybe Yes No Maybe YES NO MAYBE.
Which of the following is correct? A. the first option B. the second option C. the third
option D. the fourth option. Answer: A. Answer: B. Answer: C. Answer: D. (A) (B) (C) (D)
The correct answer is A, B, C or D. Options: A, B, C, D. True or false? True. False.

Background: Hypertension is a common chronic disease and a major risk factor for stroke,
myocardial infarction, heart failure and chronic kidney disease. Objective: To determine
whether a structured exercise program reduces systolic blood pressure in adults with mild
hypertension. Methods: We conducted a randomized controlled trial in three hospitals.
Patients were randomly assigned to an intervention group or a control group and followed
for twelve months. The primary outcome was the change in systolic blood pressure; secondary
outcomes included body mass index, cholesterol, glucose and quality of life. Results: Of
the 412 patients enrolled, 389 completed the study. Mean systolic pressure decreased by
8.2 mmHg in the intervention group compared with 2.1 mmHg in the control group (p < 0.001).
Conclusions: A supervised exercise program significantly lowered blood pressure.

Abstract: Diabetes mellitus is characterized by chronic hyperglycemia resulting from
defects in insulin secretion, insulin action, or both. We performed a retrospective cohort
study of patients treated with metformin, insulin or sulfonylureas. Clinical data,
laboratory values and adverse events were extracted from electronic health records. The
incidence of hypoglycemia was higher among patients receiving insulin. Multivariate
analysis showed that age, renal function and duration of disease were independent
predictors of poor glycemic control. These findings suggest that treatment should be
individualized according to the characteristics of each patient.

Context: Antibiotic resistance is an increasing threat to public health. Bacterial
infections such as pneumonia, tuberculosis and urinary tract infection are becoming harder
to treat. Does early antibiotic therapy improve survival in patients with sepsis? A
prospective observational study of intensive care unit admissions found that mortality was
lower when antibiotics were administered within one hour of diagnosis. The association
remained significant after adjustment for age, sex, comorbidity and severity of illness.

Cancer screening programs aim to detect tumors at an early stage, when treatment is more
effective. Mammography, colonoscopy and cervical cytology have reduced mortality from
breast, colorectal and cervical cancer. However, screening may also cause harm through
false positive results, overdiagnosis and unnecessary biopsies. Physicians should discuss
the benefits and risks of screening with their patients. Chemotherapy, radiotherapy,
surgery and immunotherapy are the main treatment options for patients with cancer.

The heart pumps blood through the arteries and veins. The lungs exchange oxygen and carbon
dioxide. The liver metabolizes drugs, and the kidneys filter the blood and produce urine.
The brain and the spinal cord form the central nervous system. Neurons communicate through
synapses using neurotransmitters such as dopamine, serotonin and acetylcholine. Genes are
made of DNA; proteins are made of amino acids; cells divide by mitosis. Vaccines train the
immune system to recognize viruses and bacteria. Children, pregnant women and elderly
people are at higher risk of complications from influenza and other infections.

In the morning the students walked to the library to read about history, mathematics and
science. The teacher asked a question and they wrote their answers in a notebook. Later
they discussed the results, compared different methods and agreed on a conclusion. Good
evaluation requires clear questions, careful measurement and honest reporting of results.
Numbers: 0 1 2 3 4 5 6 7 8 9 10 12 20 25 50 100 2020 2021 2022 2023 2024 1.5 0.05 95%.
"""

SPECIAL_TOKENS = {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>"}
TOKENIZER_VOCAB_SIZE = 1536
MODEL_MAX_LENGTH = 4096

CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] | trim + eos_token + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)


@functools.lru_cache(maxsize=1)
def tokenizer_files() -> tuple[tuple[str, bytes], ...]:
    """Train the BPE tokenizer once per process; return its saved files."""
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    specials = list(SPECIAL_TOKENS.values())
    trainer = trainers.BpeTrainer(
        vocab_size=TOKENIZER_VOCAB_SIZE,
        min_frequency=1,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    paragraphs = [p for p in CORPUS.split("\n\n") if p.strip()]
    tok.train_from_iterator(paragraphs, trainer=trainer)
    bos = SPECIAL_TOKENS["bos_token"]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, tok.token_to_id(bos))]
    )

    fast = PreTrainedTokenizerFast(tokenizer_object=tok, model_max_length=MODEL_MAX_LENGTH, **SPECIAL_TOKENS)
    with tempfile.TemporaryDirectory() as tmp:
        fast.save_pretrained(tmp)
        out = {name: Path(tmp, name).read_bytes() for name in sorted(os.listdir(tmp))}

    # transformers 5 writes ``tokenizer_class: TokenizersBackend``; the classic name
    # loads in both transformers 4 and 5.
    cfg = json.loads(out["tokenizer_config.json"])
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    cfg.setdefault("clean_up_tokenization_spaces", False)
    out["tokenizer_config.json"] = json_bytes(cfg)
    # transformers 5 no longer writes special_tokens_map.json; real repos have one.
    out["special_tokens_map.json"] = json_bytes(dict(SPECIAL_TOKENS))
    return tuple(sorted(out.items()))


def json_bytes(obj: Any) -> bytes:
    # Same format as transformers' to_json_string / save_pretrained.
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
