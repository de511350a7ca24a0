"""GET /healthz: whether the content, the store and the audio are in order."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from ivr.services import line

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Report content, store and audio status as JSON; 'degraded' when the store is down."""
    services = line()
    store_ok = services.store.ping()
    return jsonify(
        status="ok" if store_ok else "degraded",
        content={
            code: {"topics": len(lang.topics), "cancers": len(lang.cancers)}
            for code, lang in services.content.languages.items()
        },
        store="ok" if store_ok else "unavailable",
        audio=services.audio.as_dict(),
    )
