"""Runs the app under gunicorn, the same WSGI server production uses."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app


def serve(app: Flask, host: str, port: int, workers: int, threads: int = 1) -> None:
    """Serve app on host:port with gunicorn until interrupted."""
    services = app.extensions["ivr"]
    engine = services.store.engine
    services.guesser.warm_up()  # once, before the fork: the workers share the models

    def post_fork(_server: Any, _worker: Any) -> None:
        # Connections opened before the fork belong to the parent; each worker opens its own.
        engine.dispose(close=False)

    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "post_fork": post_fork,
        "control_socket_disable": True,  # one path per user: it would clash between servers
    }
    _Gunicorn(app, options).run()
