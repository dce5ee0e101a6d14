"""The WSGI application gunicorn serves (`gunicorn config.wsgi`); whitenoise serves the static files
from inside it (see MIDDLEWARE). A request that declares a body over DATA_UPLOAD_MAX_MEMORY_SIZE is answered 413
here, before Django reads any of it."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_wsgi_application()


def application(environ, start_response):
    from django.conf import settings

    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0  # Django reads no body it cannot size
    if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        body = f"The request body is over {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.\n".encode()
        start_response(
            "413 Content Too Large", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
        )
        return [body]
    return django_application(environ, start_response)
