"""What the listen-online pages hold, and their HTML: pure, from the content and the catalogue.

No Flask here: the line's views and `ivr export-site` render the same pages, each saying only
where its stylesheet, its other pages and the recordings are.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, select_autoescape

from ivr.audio.catalogue import Catalogue
from ivr.content import SITES_TOPIC, Content, LanguageContent


@dataclass(frozen=True)
class Recording:
    """One thing said, at normal speed and slower: the files (en/x.mp3), None when not made."""

    name: str  # what it is a recording of, as the player is labelled ("Part 2")
    normal: str | None
    slow: str | None


@dataclass(frozen=True)
class Part:
    """One part of an answer: the fact sheet's words, and their recordings."""

    text: str
    recording: Recording


@dataclass(frozen=True)
class Answer:
    """One of the fact sheet's questions, its parts, and whether the sites table follows."""

    id: str
    title: str
    parts: tuple[Part, ...]
    has_table: bool


@dataclass(frozen=True)
class SitesRow:
    """A row of the sites table: a cancer type, its three sites, and its spoken sentence."""

    cancer: str
    sites: tuple[str, ...]  # most common first
    recording: Recording


@dataclass(frozen=True)
class ListenPage:
    """Everything one language's page shows."""

    language: LanguageContent
    answers: tuple[Answer, ...]
    table: tuple[SitesRow, ...]

    @property
    def files(self) -> tuple[str, ...]:
        """Every recording file the page plays, once each, in page order."""
        recordings = [p.recording for a in self.answers for p in a.parts]
        recordings += [row.recording for row in self.table]
        found = [f for r in recordings for f in (r.normal, r.slow) if f]
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class Links:
    """Where a rendered page finds the rest: its stylesheet, the other pages, the recordings."""

    stylesheet: str
    page: Callable[[str], str]  # language code -> that language's page
    audio: Callable[[str], str]  # recording file (en/x.mp3) -> its URL


def listen_page(content: Content, code: str, catalogue: Catalogue) -> ListenPage:
    """The page of one language: every answer, part by part, and the sites table."""
    language = content[code]

    def part(topic_id: str, number: int) -> Recording:
        name = language.web_text("part", number=str(number))
        return _recording(catalogue, code, f"topic.{topic_id}.{number}", name)

    answers = tuple(
        Answer(
            id=topic.id,
            title=topic.title,
            parts=tuple(Part(text, part(topic.id, n)) for n, text in enumerate(topic.parts, 1)),
            has_table=topic.id == SITES_TOPIC,
        )
        for topic in language.topics
    )
    table = tuple(
        SitesRow(
            cancer=_capitalized(cancer.name),
            sites=language.sites_of(cancer),
            recording=_recording(catalogue, code, f"sites.{cancer.id}", _capitalized(cancer.name)),
        )
        for cancer in language.cancers
    )
    return ListenPage(language, answers, table)


def render_page(page: ListenPage, others: tuple[LanguageContent, ...], links: Links) -> str:
    """One language's page as HTML; others are the languages it links to."""
    return (
        _templates()
        .get_template("page.html")
        .render(page=page, language=page.language, others=others, links=links, cap=_capitalized)
    )


def render_index(content: Content, links: Links) -> str:
    """The page that leads to each language's page, in its own language."""
    return (
        _templates()
        .get_template("index.html")
        .render(languages=tuple(content.languages.values()), links=links)
    )


def stylesheet() -> str:
    """The pages' stylesheet, the same file the line serves and the export writes."""
    loader = _templates().loader
    assert loader is not None
    source, _, _ = loader.get_source(_templates(), "listen.css")
    return source


@functools.cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("ivr.listen", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _recording(catalogue: Catalogue, code: str, audio_id: str, name: str) -> Recording:
    return Recording(name, catalogue.file(audio_id, code), catalogue.file(audio_id, code, True))


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]
