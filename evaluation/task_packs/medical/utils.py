"""Helpers for the `pubmedqa_pqal` task.

lm-eval's own `pubmedqa` task reads bigbio/pubmed_qa, a script-based dataset
that `datasets` >= 4 can no longer load (lm-evaluation-harness issue #3645).
This task reads the same 1000 expert-annotated PQA-L questions from the
parquet dataset `qiaojin/PubMedQA` (config `pqa_labeled`, single split
`train`), keeps the 500 questions of the official PubMedQA test set, and
renames the fields to the bigbio source schema so the prompt is built by a
verbatim copy of upstream's `doc_to_text`.
"""

from __future__ import annotations

import os

import datasets

_PMID_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pubmedqa_test_pmids.txt")
# PMIDs of the official PubMedQA test split: the keys of test_ground_truth.json
# in https://github.com/pubmedqa/pubmedqa (MIT License, Copyright (c) 2019 pubmedqa).
N_TEST = 500


def _test_pmids() -> frozenset[str]:
    with open(_PMID_FILE, encoding="utf-8") as fh:
        pmids = frozenset(line.strip() for line in fh if line.strip())
    if len(pmids) != N_TEST:
        raise ValueError(f"{_PMID_FILE}: expected {N_TEST} PMIDs, found {len(pmids)}")
    return pmids


def _context_field(context, key: str) -> list:
    """`context` is declared as a Sequence of a struct on the hub, which
    `datasets` decodes as a dict of lists; accept a list of dicts as well."""
    if isinstance(context, dict):
        value = context.get(key)
        return [] if value is None else list(value)
    return [item[key] for item in context if item.get(key) is not None]


def _as_str(value) -> str:
    # reasoning_*_pred are plain strings ("yes"/"no"/"maybe") in the source
    # data, but sit inside the Sequence feature, so they can come back as a
    # list of characters.
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "".join(value)
    return str(value)


def _to_bigbio(doc: dict) -> dict:
    context = doc["context"]
    return {
        "pubid": str(doc["pubid"]),
        "QUESTION": doc["question"],
        "CONTEXTS": _context_field(context, "contexts"),
        "LABELS": _context_field(context, "labels"),
        "MESHES": _context_field(context, "meshes"),
        "reasoning_required_pred": _as_str(_context_field(context, "reasoning_required_pred")),
        "reasoning_free_pred": _as_str(_context_field(context, "reasoning_free_pred")),
        "final_decision": doc["final_decision"],
        "LONG_ANSWER": doc["long_answer"],
    }


_List = getattr(datasets, "List", datasets.Sequence)  # `List` since datasets 4
# Explicit output schema: without it `map` would cast the new string `pubid`
# back to the input column's int32 type.
_FEATURES = datasets.Features(
    {
        "pubid": datasets.Value("string"),
        "QUESTION": datasets.Value("string"),
        "CONTEXTS": _List(datasets.Value("string")),
        "LABELS": _List(datasets.Value("string")),
        "MESHES": _List(datasets.Value("string")),
        "reasoning_required_pred": datasets.Value("string"),
        "reasoning_free_pred": datasets.Value("string"),
        "final_decision": datasets.Value("string"),
        "LONG_ANSWER": datasets.Value("string"),
    }
)


def process_docs(dataset: datasets.Dataset) -> datasets.Dataset:
    """Keep the 500 official test questions, in bigbio source field names."""
    pmids = _test_pmids()
    test = dataset.filter(lambda doc: str(doc["pubid"]) in pmids)
    if len(test) != N_TEST:
        raise ValueError(
            f"pubmedqa_pqal: expected {N_TEST} test questions, found {len(test)}; is this qiaojin/PubMedQA pqa_labeled?"
        )
    return test.map(_to_bigbio, remove_columns=test.column_names, features=_FEATURES)


# Copied verbatim from EleutherAI lm-evaluation-harness 0.4.13,
# lm_eval/tasks/pubmedqa/preprocess_pubmedqa.py (MIT License, Copyright (c) 2020 EleutherAI).
def doc_to_text(doc) -> str:
    ctxs = "\n".join(doc["CONTEXTS"])
    return "Abstract: {}\nQuestion: {}\nAnswer:".format(
        ctxs,
        doc["QUESTION"],
    )
