"""The checks child: ``python -m submissions.checks_child SPEC_JSON``, and every hub check (``model_facts``).

Runs every hub check of one submission on the commits the web request resolved
(``submissions.hub_sources.submission_resolve``), offline, from the hub cache its parent gives it (online, the one it
fetched for it: submissions.hub_fetch), and prints one JSON line: ``{"facts": {...}}`` when they pass,
``{"field": ..., "refusal": ...}`` when one fails. This module is the one place the submissions app imports
transformers: only this child process imports it, never the web process or a cluster's parent (an import-linter
contract holds that). Its parent (submissions.checks) limits its memory, CPU time and wall-clock time.

SPEC keys: model_id, commit_sha, precision, weight_type, base_model, base_commit_sha,
use_chat_template, limits (submissions.hub.CheckLimits as a dict).
"""

import json
import sys
from pathlib import Path

from catalogue.precision import FACTS, Precision, WeightType
from submissions.errors import SubmissionError
from submissions.hub import (
    MAX_ARCHITECTURE_CHARS,
    MAX_QUANT_METHOD_CHARS,
    MOE_EXPERT_KEYS,
    CheckLimits,
    ModelFacts,
    RepoInfo,
    check_model_id,
    check_revision,
)
from submissions.hub_checks import (
    Checked,
    bounded,
    card_license,
    check_public,
    check_sizes,
    count_params,
    weight_files,
)
from submissions.hub_sources import CacheSource


def _load_config_and_tokenizer(repo: RepoInfo, snapshot: Path, *, field: str) -> dict:
    """AutoConfig and AutoTokenizer load without remote code; what the checks need from them."""
    from transformers import AutoConfig, AutoTokenizer

    loaded = {}
    for what, auto in (("config", AutoConfig), ("tokenizer", AutoTokenizer)):
        try:
            loaded[what] = auto.from_pretrained(str(snapshot), trust_remote_code=False)
        except Exception as exc:  # noqa: BLE001 - files anyone can push: whatever the loader raises, it does not load
            if "trust_remote_code" in str(exc):
                raise SubmissionError(
                    field,
                    f"The {what} of {repo.model_id} needs trust_remote_code (custom code in the repository). "
                    "We only evaluate models that load with the transformers library's own code.",
                ) from None
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            raise SubmissionError(
                field, f"The {what} of {repo.model_id} does not load with {auto.__name__}: {first_line}"
            ) from None
    config, tokenizer = loaded["config"], loaded["tokenizer"]
    quant = getattr(config, "quantization_config", None) or {}
    quant = quant if isinstance(quant, dict) else quant.to_dict()
    experts = (getattr(config, key, None) for key in MOE_EXPERT_KEYS)
    bits = quant.get("bits")
    architectures = getattr(config, "architectures", None) or [""]
    return {
        "architecture": bounded(architectures[0], MAX_ARCHITECTURE_CHARS, "architecture", repo, field=field),
        "is_moe": any(isinstance(n, int) and n > 1 for n in experts),
        "quant_method": bounded(
            str(quant.get("quant_method") or ""), MAX_QUANT_METHOD_CHARS, "quantization method", repo, field=field
        ),
        "quant_bits": bits if isinstance(bits, int) and bits > 0 else None,
        "chat_template": bool(getattr(tokenizer, "chat_template", None)),
    }


def check_repo(
    source, model_id: str, revision: str, *, field: str, adapter: bool = False, pinned: bool = False
) -> Checked:
    """Every check one repository must pass on its own."""
    repo = source.repo(model_id, revision, field=field, pinned=pinned)
    check_public(repo, field)
    check_sizes(repo, source.limits, field=field)
    snapshot = source.snapshot(repo, field=field)
    weights = weight_files(repo, snapshot, adapter=adapter, field=field)
    license_ = card_license(repo, snapshot, field=field)
    loaded = {} if adapter else _load_config_and_tokenizer(repo, snapshot, field=field)
    tensors = {}
    for filename in weights:
        tensors.update(source.tensors(repo, filename, field=field))
    return Checked(repo=repo, license=license_, num_params=count_params(tensors, loaded.get("quant_bits")), **loaded)


