"""WSGI entry point: ``gunicorn wsgi:application``, configured from env vars and ``CONFIG``."""

import os

from app import create_app
from app.config import load_config

application = create_app(load_config(environ=os.environ))
