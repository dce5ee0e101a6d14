"""Database outages: which errors are one, and writing through one with retries and backoff.

Postgres restarting, failing over or unreachable for a while raises OperationalError (the connection failed or
was closed under us) or InterfaceError (a connection already closed was used). A worker in the middle of a run
keeps its harness going meanwhile and retries its writes; the site answers 503 (operations.outage).
"""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, close_old_connections, connection

log = logging.getLogger(__name__)
OUTAGE_ERRORS = (OperationalError, InterfaceError)
T = TypeVar("T")


def is_outage(error: BaseException) -> bool:
    return isinstance(error, OUTAGE_ERRORS)


def connection_reset() -> None:
    """Forget a connection the outage broke, so that the next query opens a new one."""
    close_old_connections()
    if connection.connection is not None and not connection.is_usable():
        connection.close()


def with_retries(write: Callable[[], T], *, what: str, give_up_s: float, first_wait_s: float = 0.5) -> T:
    """``write()``, tried again while the database is out: waits of ``first_wait_s``, doubling up to 10 s, for at
    most ``give_up_s`` in all; then the last outage error is raised. Other errors are raised at once.

    ``write`` must be one transaction (all or nothing), so trying it again never does anything twice."""
    deadline = time.monotonic() + give_up_s
    wait = first_wait_s
    while True:
        try:
            return write()
        except OUTAGE_ERRORS as error:
            connection_reset()
            if time.monotonic() + wait > deadline:
                raise
            log.warning("%s: the database is unavailable (%s); trying again in %.1f s", what, error, wait)
            time.sleep(wait)
            wait = min(wait * 2, 10.0)
