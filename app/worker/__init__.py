"""The gunicorn worker of ``chartmuseum`` and ``gunicorn wsgi:application``.

``worker_class = "app.worker.BufferingWorker"`` (set by :func:`app.server.gunicorn_settings`):
gunicorn's ``gthread`` worker, except that each request is received in full by the worker's
main loop, without blocking, before a thread runs the application. Slow or stalled clients
therefore hold a connection slot and a bounded buffer, never a thread, and ``--read-timeout``
and ``--write-timeout`` bound a whole request and a whole response (see
:mod:`app.worker.buffering`). The requests an application marks as quick are run by the main
loop itself and their responses written without blocking (see :mod:`app.worker.inline`).

Buffering: memory up to 1 MiB per request (32 MiB per worker in all), then an anonymous
temporary file in the system temporary folder (``TMPDIR``), removed by the OS when it is
closed, even if the worker is killed. A body announced larger than ``--max-upload-size`` is
not buffered: the application answers 413 as it does for any oversized body.

TLS (``--tls-cert``/``--tls-key``, optional ``--tls-ca-cert``): handled the same way. The
handshake and the reads are non-blocking on the main loop, and the deadlines apply from
the accept. HTTP/2 is not offered (ALPN advertises http/1.1 only).
"""

from app.worker.buffering import BufferingWorker

__all__ = ["BufferingWorker"]
