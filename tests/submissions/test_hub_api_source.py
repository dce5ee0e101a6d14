"""The online source (HfApi), with only the hub's network API replaced by a fake that serves the tiny
models of the local cache the way the hub would. Everything after the network is the real code."""

from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi, constants
from huggingface_hub.errors import (
    GatedRepoError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import GitCommitInfo, ModelInfo
from huggingface_hub.utils import SafetensorsFileMetadata, TensorInfo

from devtools.tiny_model import repo_cache_dir
from submissions.checks_child import model_facts
from submissions.errors import SubmissionError
from submissions.hub import HubApiSource, hub_source

DTYPES = {"torch.float32": "F32", "torch.float16": "F16", "torch.int32": "I32"}


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

    def snapshot_download(self, repo_id, *, revision=None, allow_patterns=None, **_):
        self.downloaded.update(allow_patterns)
        if repo_id in self.gated_files:
            raise http_error(GatedRepoError, f"403 {repo_id} is gated")
        return str(self._snapshot(repo_id, revision))

    def parse_safetensors_file_metadata(self, repo_id, filename, *, revision=None, **_):
        from safetensors import safe_open

        with safe_open(self._snapshot(repo_id, revision) / filename, framework="pt") as f:
            tensors = {}
            for name in f.keys():  # noqa: SIM118  a safetensors handle, not a dict
                tensor = f.get_slice(name)
                tensors[name] = TensorInfo(
                    dtype=DTYPES.get(tensor.get_dtype(), tensor.get_dtype()),
                    shape=list(tensor.get_shape()),
                    data_offsets=(0, 0),
                )
        return SafetensorsFileMetadata(metadata={}, tensors=tensors)


@pytest.fixture
def online(monkeypatch, hub):
    fake = FakeHub(hub.root)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    for method in ("model_info", "list_repo_commits", "snapshot_download", "parse_safetensors_file_metadata"):
        monkeypatch.setattr(HfApi, method, lambda self, *a, _m=method, **k: getattr(fake, _m)(*a, **k))
    assert isinstance(hub_source(), HubApiSource)
    return fake


def refused(field, message, *args, **kwargs):
    with pytest.raises(SubmissionError) as caught:
        model_facts(*args, **kwargs)
    assert (caught.value.field, message in caught.value.message) == (field, True), caught.value.message


def test_the_same_facts_online_as_offline(online, hub, monkeypatch):
    sha = hub.build("i3-online/valid")
    gptq = hub.build("i3-online/gptq", gptq=True)
    online.info["i3-online/valid"] = {"likes": 12, "gated": "auto"}
    facts = model_facts("i3-online/valid", precision="float32")
    assert (facts.commit_sha, facts.likes, facts.gated, facts.license) == (sha, 12, True, "apache-2.0")
    online_gptq = model_facts("i3-online/gptq", precision="GPTQ")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert model_facts("i3-online/valid", precision="float32").num_params == facts.num_params
    assert model_facts("i3-online/gptq", precision="GPTQ") == online_gptq
    assert online_gptq.commit_sha == gptq
    assert "config.json" in online.downloaded and "README.md" in online.downloaded
    assert not [name for name in online.downloaded if name.endswith(".safetensors")]


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


def test_the_hub_is_down(online, hub):
    hub.build("i3-online/valid")
    online.down = True
    refused(
        None,
        "The Hugging Face hub did not answer (ConnectError); try again later.",
        "i3-online/valid",
        precision="float32",
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
    assert model_facts("i11-online/moving", older, precision="float32").commit_sha == older
    assert model_facts("i11-online/moving", pushed, precision="float32").commit_sha == pushed


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
