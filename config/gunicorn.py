"""gunicorn's settings for the site (`gunicorn -c python:config.gunicorn config.wsgi`; `manage.py serve` names it).

Request bodies are capped in config/wsgi.py (DATA_UPLOAD_MAX_MEMORY_SIZE, 413), as gunicorn has no body limit of
its own. With PROMETHEUS_MULTIPROC_DIR set, each worker's request counts go to files there, which /metrics adds up
(operations.metrics); a worker that exits is marked dead so its gauges drop out. The folder must be emptied before
gunicorn starts (`manage.py serve` does)."""

from prometheus_client import multiprocess

# No control socket: gunicorn's default, ~/.gunicorn/gunicorn.ctl, would be one socket for every instance
# of the same user on a host, each taking it over from the one before.
control_socket_disable = True

# The request line and headers, gunicorn's own limits (the defaults, written down).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
