"""gunicorn's settings file (`gunicorn -c python:config.gunicorn config.wsgi`): with PROMETHEUS_MULTIPROC_DIR set,
each worker's request counts go to files there, which /metrics adds up (operations.metrics); a worker that exits
is marked dead so its gauges drop out. The folder must be emptied before gunicorn starts (`manage.py serve` does)."""

from prometheus_client import multiprocess


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
