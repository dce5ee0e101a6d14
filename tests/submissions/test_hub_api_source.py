"""Online: the web request's part of the checks (HubApiSource), then the checks cluster's: its parent fetching what
the checks read into a private cache (submissions.hub_fetch), the child in the sandbox, offline, reading it. Only
the hub's network API is replaced, by a fake that serves the tiny models of the local cache the way the hub would.
Everything after the network is the real code."""

import re
import shutil
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi, constants
from huggingface_hub.errors import (
    GatedRepoError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.hf_api import GitCommitInfo, ModelInfo

from catalogue.precision import WeightType
from devtools.hub_repo import repo_cache_dir
from devtools.tiny_model import build_tiny_adapter
from submissions import hub_fetch
from submissions.checks import CheckOutcome, checks_run
from submissions.checks_child import model_facts
from submissions.errors import HubUnavailable, SubmissionError
from submissions.hub_sources import HubApiSource, hub_source, submission_resolve
from submissions.models import ModelSubmission

FILE_URL = re.compile(r"/(?P<repo>[^/]+/[^/]+)/resolve/(?P<sha>[0-9a-f]{40})/(?P<name>.+)$")


def http_error(cls, message: str):
    request = httpx2.Request("GET", "https://huggingface.co/api/models/x")
    return cls(message, response=httpx2.Response(404, request=request))


class FakeHub:
    """What the hub answers about the models of a local cache, plus per-model overrides."""

    def __init__(self, cache: Path):
        self.cache = cache
        self.info = {}  # model id -> extra ModelInfo fields (private, gated, likes)
        self.gated_files = set()  # model ids whose files need an access the leaderboard lacks
        self.down = False
        self.downloaded = set()  # the files snapshot_download was asked for
        self.ranges = []  # (file, first byte, last byte) of each range request
        self.history = {}  # model id -> older commits of its main branch

    def _snapshot(self, model_id: str, revision: str) -> Path:
        repo = repo_cache_dir(self.cache, model_id)
        if self.down:
            raise httpx2.ConnectError("connection refused")
        if not repo.is_dir():
            raise http_error(RepositoryNotFoundError, f"404 {model_id}")
        sha = revision if (repo / "snapshots" / revision).is_dir() else None
        if sha is None and (repo / "refs" / revision).is_file():
            sha = (repo / "refs" / revision).read_text()
        if sha is None:
            raise http_error(RevisionNotFoundError, f"404 revision {revision}")
        return repo / "snapshots" / sha

    def model_info(self, repo_id, *, revision=None, **_):
        snapshot = self._snapshot(repo_id, revision or "main")
        files = [
            {"rfilename": p.relative_to(snapshot).as_posix(), "size": p.stat().st_size}
            for p in snapshot.rglob("*")
            if p.is_file()
        ]
        fields = {"private": False, "gated": False, "likes": 0, **self.info.get(repo_id, {})}
        return ModelInfo(id=repo_id, sha=snapshot.name, siblings=files, **fields)

    def list_repo_commits(self, repo_id, **_):
        """The main branch's history: its head, and the older commits the test says it had."""
        head = self._snapshot(repo_id, "main").name
        return [
            GitCommitInfo(
                commit_id=sha,
                authors=[],
                created_at=None,
                title="",
                message="",
                formatted_title=None,
                formatted_message=None,
            )
            for sha in [head, *self.history.get(repo_id, [])]
        ]

    def snapshot_download(self, repo_id, *, revision=None, allow_patterns=None, cache_dir=None, **_):
        """Into ``cache_dir``, laid out as huggingface_hub lays it out (files in the snapshot folder)."""
        self.downloaded.update(allow_patterns)
        if repo_id in self.gated_files:
            raise http_error(GatedRepoError, f"403 {repo_id} is gated")
        source = self._snapshot(repo_id, revision)
        target = Path(cache_dir) / repo_folder_name(repo_id=repo_id, repo_type="model") / "snapshots" / source.name
        for name in allow_patterns:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, target / name)
        return str(target)

    def range_get(self, url: str, first: int, last: int, timeout: float) -> bytes:
        if self.down:
            raise httpx2.ConnectError("connection refused")
        found = FILE_URL.search(url)
        self.ranges.append((found["name"], first, last))
        with (self._snapshot(found["repo"], found["sha"]) / found["name"]).open("rb") as f:
            f.seek(first)
            return f.read(last - first + 1)


@pytest.fixture
def online(monkeypatch, hub):
    fake = FakeHub(hub.root)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    for method in ("model_info", "list_repo_commits", "snapshot_download"):
        monkeypatch.setattr(HfApi, method, lambda self, *a, _m=method, **k: getattr(fake, _m)(*a, **k))
    monkeypatch.setattr(hub_fetch, "range_get", fake.range_get)
    assert isinstance(hub_source(), HubApiSource)
    return fake


def checked(model_id, revision="main", *, precision, weight_type=WeightType.ORIGINAL, base_model="") -> CheckOutcome:
    """The checks as a submission gets them online: the web request's part, then the checks cluster's."""
    resolved = submission_resolve(model_id, revision, weight_type=weight_type, base_model=base_model)
    submission = ModelSubmission(
        model_id=resolved.model_id,
        commit_sha=resolved.commit_sha,
        precision=precision,
        weight_type=weight_type,
        base_model=base_model,
        facts={"base_commit_sha": resolved.base_commit_sha},
    )
    return checks_run(submission)


