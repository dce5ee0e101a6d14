"""What untrusted code can reach: run as ``python -m tests.security.sandbox_probe ARG`` in the place of the harness
child or the checks child (tests/security/test_sandbox.py). It tries everything it is asked and prints one JSON
line saying what it read, reached and wrote; ARG is the JSON of what to try, or a file holding it."""

import json
import os
import socket
import sys
from pathlib import Path


def _read(path: str) -> str | None:
    try:
        return Path(path).read_bytes().decode(errors="replace")
    except OSError:
        return None


def _connect(family, address) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(3)
        try:
            s.connect(address)
        except OSError:
            return False
    return True


def probe(asked: dict) -> dict:
    proc = {}
    for pid in [p for p in os.listdir("/proc") if p.isdigit()] + [str(asked["parent_pid"])]:
        proc[pid] = {"environ": _read(f"/proc/{pid}/environ"), "cmdline": _read(f"/proc/{pid}/cmdline")}
    files = {path: _read(path) for path in asked["read"]}
    sockets = {
        "database socket": _connect(socket.AF_UNIX, asked["database_socket"]),
        "localhost port": _connect(socket.AF_INET, ("127.0.0.1", asked["port"])),
    }
    wrote = []
    for folder in asked["write"]:
        try:
            (Path(folder) / "sandbox-probe").write_text("x")
            wrote.append(folder)
        except OSError:
            pass
    return {"environ": dict(os.environ), "proc": proc, "files": files, "sockets": sockets, "wrote": wrote}


if __name__ == "__main__":
    argument = sys.argv[1]  # the JSON, or (in the harness child's place) the path of the spec file holding it
    report = probe(json.loads(argument if argument.startswith("{") else Path(argument).read_text()))
    print(json.dumps(report), flush=True)
