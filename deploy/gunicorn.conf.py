"""gunicorn settings for Học số cộng đồng: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Threaded workers (gthread): a client that sends its request slowly holds one thread, not a
whole worker, so a few slow phones on 3G (or someone trickling header bytes on purpose) cannot
stall the server. In front of it, nginx buffers whole requests anyway. Every value can be
overridden with GUNICORN_* environment variables below or on the command line.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
# Requests mostly wait on the database: two processes per core, several threads each.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", 8))
# A request that has not arrived whole after this many seconds is dropped.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Bounds on what a client may send before the app sees it.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%({x-request-id}o)s"'
errorlog = "-"
# Workers are restarted now and then, so no slow leak can grow for ever.
max_requests = 5000
max_requests_jitter = 500
# No control socket (gunicorn >= 25 opens one in $HOME): systemd and signals manage the
# processes, and a sandboxed service has no writable home.
control_socket_disable = True