def refused(field, message, *args, **kwargs):
    """Refused by the web request's part, or by the checks."""
    try:
        outcome = checked(*args, **kwargs)
        assert outcome.facts is None, outcome
        found = (outcome.field, outcome.refusal)
    except SubmissionError as exc:
        found = (exc.field, exc.message)
    assert (found[0], message in found[1]) == (field, True), found[1]


def test_the_same_facts_online_as_offline(online, hub, monkeypatch):
    sha = hub.build("i3-online/valid")
    gptq = hub.build("i3-online/gptq", gptq=True)
    online.info["i3-online/valid"] = {"likes": 12, "gated": "auto"}
    facts = checked("i3-online/valid", precision="float32").facts
    assert (facts["commit_sha"], facts["likes"], facts["gated"], facts["license"]) == (sha, 12, True, "apache-2.0")
    online_gptq = checked("i3-online/gptq", precision="GPTQ").facts
    adapter = build_tiny_adapter("i3-online/adapter", base_id="i3-online/valid", hub_cache=hub.root)
    online_adapter = checked(
        "i3-online/adapter", precision="float32", weight_type="Adapter", base_model="i3-online/valid"
    )
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert model_facts("i3-online/valid", precision="float32").num_params == facts["num_params"]
    assert model_facts("i3-online/gptq", precision="GPTQ").as_dict() == online_gptq
    assert online_gptq["commit_sha"] == gptq and online_adapter.facts["commit_sha"] == adapter
    offline_adapter = model_facts(
        "i3-online/adapter", precision="float32", weight_type="Adapter", base_model="i3-online/valid"
    )
    assert online_adapter.facts["num_params"] == offline_adapter.num_params
    # The small files were downloaded; of the weights, only each header's bytes were asked for.
    assert "config.json" in online.downloaded and "README.md" in online.downloaded
    assert not [name for name in online.downloaded if name.endswith(".safetensors")]
    weights = repo_cache_dir(hub.root, "i3-online/valid") / "snapshots" / sha / "model.safetensors"
    asked = [(first, last) for name, first, last in online.ranges if name == "model.safetensors"]
    assert asked and all(last < weights.stat().st_size - 1 for first, last in asked)


def test_online_refusals(online, hub):
    hub.build("i3-online/valid")
    hub.build("i3-online/private")
    hub.build("i3-online/pickled", safetensors=False)
    online.info["i3-online/private"] = {"private": True}
    refused("model_id", "There is no model i3-online/nothing", "i3-online/nothing", precision="float32")
    refused("revision", "has no revision 'v9'", "i3-online/valid", "v9", precision="float32")
    refused("model_id", "i3-online/private is private", "i3-online/private", precision="float32")
    refused("model_id", "not in safetensors format", "i3-online/pickled", precision="float32")
    refused(
        "base_model",
        "There is no model i3-online/no-base",
        "i3-online/valid",
        precision="float32",
        weight_type="Delta",
        base_model="i3-online/no-base",
    )


def test_a_gated_model_whose_files_we_cannot_read(online, hub):
    hub.build("i3-online/valid")
    online.info["i3-online/valid"] = {"gated": "manual"}
    online.gated_files.add("i3-online/valid")
    refused(
        "model_id", "is gated and this leaderboard has not been granted access", "i3-online/valid", precision="float32"
    )


def test_the_hub_is_down(online, hub, monkeypatch):
    """Down for the web request: a message on the form; down by the time the checks run: trouble, tried again."""
    hub.build("i3-online/valid")
    online.down = True
    with pytest.raises(HubUnavailable, match=r"did not answer \(ConnectError\); try again later"):
        checked("i3-online/valid", precision="float32")
    online.down = False
    resolve = submission_resolve

    def resolved_then_down(*args, **kwargs):
        facts = resolve(*args, **kwargs)
        online.down = True
        return facts

    monkeypatch.setattr(f"{__name__}.submission_resolve", resolved_then_down)
    outcome = checked("i3-online/valid", precision="float32")
    assert (outcome.facts, outcome.trouble) == (
        None,
        "The Hugging Face hub did not answer (ConnectError); try again later.",
    )


def test_a_commit_is_accepted_only_from_mains_history(online, hub):
    older = hub.build("i11-online/moving", num_layers=1)
    pushed = hub.build("i11-online/moving", num_layers=2)
    refused(
        "revision",
        f"Commit {older[:7]} is not in the history of i11-online/moving's main branch",
        "i11-online/moving",
        older,
        precision="float32",
    )
    online.history["i11-online/moving"] = [older]
    assert checked("i11-online/moving", older, precision="float32").facts["commit_sha"] == older
    assert checked("i11-online/moving", pushed, precision="float32").facts["commit_sha"] == pushed


def test_files_over_the_cap_are_never_downloaded(online, hub, settings):
    hub.build("i11-online/big-card", files={"README.md": b"---\nlicense: mit\n---\n" + b"word " * (2 * 1024 * 1024)})
    settings.CHECKS_MAX_FILE_MB = 1
    refused(
        "model_id",
        "README.md of i11-online/big-card is 10.0 MiB; the checks read files of at most 1 MiB",
        "i11-online/big-card",
        precision="float32",
    )
    assert not online.downloaded
