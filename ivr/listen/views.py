"""GET /listen: the listen-online pages, public, with no signature and no JavaScript."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from ivr.listen.pages import Links, listen_page, render_index, render_page, stylesheet
from ivr.services import Line, line

bp = Blueprint("listen", __name__, url_prefix="/listen")
ONE_HOUR = 60 * 60


@bp.get("/")
def index() -> Response:
    """The way in: each language's page, named in its own language."""
    return _html(render_index(line().content, _links(line(), "")))


@bp.get("/<language>/")
def page(language: str) -> Response:
    """One language's page: every answer, the sites table, and the recordings at two speeds."""
    services = line()
    if language not in services.content.languages:
        abort(404)
    others = tuple(c for code, c in services.content.languages.items() if code != language)
    listen = listen_page(services.content, language, services.catalogue)
    return _html(render_page(listen, others, _links(services, "../")))


@bp.get("/listen.css")
def css() -> Response:
    """The pages' stylesheet."""
    return _cached(Response(stylesheet(), mimetype="text/css"))


def _links(services: Line, up: str) -> Links:
    # Recordings on a CDN are linked there; else to this server's /audio, relative to the page
    # so that it works under any host name or proxy prefix.
    base = (services.settings.audio_base_url or f"{up}../audio").rstrip("/")
    return Links(
        stylesheet=f"{up}listen.css",
        page=lambda code: f"{up}{code}/",
        audio=lambda file: f"{base}/{file}",
    )


def _html(text: str) -> Response:
    return _cached(Response(text, mimetype="text/html"))


def _cached(response: Response) -> Response:
    response.cache_control.public = True
    response.cache_control.max_age = ONE_HOUR
    return response
