"""gunicorn settings for ``gunicorn wsgi:application``, derived from the same env vars
(PORT, LISTEN_HOST, WORKERS, THREADS, TLS_*, READ_TIMEOUT, WRITE_TIMEOUT...) and ``CONFIG``
file as the ``chartmuseum`` command."""

import os

from app.config import load_config
from app.server import gunicorn_settings
from app.startup import normalise

globals().update(gunicorn_settings(normalise(load_config(environ=os.environ))))
