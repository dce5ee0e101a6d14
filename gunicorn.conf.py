"""gunicorn's settings for the site: gunicorn reads this file from the directory it starts in (`manage.py serve`
names it). Request bodies are capped in config/wsgi.py (DATA_UPLOAD_MAX_MEMORY_SIZE, 413), as gunicorn has no
body limit of its own."""

# No control socket: gunicorn's default, ~/.gunicorn/gunicorn.ctl, would be one socket for every instance
# of the same user on a host, each taking it over from the one before.
control_socket_disable = True

# The request line and headers, gunicorn's own limits (the defaults, written down).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
