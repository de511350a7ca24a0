"""GET /listen and `ivr export-site`: every answer to read and hear; anything else is 404."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from ivr import create_app
from ivr.cli import main
from ivr.config import REPO_ROOT
from ivr.content import LANGUAGES, load_content

CONTENT = load_content()


@pytest.fixture
def listen_app(config: dict[str, Any]) -> Flask:
    return create_app(config | {"AUDIO_DIR": str(REPO_ROOT / "audio")})


@pytest.fixture
def listen(listen_app: Flask) -> FlaskClient:
    return listen_app.test_client()


class _Elements(HTMLParser):
    """Every start tag of a page with its attributes, and the text inside each <p>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.paragraphs: list[str] = []
        self._in_p = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "p":
            self._in_p = True
            self.paragraphs.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in_p = False

    def handle_data(self, data: str) -> None:
        if self._in_p:
            self.paragraphs[-1] += data


def elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_answer_with_both_recordings(listen: FlaskClient, code: str) -> None:
    response = listen.get(f"/listen/{code}/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = elements(response.get_data(as_text=True))
    language = CONTENT[code]
    assert page.tags[0] == ("html", {"lang": code})
    paragraphs = [" ".join(p.split()) for p in page.paragraphs]
    audio = [attrs for tag, attrs in page.tags if tag == "audio"]
    parts = sum(len(t.parts) for t in language.topics)
    # Every part and every row of the sites table, at normal speed and slower.
    assert len(audio) == 2 * (parts + len(language.cancers))
    assert all(a["preload"] == "none" and "controls" in a for a in audio)
    for topic in language.topics:
        for part in topic.parts:
            assert part in paragraphs  # the fact sheet's words, as texts send them
    headings = [tag for tag, _ in page.tags if re.fullmatch(r"h[1-6]", tag)]
    assert headings.count("h1") == 1 and headings.count("h2") == len(language.topics) + 2
    assert ("a", {"class": "skip", "href": "#answers"}) in page.tags
    assert language.credit in paragraphs


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_sites_table_is_a_table(listen: FlaskClient, code: str) -> None:
    html = listen.get(f"/listen/{code}/").get_data(as_text=True)
    table = re.search(r"<table.*?</table>", html, re.S)
    assert table is not None
    root = ElementTree.fromstring(table.group(0))
    assert [th.get("scope") for th in root.findall("./thead/tr/th")] == ["col", "col"]
    rows = root.findall("./tbody/tr")
    language = CONTENT[code]
    assert len(rows) == len(language.cancers)
    for row, cancer in zip(rows, language.cancers, strict=True):
        assert row.find("th").get("scope") == "row"  # type: ignore[union-attr]
        sites = ", ".join(language.sites_of(cancer))
        assert (row.find("td").text or "").lower() == sites.lower()  # type: ignore[union-attr]


def test_the_other_language_is_marked_as_such(listen: FlaskClient) -> None:
    english = elements(listen.get("/listen/en/").get_data(as_text=True))
    assert ("a", {"href": "../es/", "hreflang": "es", "lang": "es"}) in english.tags
    spanish = elements(listen.get("/listen/es/").get_data(as_text=True))
    assert ("a", {"href": "../en/", "hreflang": "en", "lang": "en"}) in spanish.tags
    index = elements(listen.get("/listen/").get_data(as_text=True))
    assert ("section", {"class": "choice", "lang": "es", "aria-labelledby": "title-es"}) in (
        index.tags
    )


def test_recordings_link_to_the_lines_audio_and_play(listen: FlaskClient) -> None:
    page = elements(listen.get("/listen/es/").get_data(as_text=True))
    sources = [attrs["src"] or "" for tag, attrs in page.tags if tag == "audio"]
    assert all(s.startswith("../../audio/es/") for s in sources)
    first = listen.get(urljoin("/listen/es/", sources[0]))
    assert first.status_code == 200 and first.mimetype == "audio/mpeg"
    slow = [s for s in sources if "-slow-" in s]
    assert len(slow) == len(sources) // 2


def test_a_cdn_serves_the_recordings(config: dict[str, Any]) -> None:
    cdn = "https://cdn.example.net/ivr"
    app = create_app(config | {"AUDIO_DIR": str(REPO_ROOT / "audio"), "AUDIO_BASE_URL": cdn})
    page = elements(app.test_client().get("/listen/en/").get_data(as_text=True))
    sources = [attrs["src"] or "" for tag, attrs in page.tags if tag == "audio"]
    assert sources and all(s.startswith(cdn + "/en/") for s in sources)


def test_without_recordings_the_page_says_so(client: FlaskClient) -> None:
    response = client.get("/listen/en/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<audio" not in html
    assert html.count(CONTENT["en"].web["no_recording"]) == sum(
        len(t.parts) for t in CONTENT["en"].topics
    ) + len(CONTENT["en"].cancers)


@pytest.mark.parametrize(
    "path",
    [
        "/listen/fr/",
        "/listen/EN/",
        "/listen/en/../../etc/passwd",
        "/listen/en/%2e%2e/%2e%2e/audio/manifest.json",
        "/listen/../audio/manifest.json",
        "/listen/en/topic.what-is.1.mp3",
        "/listen/static/../../app.py",
        "/audio/en/../../pyproject.toml",
        "/audio/en/..%2f..%2fpyproject.toml",
        "/audio/xx/anything.mp3",
    ],
)
def test_unknown_languages_and_paths_are_404(listen: FlaskClient, path: str) -> None:
    assert listen.get(path).status_code == 404


def test_no_trailing_slash_redirects(listen: FlaskClient) -> None:
    response = listen.get("/listen/es")
    assert response.status_code == 308 and response.location.endswith("/listen/es/")


def test_the_stylesheet(listen: FlaskClient) -> None:
    response = listen.get("/listen/listen.css")
    assert response.status_code == 200 and response.mimetype == "text/css"


def test_export_site_writes_pages_and_recordings(tmp_path: Path) -> None:
    target = tmp_path / "site"
    result = CliRunner().invoke(main, ["export-site", str(target)], env={})
    assert result.exit_code == 0, result.output
    assert (target / "index.html").is_file() and (target / "listen.css").is_file()
    for code in LANGUAGES:
        page = elements((target / code / "index.html").read_text(encoding="utf-8"))
        sources = [attrs["src"] or "" for tag, attrs in page.tags if tag == "audio"]
        assert sources and all(s.startswith(f"../audio/{code}/") for s in sources)
        for source in sources:
            assert (target / code / source).resolve().is_file(), source
    written = list((target / "audio").rglob("*.mp3"))
    assert f"{len(written)} recordings" in result.output
