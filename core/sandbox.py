"""Untrusted work in a bubblewrap sandbox: the harness child (a model's files, lm-eval) and the hub checks' child.

``sandboxed(command, ...)`` wraps a child's command line in ``bwrap`` (Debian's bubblewrap):

- an empty environment plus the caller's allow-list (``--clearenv``, ``--setenv``);
- no network (``--unshare-net``: only a loopback of its own, so no port of the host, no database, no hub: what
  a child reads from the hub its parent fetches first);
- the system's programs and libraries, Python and the code read-only; the data directory (the secret key file,
  the embedded database and its socket, other runs) hidden under an empty tmpfs; HOME, /tmp and /run empty;
  then only the child's own paths: what it may write (its run's directory) and what it may read (the model
  cache, read-only);
- its own PID, IPC and UTS namespaces with a fresh /proc (the worker's /proc/<pid>/environ is not there) and
  a minimal /dev (the GPUs' /dev/nvidia* bound in where the host has them);
- killed with its parent (``--die-with-parent``).

The parent also marks itself non-dumpable (``prctl(PR_SET_DUMPABLE, 0)``), so no process of the same user can
read its environment or memory through /proc. Where bubblewrap cannot run, nothing untrusted runs, unless the
operator says ``SANDBOX=off`` (``check --deploy`` warns then; the workers refuse to start otherwise).
"""

import ctypes
import functools
import glob
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings

PR_SET_DUMPABLE = 4
# Files of /etc that programs need (the dynamic linker, names, certificates, time zone); the rest stays out
# (an operator's environment files, credentials).
ETC = [
    "alternatives",
    "ca-certificates",
    "ssl",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "passwd",
    "group",
    "nsswitch.conf",
    "hosts",
    "localtime",
    "mime.types",
]
SYSTEM = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/opt"]


class SandboxUnavailable(RuntimeError):
    """bubblewrap cannot run here and SANDBOX=off was not set."""


def sandbox_off() -> bool:
    return bool(settings.SANDBOX == "off")


@functools.cache
def _bwrap_problem() -> str:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    try:
        probe = subprocess.run(
            [bwrap, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "--proc", "/proc", "true"],
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap does not run here: {exc}"
    if probe.returncode != 0:
        return f"bubblewrap does not run here: {probe.stderr.decode(errors='replace').strip()[:300]}"
    return ""


def sandbox_problem() -> str:
    """Why untrusted work would run unsandboxed here: SANDBOX=off, or why bubblewrap cannot run ("" if it can)."""
    if sandbox_off():
        return "SANDBOX=off: models' files and the hub checks run without a sandbox, with this process's rights"
    problem = _bwrap_problem()
    return f"{problem}: untrusted work is refused (set SANDBOX=off to run it unsandboxed)" if problem else ""


def sandbox_required() -> None:
    """Raise SandboxUnavailable unless untrusted work can run sandboxed here (or SANDBOX=off says to run it bare)."""
    if not sandbox_off() and _bwrap_problem():
        raise SandboxUnavailable(sandbox_problem())


def parent_non_dumpable() -> None:
    """No other process of this user may read this one's environment or memory (/proc/<pid>/environ, ptrace)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def child_parent_pid() -> int:
    """The PID a sandboxed child sees as its parent's (the harness dies when its parent goes): bwrap is PID 1 of
    the child's namespace."""
    return os.getpid() if sandbox_off() else 1


def _python_paths() -> list[str]:
    """Where this Python and its packages are: the virtual environment and the base install (their real paths)."""
    paths = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.executable)}
    paths.add(os.path.dirname(os.path.realpath(sys.executable)))
    return sorted(p for p in paths if os.path.exists(p))


