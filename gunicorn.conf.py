"""gunicorn settings for ``gunicorn wsgi:application``, derived from the same env vars
(PORT, LISTEN_HOST, WORKERS, THREADS, TLS_*, READ_TIMEOUT, WRITE_TIMEOUT...) and ``CONFIG``
file as the ``chartmuseum`` command. This is the container's entry point:

    gunicorn --config gunicorn.conf.py wsgi:application

What comes from ``app.server.gunicorn_settings`` (shared with ``chartmuseum``): bind, gthread
workers and threads, TLS, ``forwarded_allow_ips`` (X-Forwarded-Proto from the proxy in front
sets the scheme), the worker timeout, and, with ENABLE_METRICS, an empty multiprocess metrics
folder (PROMETHEUS_MULTIPROC_DIR) prepared here in the master plus the ``child_exit`` hook that
marks a dead worker's samples. ``preload_app`` stays off: each worker builds the app after the
fork.

Large uploads: gthread workers report liveness from their main loop, so a slow upload never
trips ``timeout``; the time a client may take to send a body is bounded by the proxy in front
(nginx ``client_body_timeout``) and its size by MAX_UPLOAD_SIZE.

Added here: the access log format (gunicorn's access log is off by default because the app logs
every request itself; turn it on with ``GUNICORN_CMD_ARGS="--access-logfile -"``) and the worker
heartbeat folder on tmpfs where there is one (a container's overlay filesystem can stall it).
Command-line flags and GUNICORN_CMD_ARGS still override everything in this file.
"""

import os

from app.config import load_config
from app.server import gunicorn_settings
from app.startup import normalise

globals().update(gunicorn_settings(normalise(load_config(environ=os.environ))))

# client (first X-Forwarded-For hop when behind a proxy), request line, status, bytes,
# duration in microseconds, referer, user agent, request id
access_log_format = (
    '%({x-forwarded-for}i)s %(h)s %(u)s %(t)s "%(r)s" %(s)s %(B)s %(D)sus '
    '"%(f)s" "%(a)s" %({x-request-id}o)s'
)

if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
    worker_tmp_dir = "/dev/shm"

preload_app = False
