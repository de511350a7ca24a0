"""GET /audio/<lang>/<file>: the recordings, for Twilio's <Play>, with no signature required.

Twilio fetches audio with a plain GET, so this lives outside /voice and /sms. Only files the
manifest listed at start-up are served; their names carry their hash, so they never change.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, send_from_directory

from ivr.services import line

bp = Blueprint("audio", __name__, url_prefix="/audio")
ONE_YEAR = 365 * 24 * 60 * 60


@bp.get("/<language>/<name>")
def recording(language: str, name: str) -> Response:
    """One recording as audio/mpeg, cacheable for a year, with ETag, 304 and byte ranges."""
    services = line()
    file = f"{language}/{name}"
    etag = services.catalogue.etag(file)
    if etag is None:
        abort(404)
    response = send_from_directory(
        services.settings.audio_dir,
        file,
        mimetype="audio/mpeg",
        etag=etag,
        max_age=ONE_YEAR,
        conditional=True,
    )
    response.cache_control.immutable = True
    return response