def sandboxed(
    command: list[str],
    *,
    env: dict[str, str],
    cwd: Path | str,
    writable: Sequence[Path | str] = (),
    readable: Sequence[Path | str] = (),
) -> dict[str, Any]:
    """subprocess's ``args``, ``env`` and ``cwd`` that run ``command`` in the sandbox (or as it is, with
    SANDBOX=off): ``env`` is all of its environment (bwrap's own too: the sandbox's PID 1 is bwrap),
    ``writable`` the only paths it may write, ``readable`` what it may read besides the system and the code."""
    sandbox_required()
    parent_non_dumpable()
    if sandbox_off():
        return {"args": command, "env": env, "cwd": cwd}
    args = ["bwrap", "--die-with-parent", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    args += ["--unshare-cgroup-try"]
    for path in SYSTEM + [f"/etc/{name}" for name in ETC]:
        if os.path.lexists(path):
            args += ["--ro-bind", path, path]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run"]
    for device in sorted(glob.glob("/dev/nvidia*")):
        args += ["--dev-bind", device, device]
    if glob.glob("/dev/nvidia*") and os.path.exists("/sys"):
        args += ["--ro-bind", "/sys", "/sys"]  # CUDA reads the devices' topology there
    # Hidden under empty read-only tmpfs: the worker's user's home (~/.cache/huggingface/token, ~/.pgpass, ...),
    # then, over the code, the data directory (the key file, the database and its socket, other runs).
    home = os.path.realpath(os.path.expanduser("~"))
    hidden = [home] if home != "/" and os.path.isdir(home) else []
    args += [arg for path in hidden for arg in ("--tmpfs", path)]
    for path in [*_python_paths(), str(settings.BASE_DIR)]:
        args += ["--ro-bind", path, path]
    for path in map(str, (settings.DATA_DIR, settings.EVAL_WORK_DIR)):
        if os.path.isdir(path):
            args += ["--tmpfs", path]
            hidden.append(path)
    for path in map(str, readable):
        if os.path.exists(path):
            args += ["--ro-bind", str(path), str(path)]
    for path in map(str, writable):
        Path(path).mkdir(parents=True, exist_ok=True)
        args += ["--bind", str(path), str(path)]
    args += [arg for path in hidden for arg in ("--remount-ro", path)]  # what is bound inside keeps its own mode
    env = {**env, "HOME": "/tmp", "TMPDIR": "/tmp"}
    args += ["--clearenv"]
    for name, value in sorted(env.items()):
        args += ["--setenv", name, value]
    return {"args": [*args, "--chdir", str(cwd), "--", *command], "env": env, "cwd": "/"}


# What the harness child may see of the worker's environment: what Python, torch and CUDA, transformers, lm-eval
# and the Hugging Face cache read. Never the database URL, the secret key, mail settings or the hub token (the
# weights are in the cache before the child starts, see weights_download).
HARNESS_ENV = {
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "TERM",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "HF_HOME",
    "HF_HUB_CACHE",
    "HF_DATASETS_CACHE",
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "HF_ENDPOINT",
    "HF_HUB_DISABLE_TELEMETRY",
    "HF_HUB_ETAG_TIMEOUT",
    "HF_HUB_DOWNLOAD_TIMEOUT",
    "HF_XET_HIGH_PERFORMANCE",
    "TOKENIZERS_PARALLELISM",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "CUDA_VISIBLE_DEVICES",
    "CUDA_DEVICE_ORDER",
    "CUDA_HOME",
    "CUDA_PATH",
    "LD_LIBRARY_PATH",
    "NVIDIA_VISIBLE_DEVICES",
    "NVIDIA_DRIVER_CAPABILITIES",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
}
HARNESS_ENV_PREFIXES = ("LC_", "PYTORCH_", "TORCH_", "CUBLAS_", "NCCL_", "VLLM_")


def sandbox_env() -> dict[str, str]:
    """A sandboxed child's environment (the harness child, the hub checks' child): the allow-list above, taken
    from this process's, and the project and cache it runs with."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name in HARNESS_ENV or name.startswith(HARNESS_ENV_PREFIXES)
    }
    return {**env, "PYTHONPATH": str(settings.BASE_DIR), "HF_HOME": settings.HF_HOME}
