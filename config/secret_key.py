"""The laptop's SECRET_KEY: generated once into a file of DATA_DIR, readable by its owner only, and reused."""

import os
import tempfile
from pathlib import Path

from django.core.management.utils import get_random_secret_key


def secret_key_read_or_create(path: Path) -> str:
    """The key in ``path``; made first if there is none. Processes starting together (the web server and a
    cluster) agree: the key is written to a private temporary file and linked into place, and a process that
    finds the place taken reads the key already there."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")  # mode 0600
        try:
            with os.fdopen(fd, "w") as file:
                file.write(get_random_secret_key())
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return path.read_text().strip()
