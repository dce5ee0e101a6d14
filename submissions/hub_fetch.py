"""Online, what the checks child reads, fetched by its parent: the child itself never has the network.

The checks child (submissions.checks_child) parses files anyone can push, so it runs in the sandbox with no
network, no secret and no hub token. Online, its parent (submissions.checks) first fetches what the checks read
into a private folder laid out like huggingface_hub's cache, which the child then reads offline (CacheSource):

- the small files (config, tokenizer, card), each under the per-file cap as the hub's listing says, before
  anything is downloaded;
- of each safetensors file, its header only (the first 8 bytes and the JSON they announce, at most the per-file
  cap), never the weights;
- ``hub_info.json``: the hub's fields and the repository's whole file list (path -> size).

The parent uses the server's hub token, so gated models the leaderboard was granted are checked too. Nothing here
parses what it fetches: the child does.
"""

import json
import struct
from pathlib import Path

import httpx2
from huggingface_hub import hf_hub_url
from huggingface_hub.errors import EntryNotFoundError, GatedRepoError
from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from catalogue.precision import WeightType
from submissions.errors import SubmissionError
from submissions.hub import HUB_INFO_FILE, CheckLimits, RepoInfo
from submissions.hub_checks import check_public, check_sizes, small_files
from submissions.hub_sources import HubApiSource

MAX_SAFETENSORS_FILES = 512  # the shards of the largest checkpoints on the hub number in the hundreds
FIRST_BYTES = 100_000  # huggingface_hub's own guess: most headers fit in one request


def hub_fetch(spec: dict, cache: Path, limits: CheckLimits) -> None:
    """Fetch what the checks of ``spec`` (submissions.checks.checks_spec) read into ``cache``. Raises
    SubmissionError for what the hub's listing already refuses, HubUnavailable when the hub does not answer."""
    source = HubApiSource(limits)
    wanted = [("model_id", spec["model_id"], spec["commit_sha"])]
    if spec["weight_type"] in (WeightType.DELTA, WeightType.ADAPTER):
        wanted.append(("base_model", spec["base_model"], spec["base_commit_sha"] or "main"))
    for field, model_id, revision in wanted:
        repo = source.repo(model_id, revision, field=field, pinned=True)
        check_public(repo, field)
        check_sizes(repo, limits, field=field)
        _fetch(source, repo, revision, cache, field=field)


def _fetch(source: HubApiSource, repo: RepoInfo, revision: str, cache: Path, *, field: str) -> None:
    repo_dir = cache / repo_folder_name(repo_id=repo.model_id, repo_type="model")
    snapshot = repo_dir / "snapshots" / repo.commit_sha
    weights = sorted(name for name in repo.files if name.endswith(".safetensors"))
    if len(weights) > MAX_SAFETENSORS_FILES:
        raise SubmissionError(
            field, f"{repo.model_id} has {len(weights):,} safetensors files; we check at most {MAX_SAFETENSORS_FILES}."
        )
    try:
        source.api.snapshot_download(
            repo.model_id, revision=repo.commit_sha, allow_patterns=small_files(repo), cache_dir=cache
        )
        snapshot.mkdir(parents=True, exist_ok=True)  # a repository with no small file
        for name in weights:
            try:
                header = _safetensors_header(source, repo, name)
            except EntryNotFoundError:
                continue  # listed but missing: the child says so
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            (snapshot / name).write_bytes(header)
    except GatedRepoError:
        raise SubmissionError(
            field,
            f"{repo.model_id} is gated and this leaderboard has not been granted access to it yet; "
            "ask its authors to grant access, or submit it again later.",
        ) from None
    except httpx2.HTTPError as exc:
        raise source.unavailable(exc) from None
    if revision != repo.commit_sha:
        (repo_dir / "refs").mkdir(parents=True, exist_ok=True)
        (repo_dir / "refs" / revision).write_text(repo.commit_sha)
    info = {"private": repo.private, "gated": repo.gated, "likes": repo.likes, "files": repo.files}
    (repo_dir / HUB_INFO_FILE).write_text(json.dumps(info))


def range_get(url: str, first: int, last: int, timeout: float) -> bytes:
    """Bytes ``first`` to ``last`` (inclusive) of a file on the hub, with the server's token if it has one."""
    headers = {**build_hf_headers(), "range": f"bytes={first}-{last}"}
    response = get_session().get(url, headers=headers, timeout=timeout)
    hf_raise_for_status(response)
    return response.content[: last - first + 1]


def _safetensors_header(source: HubApiSource, repo: RepoInfo, filename: str) -> bytes:
    """The file's first 8 bytes and the header they announce; the 8 bytes alone when it is over the cap."""
    url = hf_hub_url(repo.model_id, filename, revision=repo.commit_sha, endpoint=source.api.endpoint)
    timeout = source.limits.hub_timeout_s
    start = range_get(url, 0, FIRST_BYTES - 1, timeout)
    if len(start) < 8:
        return start
    (length,) = struct.unpack("<Q", start[:8])
    if length > source.limits.max_file_bytes:
        return start[:8]  # the child refuses it
    if 8 + length <= len(start):
        return start[: 8 + length]
    return start[:8] + range_get(url, 8, 7 + length, timeout)
