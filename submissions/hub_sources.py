"""How the checks read a model: the web request's cheap part (``submission_resolve``) and its two sources.

The web request and the checks read a model through one of two sources with the same interface:

- ``HubApiSource`` (online): the hub API (``huggingface_hub.HfApi``); every request has a timeout.
  The web request resolves through it; online, the checks child's parent fetches what the checks
  read through it (``submissions.hub_fetch``) into a private cache the child reads offline.
- ``CacheSource`` (``HF_HUB_OFFLINE=1``, and always in the checks child): a Hugging Face cache, the
  one transformers itself loads from offline. The cache keeps no hub metadata, so a small JSON file
  ``<hub cache>/models--ORG--NAME/hub_info.json`` stands in for the hub API's fields
  ``private``, ``gated`` (false, "auto" or "manual"), ``likes``, ``main_history`` (the commits
  of the main branch besides the one ``refs/main`` points at) and ``files`` (path -> size, for a
  cache that holds only some of them); without it a cached model is public, not gated and
  unliked, its main branch is its ``refs/main`` commit and its files are the snapshot's. The tests
  write it beside the tiny models they build.

Each failing check raises SubmissionError(field, message) with its own message; a hub that does
not answer raises HubUnavailable.
"""

import json
import struct
from pathlib import Path

