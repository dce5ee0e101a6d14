"""Tiny models that each fail one hub check, and the people who submit them."""

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission

from devtools.hub_repo import GITATTRIBUTES, repo_cache_dir, write_repo
from devtools.tiny_model import build_tiny_model
from pipeline.intake import submission_check, submission_submit
from submissions.hub import HUB_INFO_FILE
from tests.factories import StaffFactory, UserFactory


class HubCache:
    """The local hub cache the offline source reads (HF_HUB_OFFLINE=1)."""

    def __init__(self, root: Path):
        self.root = root

    def build(self, repo_id: str, *, info: dict | None = None, **variant) -> str:
        """A tiny model (see devtools.tiny_model for the variants); ``info``: the hub's fields
        (private, gated, likes) in the offline stand-in file."""
        sha = build_tiny_model(repo_id, hub_cache=self.root, **variant)
        self.set_info(repo_id, info or {})
        return sha

    def set_info(self, repo_id: str, info: dict) -> None:
        path = repo_cache_dir(self.root, repo_id) / HUB_INFO_FILE
        if info:
            path.write_text(json.dumps(info))
        elif path.exists():
            path.unlink()

    def write(self, repo_id: str, files: dict[str, bytes]) -> str:
        """A repository with exactly ``files``, laid out like huggingface_hub downloads one."""
        files = {".gitattributes": GITATTRIBUTES.encode(), **files}
        return write_repo(repo_id, files, hub_cache=self.root, message=f"{repo_id} test repository")


@pytest.fixture(scope="session")
def hub(hub_cache) -> HubCache:
    hub_cache.mkdir(parents=True, exist_ok=True)
    return HubCache(hub_cache)


@pytest.fixture
def suite(suites):
    return suites["demo-medical"]


@pytest.fixture
def user(db):
    return UserFactory(username="bob")


@pytest.fixture
def other_user(db):
    return UserFactory(username="carol")


@pytest.fixture
def staff(db):
    """A moderator: staff, with the submissions app's permissions (not a superuser)."""
    return StaffFactory(username="mod", permissions=Permission.objects.filter(content_type__app_label="submissions"))


@pytest.fixture
def submit(suite):
    """submission_submit with the defaults of a plain float32 submission to the demo suite. The hub checks run
    at once, in their child process as the checks cluster runs them, raising SubmissionError on a refusal;
    ``check_now=False`` leaves the submission CHECKING (for tests of what the web request does)."""

    def submit(user, model_id, check_now=True, **fields):
        fields = {"precision": "float32", "suite": suite, **fields}
        return submission_submit(user=user, model_id=model_id, check_now=check_now, **fields)

    return submit


def run_checks(submission) -> None:
    """Run the checks task for a CHECKING submission here and now (as the checks cluster would), then reload it."""
    submission_check(submission.pk)
    submission.refresh_from_db()
