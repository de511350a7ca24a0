"""The application factory: settings, content, store and webhooks wired into one Flask app."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, abort, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from ivr import health, logs, simulator
from ivr.audio import views as audio_views
from ivr.audio.catalogue import load_catalogue
from ivr.bookkeeping import Bookkeeping
from ivr.config import Settings
from ivr.content import load_content
from ivr.journal import JOURNAL_FILE, OptOutJournal
from ivr.language import LanguageGuesser
from ivr.listen import views as listen_views
from ivr.report import views as report_views
from ivr.report.access import ReportAccess
from ivr.security import WEBHOOK_PREFIXES, NumberHasher, SignatureCheck, load_hash_secret
from ivr.services import EXTENSION, Line
from ivr.simulator.outbox import Outbox
from ivr.sms import views as sms_views
from ivr.sms.service import SmsService
from ivr.store import Store, create_engine, upgrade_schema
from ivr.texting import Texter
from ivr.voice import views as voice_views
from ivr.voice.service import VoiceService
from ivr.voice.steps import end_calls

MAX_REQUEST_BYTES = 64 * 1024
log = logging.getLogger(__name__)


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
    guesser = LanguageGuesser.build(content)
    bookkeeping = Bookkeeping(
        store,
        prune=functools.partial(store.prune_expired, settings.event_retention_days),
        prepare=functools.partial(end_calls, earlier=store.calls_events),
    )
    sms = SmsService.build(content, settings, guesser, catalogue, record=bookkeeping.record)
    services = Line(
        settings=settings,
        content=content,
        store=store,
        bookkeeping=bookkeeping,
        signatures=SignatureCheck(
            settings.twilio_auth_token, settings.public_url, settings.trust_proxy
        ),
        audio=catalogue.status,
        catalogue=catalogue,
        voice=VoiceService.build(content, settings, catalogue),
        sms=sms,
        guesser=guesser,
        texter=Texter(settings, store, sms.limit) if settings.sms_sending_enabled else None,
        outbox=Outbox() if settings.simulator else None,
        report_access=ReportAccess(settings.report_password) if settings.report_password else None,
    )
    app.extensions[EXTENSION] = services
    if settings.trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1, x_port=1, x_prefix=1)  # type: ignore[method-assign]

    @app.before_request
    def _require_twilio_signature() -> None:
        if (request.content_length or 0) > MAX_REQUEST_BYTES:
            abort(413)  # before the signature check reads the form
        if request.path.startswith(WEBHOOK_PREFIXES):
            services.signatures.require()

    app.register_blueprint(health.bp)
    app.register_blueprint(audio_views.bp)
    app.register_blueprint(listen_views.bp)
    app.register_blueprint(voice_views.bp)
    app.register_blueprint(sms_views.bp)
    app.register_blueprint(report_views.bp)
    if settings.simulator:
        app.register_blueprint(simulator.bp)
    return app
