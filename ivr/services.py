"""Everything a request needs, built once by create_app, and how a view reaches it.

Blueprints import this module, never the factory: the factory imports them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Response, after_this_request, current_app

from ivr import logs

if TYPE_CHECKING:  # the types only: these modules import this one
    from ivr.audio.catalogue import AudioStatus, Catalogue
    from ivr.bookkeeping import Bookkeeping
    from ivr.config import Settings
    from ivr.content import Content
    from ivr.language import LanguageGuesser
    from ivr.report.access import ReportAccess
    from ivr.security import SignatureCheck
    from ivr.simulator.outbox import Outbox
    from ivr.sms.service import SmsService
    from ivr.store import Store
    from ivr.texting import Texter
    from ivr.voice.service import VoiceService

EXTENSION = "ivr"  # the one key the line keeps in app.extensions
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
    voice: VoiceService  # the call's vocabularies and caches
    sms: SmsService  # the texting line's words, replies and rate limit
    guesser: LanguageGuesser  # the language of a message or of a caller's words, when clear
    texter: Texter | None  # the line's own texts; None when sending is not set up
    outbox: Outbox | None  # the simulator's stand-in for Twilio's Messages API, when it is on
    report_access: ReportAccess | None = None  # /report's password check; None: it is closed


def line() -> Line:
    """The running line's services, for use inside a request."""
    services: Line = current_app.extensions[EXTENSION]
    return services


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
