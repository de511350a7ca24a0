"""Gunicorn settings for production: `gunicorn -c python:ivr.gunicorn_conf 'ivr:create_app()'`.

Each value can be changed with the environment variable named beside it.
"""

import multiprocessing
import os
from typing import Any

bind = os.environ.get("IVR_BIND", "0.0.0.0:8000")
# Requests are short and CPU-bound apart from the database; threads cover "text me this",
# the one request that waits on the network.
workers = int(os.environ.get("IVR_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("IVR_THREADS", 4))
# Twilio gives up on a webhook after 15 seconds; never keep a worker longer than that.
timeout = 15
graceful_timeout = 10
keepalive = 5
max_requests = 20_000
max_requests_jitter = 2_000
# Behind a proxy, list its address here so X-Forwarded-* headers are believed.
forwarded_allow_ips = os.environ.get("IVR_FORWARDED_ALLOW_IPS", "127.0.0.1")
# The access log line holds the path and query (the call's state), never a form field.
accesslog = os.environ.get("IVR_ACCESS_LOG", "-")
errorlog = "-"
# gunicorn's control socket lives at one path per user; several servers would clash on it.
control_socket_disable = True
# The master builds the line (settings, content, audio manifest, the schema's migration) before
# it listens, and workers are forked from it: a server that is starting or restarting takes no
# connection it cannot answer soon (nginx would wait on it, and Twilio give up), and it
# migrates once, not once a worker.
preload_app = True


def post_worker_init(worker: Any) -> None:
    """Before a worker takes requests: its own database connections, and warm models."""
    services = getattr(worker.wsgi, "extensions", {}).get("ivr")
    if services is not None:
        # Connections opened before the fork belong to the master; each worker opens its own.
        services.store.engine.dispose(close=False)
        services.guesser.warm_up()
