"""gunicorn settings for ``gunicorn wsgi:application``, derived from the same env vars
(PORT, LISTEN_HOST, WORKERS, THREADS, TLS_*, READ_TIMEOUT, WRITE_TIMEOUT...) and ``CONFIG``
file as the ``chartmuseum`` command. This is the container's entry point:

    gunicorn --config gunicorn.conf.py wsgi:application

What comes from ``app.server.gunicorn_settings`` (shared with ``chartmuseum``): bind, the
worker class (``app.worker.BufferingWorker``), workers and threads, TLS,
``forwarded_allow_ips`` (X-Forwarded-Proto from the proxy in front sets the scheme), the worker
timeout, and, with ENABLE_METRICS, an empty multiprocess metrics folder
(PROMETHEUS_MULTIPROC_DIR) prepared here in the master plus the ``child_exit`` hook that marks
a dead worker's samples. ``preload_app`` stays off: each worker builds the app after the
fork.

Slow clients: the worker's main loop receives every request in full (memory, then an
unlinked temporary file under TMPDIR) before a thread runs the app, so slow or stalled uploads
never hold a thread. READ_TIMEOUT bounds a whole request, head and body (then 408 and nothing
stored), WRITE_TIMEOUT a whole response, and MAX_UPLOAD_SIZE a body's size (413 without
buffering it). gunicorn's ``timeout`` watches only that main loop, which never waits on a
client.

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
