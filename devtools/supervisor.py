"""What makes `manage.py serve`'s death (kill -9, the out-of-memory killer) take everything it started with it.

- Each child (gunicorn, the clusters) asks the kernel for SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG),
  and stops as on a Ctrl-C.
- A watchdog child (``python -m devtools.supervisor``, no Django, a few MB) notices the supervisor is gone, gives
  the children's process groups serve's own STOP_TIMEOUT_S, SIGKILLs what is left of them (the clusters' workers,
  which the kernel would not signal), then stops the embedded Postgres, which pg_ctl daemonized apart from all of
  them: a fast shutdown of its postmaster.
"""

import argparse
import contextlib
import ctypes
import os
import signal
import sys
import time
from pathlib import Path

import psutil

PR_SET_PDEATHSIG = 1
POLL_S = 0.5


def die_with_parent() -> None:
    """For Popen's preexec_fn: SIGTERM this child when the process that started it dies (even before exec)."""
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def groups_stop(leaders: list[int], timeout_s: float) -> None:
    """SIGTERM each process-group leader, then, at the deadline, SIGKILL whatever is left of their groups."""
    for pid in leaders:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(alive(pid) for pid in leaders):
        time.sleep(POLL_S)
    for pid in leaders:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def postgres_stop(pgdata: Path, timeout_s: float = 10) -> None:
    """A fast shutdown (SIGINT: roll back open transactions, checkpoint, exit) of the postmaster serving
    ``pgdata``; SIGQUIT if it has not exited by ``timeout_s``."""
    try:
        postmaster = psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))
    except (OSError, ValueError, IndexError, psutil.NoSuchProcess):
        return
    if "postgres" not in postmaster.name():
        return  # a stale file naming another process
    postmaster.send_signal(signal.SIGINT)
    try:
        postmaster.wait(timeout_s)
    except psutil.TimeoutExpired:
        postmaster.send_signal(signal.SIGQUIT)


def watch(parent: int, children: list[int], pgdata: Path | None, stop_timeout_s: float) -> None:
    """Wait for ``parent`` to die, then stop ``children`` and the embedded Postgres. A SIGTERM (the parent
    stopping everything itself) ends the watch quietly."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the parent's to handle
    while os.getppid() == parent:
        time.sleep(POLL_S)
    print(f"serve (pid {parent}) died: stopping what it started", file=sys.stderr, flush=True)
    groups_stop(children, stop_timeout_s)
    if pgdata is not None:
        postgres_stop(pgdata)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--children", type=int, nargs="+", required=True)
    parser.add_argument("--pgdata", type=Path)
    parser.add_argument("--stop-timeout", type=float, required=True)
    args = parser.parse_args()
    watch(args.parent, args.children, args.pgdata, args.stop_timeout)
