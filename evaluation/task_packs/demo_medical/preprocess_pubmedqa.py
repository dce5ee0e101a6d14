# Copied verbatim from EleutherAI lm-evaluation-harness 0.4.13,
# lm_eval/tasks/pubmedqa/preprocess_pubmedqa.py (MIT License, Copyright (c) 2020 EleutherAI).
# Kept identical so the demo task builds exactly the same prompts as upstream.


def doc_to_text(doc) -> str:
    ctxs = "\n".join(doc["CONTEXTS"])
    return "Abstract: {}\nQuestion: {}\nAnswer:".format(
        ctxs,
        doc["QUESTION"],
    )