import httpx2
from huggingface_hub import HfApi, constants, set_client_factory
from huggingface_hub.errors import (
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.utils._http import default_client_factory

from catalogue.precision import WeightType
from submissions.errors import HubUnavailable, SubmissionError
from submissions.hub import (
    COMMIT_SHA,
    HUB_INFO_FILE,
    CheckLimits,
    ModelFacts,
    RepoInfo,
    check_model_id,
    check_revision,
)
from submissions.hub_checks import check_public


def _revision_field(field: str) -> str:
    """A missing revision is the revision field's fault; the base model's (always main) is the base model's."""
    return "revision" if field == "model_id" else field


def _not_on_main(model_id: str, sha: str, field: str) -> SubmissionError:
    return SubmissionError(
        _revision_field(field),
        f"Commit {sha[:7]} is not in the history of {model_id}'s main branch (it may come from a pull request "
        "or another branch). Enter a branch or tag, or a commit of the main branch.",
    )


class CacheSource:
    """The local Hugging Face cache (HF_HUB_OFFLINE=1); see the module docstring for hub_info.json."""

    def __init__(self, limits: CheckLimits):
        self.cache = Path(constants.HF_HUB_CACHE)
        self.limits = limits

    def _repo_dir(self, model_id: str) -> Path:
        return self.cache / repo_folder_name(repo_id=model_id, repo_type="model")

    def repo(self, model_id: str, revision: str, *, field: str, pinned: bool = False) -> RepoInfo:
        """``pinned``: ``revision`` is the commit an earlier resolve found; its history is not checked again."""
        repo_dir = self._repo_dir(model_id)
        if not (repo_dir / "snapshots").is_dir():
            raise SubmissionError(
                field,
                f"There is no model {model_id} in this server's Hugging Face cache. The server works offline "
                "(HF_HUB_OFFLINE=1), so only models already in its cache can be submitted: the submit page lists them.",
            )
        info_file = repo_dir / HUB_INFO_FILE
        info = json.loads(info_file.read_text()) if info_file.is_file() else {}
        ref = repo_dir / "refs" / revision
        if COMMIT_SHA.fullmatch(revision) and (repo_dir / "snapshots" / revision).is_dir():
            main = repo_dir / "refs" / "main"
            on_main = {main.read_text().strip()} if main.is_file() else set()
            if not pinned and revision not in on_main | set(info.get("main_history", [])):
                raise _not_on_main(model_id, revision, field)
            sha = revision
        elif ref.is_file():
            sha = ref.read_text().strip()
        else:
            raise SubmissionError(_revision_field(field), f"{model_id} has no revision {revision!r}.")
        snapshot = repo_dir / "snapshots" / sha
        files = info.get("files") or {
            p.relative_to(snapshot).as_posix(): p.stat().st_size for p in snapshot.rglob("*") if p.is_file()
        }
        return RepoInfo(
            model_id=model_id,
            commit_sha=sha,
            files=files,
            private=bool(info.get("private", False)),
            gated=bool(info.get("gated", False)),
            likes=int(info.get("likes", 0)),
        )

    def snapshot(self, repo: RepoInfo, *, field: str) -> Path:
        return self._repo_dir(repo.model_id) / "snapshots" / repo.commit_sha

    def tensors(self, repo: RepoInfo, filename: str, *, field: str) -> dict[str, tuple[str, list[int]]]:
        """The safetensors header: 8 bytes little-endian length, then that much JSON."""
        path = self.snapshot(repo, field=field) / filename
        try:
            with path.open("rb") as f:
                (length,) = struct.unpack("<Q", f.read(8))
                if length > self.limits.max_file_bytes:
                    raise ValueError(f"header of {length} bytes")
                header = json.loads(f.read(length))
            return {name: (t["dtype"], t["shape"]) for name, t in header.items() if name != "__metadata__"}
        except FileNotFoundError:
            raise SubmissionError(field, f"{repo.model_id} lists {filename} but the file is missing.") from None
        except (OSError, ValueError, struct.error, KeyError, TypeError, AttributeError):
            raise SubmissionError(field, f"{filename} of {repo.model_id} is not a valid safetensors file.") from None


def cached_models() -> list[str]:
    """The models of the local Hugging Face cache (each with a snapshot): what can be submitted without the hub."""
    cache = Path(constants.HF_HUB_CACHE)
    if not cache.is_dir():
        return []
    return sorted(
        folder.name.removeprefix("models--").replace("--", "/")
        for folder in cache.glob("models--*")
        if (folder / "snapshots").is_dir() and any((folder / "snapshots").iterdir())
    )


def _hub_client(timeout_s: float):
    def client() -> httpx2.Client:
        made = default_client_factory()
        made.timeout = httpx2.Timeout(timeout_s)
        return made

    return client


class HubApiSource:
    """The Hugging Face hub API (huggingface_hub.HfApi), with the server's token if it has one. Every request
    huggingface_hub makes in this process times out after ``limits.hub_timeout_s``."""

    def __init__(self, limits: CheckLimits):
        set_client_factory(_hub_client(limits.hub_timeout_s))
        self.api = HfApi()
        self.limits = limits

    def unavailable(self, exc) -> HubUnavailable:
        return HubUnavailable(f"The Hugging Face hub did not answer ({type(exc).__name__}); try again later.")

    def repo(self, model_id: str, revision: str, *, field: str, pinned: bool = False) -> RepoInfo:
        """``pinned``: ``revision`` is the commit an earlier resolve found; its history is not checked again."""
        timeout = self.limits.hub_timeout_s
        try:  # gated models answer too: their metadata is public
            info = self.api.model_info(model_id, revision=revision, files_metadata=True, timeout=timeout)
            history = set() if pinned or not COMMIT_SHA.fullmatch(revision) else self._main_history(model_id)
            if history and revision not in history:
                raise _not_on_main(model_id, revision, field)
        except RevisionNotFoundError:
            raise SubmissionError(_revision_field(field), f"{model_id} has no revision {revision!r}.") from None
        except RepositoryNotFoundError:
            raise SubmissionError(field, f"There is no model {model_id} on the Hugging Face hub.") from None
        except httpx2.HTTPError as exc:
            raise self.unavailable(exc) from None
        assert info.sha is not None  # the hub names the commit of every revision it finds
        return RepoInfo(
            model_id=info.id,
            commit_sha=info.sha,
            files={s.rfilename: s.size or 0 for s in info.siblings or []},
            private=bool(info.private),
            gated=bool(info.gated),
            likes=info.likes or 0,
        )

    def _main_history(self, model_id: str) -> set[str]:
        return {commit.commit_id for commit in self.api.list_repo_commits(model_id)}


def hub_source(limits: CheckLimits | None = None):
    limits = limits or CheckLimits.from_settings()
    return CacheSource(limits) if constants.HF_HUB_OFFLINE else HubApiSource(limits)


def submission_resolve(model_id: str, revision: str = "main", *, weight_type: str, base_model: str = "") -> ModelFacts:
    """The web request's part of the checks, cheap and bounded: the revision rules, the commits the revision
    (and the base model's main branch) point to, and the hub's fields. The rest is ``model_facts``'s."""
    source = hub_source()
    repo = source.repo(check_model_id(model_id), check_revision(revision), field="model_id")
    check_public(repo, "model_id")
    base = None
    if weight_type in (WeightType.DELTA, WeightType.ADAPTER):
        base = source.repo(check_model_id(base_model, field="base_model"), "main", field="base_model")
        check_public(base, "base_model")
    return ModelFacts(
        model_id=repo.model_id,
        commit_sha=repo.commit_sha,
        likes=repo.likes,
        private=repo.private,
        gated=repo.gated,
        base_model=base.model_id if base else "",
        base_commit_sha=base.commit_sha if base else "",
    )