def max_params(precision: str, quant_bits: int | None = None, *, limits: CheckLimits | None = None) -> int:
    """The size limit: SUBMISSION_MAX_PARAMS_16BIT scaled by the bytes a weight takes in ``precision``."""
    bits = quant_bits if precision == Precision.GPTQ and quant_bits else FACTS[precision].bits
    return (limits or CheckLimits.from_settings()).max_params_16bit * 16 // bits


def model_facts(
    model_id: str,
    revision: str = "main",
    *,
    precision: str,
    weight_type: str = WeightType.ORIGINAL,
    base_model: str = "",
    base_revision: str = "main",
    use_chat_template: bool = False,
    pinned: bool = False,
    limits: CheckLimits | None = None,
) -> ModelFacts:
    """Check a submission's model (and base model) on the hub; raise SubmissionError at the first failure.

    ``pinned``: ``revision`` and ``base_revision`` are the commits ``submission_resolve`` found (the checks
    child); their history is not checked again."""
    model_id, revision = check_model_id(model_id), check_revision(revision)
    limits = limits or CheckLimits.from_settings()
    source = CacheSource(limits)  # the checks child is offline: online, its parent fetched for it (hub_fetch)
    adapter = weight_type == WeightType.ADAPTER
    model = check_repo(source, model_id, revision, field="model_id", adapter=adapter, pinned=pinned)
    base = None
    if weight_type in (WeightType.DELTA, WeightType.ADAPTER):
        base_model = check_model_id(base_model, field="base_model")
        base = check_repo(source, base_model, base_revision, field="base_model", pinned=pinned)
    runs = base if adapter and base else model  # whose config and tokenizer the evaluation loads
    if use_chat_template and not runs.chat_template:
        raise SubmissionError(
            "use_chat_template",
            f"The tokenizer config of {runs.repo.model_id} has no chat template; "
            "submit without the chat template, or add one to tokenizer_config.json.",
        )
    if runs.quant_method == "gptq" and precision != Precision.GPTQ:
        raise SubmissionError("precision", f"The weights of {runs.repo.model_id} are GPTQ-quantised; choose GPTQ.")
    if precision == Precision.GPTQ and runs.quant_method != "gptq":
        raise SubmissionError(
            "precision", f"{runs.repo.model_id} is not GPTQ-quantised (its config has no GPTQ quantization_config)."
        )
    num_params = model.num_params + (base.num_params if adapter and base else 0)
    limit = max_params(precision, runs.quant_bits, limits=limits)
    if num_params > limit:
        raise SubmissionError(
            "precision",
            f"{model.repo.model_id} has {num_params:,} parameters; in {precision} we evaluate models of at most "
            f"{limit:,} parameters.",
        )
    quantization = f"{runs.quant_method} {runs.quant_bits}-bit" if runs.quant_bits else runs.quant_method
    return ModelFacts(
        model_id=model.repo.model_id,
        commit_sha=model.repo.commit_sha,
        num_params=num_params,
        architecture=runs.architecture,
        license=model.license,
        likes=model.repo.likes,
        is_moe=runs.is_moe,
        private=model.repo.private,
        gated=model.repo.gated,
        quantization=quantization if runs.quant_method else "",
        base_model=base.repo.model_id if base else "",
        base_commit_sha=base.repo.commit_sha if base else "",
    )


def main(spec: dict) -> dict:
    try:
        facts = model_facts(
            spec["model_id"],
            spec["commit_sha"],
            precision=spec["precision"],
            weight_type=spec["weight_type"],
            base_model=spec["base_model"],
            base_revision=spec["base_commit_sha"] or "main",
            use_chat_template=spec["use_chat_template"],
            pinned=True,
            limits=CheckLimits(**spec["limits"]),
        )
    except SubmissionError as exc:
        return {"field": exc.field, "refusal": exc.message}
    return {"facts": facts.as_dict()}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))), flush=True)
