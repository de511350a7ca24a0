"""The application factory: settings, content, store and webhooks wired into one Flask app."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, abort, after_this_request, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from ivr import logs
from ivr.audio.catalogue import AudioStatus, Catalogue, load_catalogue
from ivr.bookkeeping import Bookkeeping
from ivr.config import Settings
from ivr.content import Content, load_content
from ivr.journal import JOURNAL_FILE, OptOutJournal
from ivr.security import NumberHasher, SignatureCheck, load_hash_secret
from ivr.store import Store, create_engine, upgrade_schema

# Everything under these paths is a Twilio webhook and must carry a valid signature.
WEBHOOK_PREFIXES = ("/voice", "/sms")
MAX_REQUEST_BYTES = 64 * 1024
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    """What every request handler needs, built once at start-up."""

    settings: Settings
    content: Content
    store: Store
    bookkeeping: Bookkeeping  # the store's usage events and language choices, written later
    signatures: SignatureCheck
    audio: AudioStatus
    catalogue: Catalogue


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the line from IVR_* environment variables, then the settings in config."""
    settings = Settings.load(os.environ, config)
    content = load_content(settings.content_dir)
    engine = create_engine(settings.resolved_database_url())
    upgrade_schema(engine)
    hasher = NumberHasher(load_hash_secret(settings.hash_secret, settings.instance_dir))
    catalogue = load_catalogue(
        settings.audio_dir, content, settings.audio_url, settings.audio_engines
    )

    app = Flask(__name__, instance_path=str(settings.instance_dir))
    # Twilio's webhook forms are a few kilobytes at most; anything far larger is refused (413).
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    logs.init_app(app)
    store = Store(engine, hasher, OptOutJournal(settings.instance_dir / JOURNAL_FILE))
    try:
        if store.replay_journal():
            log.warning("Opt-outs kept while the database was down are now in the database.")
    except SQLAlchemyError:
        log.warning("The database is not answering; journaled opt-outs wait.", exc_info=True)
    app.extensions["ivr"] = Line(
        settings=settings,
        content=content,
        store=store,
        bookkeeping=Bookkeeping(store),
        signatures=SignatureCheck(
            settings.twilio_auth_token, settings.public_url, settings.trust_proxy
        ),
        audio=catalogue.status,
        catalogue=catalogue,
    )
    if settings.trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1, x_port=1, x_prefix=1)  # type: ignore[method-assign]

    @app.before_request
    def _require_twilio_signature() -> None:
        if (request.content_length or 0) > MAX_REQUEST_BYTES:
            abort(413)  # before the signature check reads the form
        if request.path.startswith(WEBHOOK_PREFIXES):
            app.extensions["ivr"].signatures.require()

    from ivr import health
    from ivr.audio import views as audio_views
    from ivr.sms import views as sms_views
    from ivr.voice import views as voice_views

    app.register_blueprint(health.bp)
    app.register_blueprint(audio_views.bp)
    app.register_blueprint(voice_views.bp)
    app.register_blueprint(sms_views.bp)
    if settings.simulator:
        from ivr import simulator

        app.register_blueprint(simulator.bp)
    return app


def after_response(job: Callable[[], None]) -> None:
    """Run job once the response has been sent: a slow write never keeps Twilio waiting."""

    def run_safely() -> None:
        try:
            job()
        except Exception:
            log.warning("work after the response failed", exc_info=True)

    @after_this_request
    def _register(response: Response) -> Response:
        # Flask's request context is gone by then; the log lines keep the request's id.
        response.call_on_close(logs.keeping_request_id(run_safely))
        return response


def line() -> Line:
    """The running line's services, for use inside a request."""
    return current_app.extensions["ivr"]
