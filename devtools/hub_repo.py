"""Write a model repository into a Hugging Face hub cache exactly the way ``huggingface_hub`` lays out a
download, so that offline loading, ``scan_cache_dir()`` and ``lm_eval`` find it::

    <hub_cache>/models--ORG--NAME/
        blobs/<etag>                      file contents, named like huggingface_hub does
        refs/main                         the commit sha (no trailing newline)
        snapshots/<commit>/<filename>  -> ../../blobs/<etag>   (relative symlinks)

Blob names ("etags") follow the hub: files the hub stores in Git LFS (``*.safetensors``,
``*.bin``, ... -- the patterns of the hub's default ``.gitattributes`` -- or anything
larger than 10 MiB) are named by the **sha256** of their content; every other file is
named by its **git blob sha1** (``git hash-object``: ``huggingface_hub.utils.sha.git_hash``).

The commit sha is a genuine git commit id computed from the files: a git tree whose
entries are the regular files' blob ids and, for LFS files, the blob id of their LFS
pointer file, wrapped in a commit object with a fixed author, date (epoch 0) and
message. It is therefore fully determined by the files, and writing again is idempotent.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import uuid
from pathlib import Path
from typing import Any

from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.utils.sha import git_hash


def repo_cache_dir(hub_cache: Path | str, repo_id: str) -> Path:
    """``<hub_cache>/models--ORG--NAME``: the folder huggingface_hub keeps a model repo in."""
    return Path(hub_cache) / repo_folder_name(repo_id=repo_id, repo_type="model")


# ---------------------------------------------------------------------------------
# hashing: blob etags and the commit sha
# ---------------------------------------------------------------------------------

#: Patterns of the hub's default ``.gitattributes`` (files stored in Git LFS).
LFS_PATTERNS = (
    "*.7z",
    "*.arrow",
    "*.bin",
    "*.bz2",
    "*.ckpt",
    "*.ftz",
    "*.gz",
    "*.h5",
    "*.joblib",
    "*.lfs.*",
    "*.mlmodel",
    "*.model",
    "*.msgpack",
    "*.npy",
    "*.npz",
    "*.onnx",
    "*.ot",
    "*.parquet",
    "*.pb",
    "*.pickle",
    "*.pkl",
    "*.pt",
    "*.pth",
    "*.rar",
    "*.safetensors",
    "saved_model/**/*",
    "*.tar.*",
    "*.tar",
    "*.tflite",
    "*.tgz",
    "*.wasm",
    "*.xz",
    "*.zip",
    "*.zst",
    "*tfevents*",
)
#: The hub refuses regular (non-LFS) files above 10 MiB.
LFS_SIZE_THRESHOLD = 10 * 1024 * 1024

GITATTRIBUTES = "".join(f"{pattern} filter=lfs diff=lfs merge=lfs -text\n" for pattern in LFS_PATTERNS)


def is_lfs_file(filename: str, size: int = 0) -> bool:
    """Whether the hub would store ``filename`` (of ``size`` bytes) in Git LFS."""
    base = filename.rsplit("/", 1)[-1]
    if size > LFS_SIZE_THRESHOLD:
        return True
    return any(fnmatch.fnmatchcase(base, pat) or fnmatch.fnmatchcase(filename, pat) for pat in LFS_PATTERNS)


def _lfs_pointer(data: bytes) -> bytes:
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{hashlib.sha256(data).hexdigest()}\nsize {len(data)}\n"
    ).encode()


def blob_etag(filename: str, data: bytes) -> str:
    """The name huggingface_hub gives the blob of ``filename`` in ``blobs/``.

    sha256 of the content for LFS files, git blob sha1 for regular files -- the hub's
    ``X-Linked-Etag`` / ``ETag`` respectively.
    """
    if is_lfs_file(filename, len(data)):
        return hashlib.sha256(data).hexdigest()
    return git_hash(data)


def _git_object(kind: str, body: bytes) -> tuple[str, bytes]:
    raw = kind.encode() + b" %d\0" % len(body) + body
    return hashlib.sha1(raw, usedforsecurity=False).hexdigest(), raw


def compute_commit_sha(files: dict[str, bytes], message: str = "Tiny random model") -> str:
    """The git commit id a repository with exactly ``files`` would have.

    LFS files enter the tree through their LFS pointer, as on the hub. Author, committer
    and date are fixed, so the result depends only on the files and ``message``.
    """
    # nested {name: blob_id | subtree-dict}
    root: dict[str, Any] = {}
    for name, data in files.items():
        parts = name.split("/")
        node = root
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        blob = _lfs_pointer(data) if is_lfs_file(name, len(data)) else data
        node[parts[-1]] = git_hash(blob)

    def tree_sha(node: dict[str, Any]) -> str:
        entries = []
        for name, value in node.items():
            if isinstance(value, dict):
                entries.append((name + "/", b"40000 " + name.encode(), tree_sha(value)))
            else:
                entries.append((name, b"100644 " + name.encode(), value))
        entries.sort(key=lambda e: e[0].encode())  # git sorts trees as if named "name/"
        body = b"".join(head + b"\0" + bytes.fromhex(sha) for _, head, sha in entries)
        return _git_object("tree", body)[0]

    ident = b"tiny-model-builder <tiny-model-builder@localhost> 0 +0000"
    body = (
        b"tree "
        + tree_sha(root).encode()
        + b"\n"
        + b"author "
        + ident
        + b"\n"
        + b"committer "
        + ident
        + b"\n\n"
        + message.encode()
        + b"\n"
    )
    return _git_object("commit", body)[0]


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _atomic_symlink(target: str, link: Path) -> None:
    try:
        if os.readlink(link) == target:
            return
    except OSError:
        pass
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex[:8]}.tmp")
    os.symlink(target, tmp)
    os.replace(tmp, link)


def write_repo(repo_id: str, files: dict[str, bytes], *, hub_cache: Path, message: str) -> str:
    """Store ``files`` as the commit of ``repo_id`` that ``refs/main`` points at, laid out in
    ``hub_cache`` exactly as huggingface_hub lays out a download; returns the commit sha."""
    commit = compute_commit_sha(files, message=message)
    repo_dir = repo_cache_dir(hub_cache, repo_id)
    blobs_dir = repo_dir / "blobs"
    snapshot_dir = repo_dir / "snapshots" / commit
    refs_dir = repo_dir / "refs"
    for d in (blobs_dir, snapshot_dir, refs_dir):
        d.mkdir(parents=True, exist_ok=True)

    for name, data in files.items():
        blob = blobs_dir / blob_etag(name, data)
        if not (blob.is_file() and blob.stat().st_size == len(data)):
            _atomic_write(blob, data)
        link = snapshot_dir / name
        link.parent.mkdir(parents=True, exist_ok=True)
        _atomic_symlink(os.path.relpath(blob, link.parent), link)

    ref = refs_dir / "main"
    if not ref.is_file() or ref.read_text() != commit:
        _atomic_write(ref, commit.encode())  # no trailing newline, like huggingface_hub
    return commit
