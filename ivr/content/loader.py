"""The loader: reads one YAML file per language into the content model, then checks them as
a whole, so a broken file stops start-up with a message naming the file, the id and the problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from ivr.content.checks import content_problems
from ivr.content.model import (
    LANGUAGES,
    Adaptation,
    Cancer,
    Content,
    ContentError,
    LanguageContent,
    Topic,
)

CONTENT_DIR = Path(__file__).resolve().parent
FACT_SHEET = CONTENT_DIR / "source" / "metastatic-cancer-fact-sheet.txt"


def load_content(directory: Path = CONTENT_DIR, fact_sheet: Path = FACT_SHEET) -> Content:
    """Load and validate every language's file; raise ContentError listing every problem."""
    problems: list[str] = []
    languages: dict[str, LanguageContent] = {}
    for code in LANGUAGES:
        path = directory / f"{code}.yaml"
        try:
            languages[code] = _parse_file(path, code)
        except ContentError as error:
            problems.extend(error.problems)
    if problems:
        raise ContentError(problems)
    problems = content_problems(languages, directory, fact_sheet)
    if problems:
        raise ContentError(problems)
    return Content(MappingProxyType(languages))


class _Reader:
    """Reads typed values out of parsed YAML, recording a problem for each bad one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def problem(self, where: str, what: str) -> None:
        self.problems.append(f"{self.path.name}: {where}: {what}")

    def text(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = data.get(key)
        if not isinstance(value, str | int | float) or not str(value).strip():
            self.problem(where, f"'{key}' is missing or empty.")
            return ""
        return " ".join(str(value).split())

    def texts(self, data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            self.problem(where, f"'{key}' must be a non-empty list.")
            return ()
        items = tuple(" ".join(str(item).split()) for item in value if item is not None)
        if len(items) != len(value) or not all(items):
            self.problem(where, f"'{key}' has an empty item.")
        for item in value:
            if isinstance(item, bool):
                # YAML reads a bare yes, no, on or off as true or false: quote the word.
                self.problem(where, f"'{key}' has {item!r}, not a word: write it in quotes.")
        return items

    def mapping(self, data: Mapping[str, Any], key: str, where: str) -> dict[str, str]:
        value = data.get(key)
        if value is None and key == "prompts":
            return {}
        if not isinstance(value, dict):
            self.problem(where, f"'{key}' must be a mapping of id to text.")
            return {}
        out = {}
        for item_id, text in value.items():
            if not isinstance(text, str | int | float) or not str(text).strip():
                self.problem(f"{key} {item_id}", "is empty.")
            else:
                out[str(item_id)] = " ".join(str(text).split())
        return out

    def word_lists(self, data: Mapping[str, Any], key: str) -> dict[str, tuple[str, ...]]:
        value = data.get(key)
        if not isinstance(value, dict) or not value:
            self.problem(key, "must be a mapping of id to a list of words.")
            return {}
        for item_id in value:
            if isinstance(item_id, bool):
                self.problem(key, f"{item_id!r} is not an id: write it in quotes.")
        return {str(item_id): self.texts(value, item_id, f"{key} {item_id}") for item_id in value}

    def records(self, data: Mapping[str, Any], key: str, where: str) -> list[dict[str, Any]]:
        value = data.get(key)
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.problem(where, f"'{key}' must be a list of entries.")
            return []
        return value


def _parse_file(path: Path, code: str) -> LanguageContent:
    """Parse one language file into a LanguageContent, or raise ContentError."""
    reader = _Reader(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError([f"{path.name}: the file is missing."]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ContentError([f"{path.name}: not valid YAML: {error}"]) from None
    if not isinstance(data, dict):
        raise ContentError([f"{path.name}: the file must be a mapping at the top level."])
    if data.get("language") != code:
        reader.problem("language", f"must be '{code}' to match the file name.")
    listening = (
        tuple(
            _adaptation(reader, entry, number)
            for number, entry in enumerate(reader.records(data, "listening", "listening"), 1)
        )
        if "listening" in data
        else ()
    )
    topics = tuple(
        _heard_by_listeners(_topic(reader, entry, number), listening)
        for number, entry in enumerate(reader.records(data, "topics", "topics"), 1)
    )
    sites: dict[str, Any] = data["sites"] if isinstance(data.get("sites"), dict) else {}
    if not sites:
        reader.problem("sites", "must be a mapping with 'names' and 'cancers'.")
    site_names = reader.mapping(sites, "names", "sites")
    cancers = tuple(
        _cancer(reader, entry, number, site_names)
        for number, entry in enumerate(reader.records(sites, "cancers", "sites"), 1)
    )
    language = LanguageContent(
        code=code,
        name=reader.text(data, "language_name", "language_name"),
        credit=reader.text(data, "credit", "credit"),
        numbers=MappingProxyType(reader.mapping(data, "numbers", "numbers")),
        key_points=reader.texts(data, "key_points", "key_points"),
        topics=topics,
        listening=listening,
        site_names=MappingProxyType(site_names),
        cancers=cancers,
        prompts=MappingProxyType(reader.mapping(data, "prompts", "prompts")),
        speech=MappingProxyType(reader.word_lists(data, "speech")),
        commands=MappingProxyType(reader.word_lists(data, "commands")),
        concerns=MappingProxyType(reader.word_lists(data, "concerns")),
        conjunctions=MappingProxyType(reader.mapping(data, "conjunctions", "conjunctions")),
        web=MappingProxyType(reader.mapping(data, "web", "web")),
    )
    if reader.problems:
        raise ContentError(reader.problems)
    return language


def _adaptation(reader: _Reader, entry: Mapping[str, Any], number: int) -> Adaptation:
    where = f"listening #{number}"
    part = entry.get("part")
    if not isinstance(part, int) or isinstance(part, bool) or part < 1:
        reader.problem(where, "'part' must be a part's number, from 1.")
        part = 1
    return Adaptation(
        topic_id=reader.text(entry, "topic", where),
        part=part,
        original=reader.text(entry, "original", where),
        spoken=reader.text(entry, "spoken", where),
        reason=reader.text(entry, "reason", where),
        terms=reader.texts(entry, "terms", where),
    )


def _heard_by_listeners(topic: Topic, listening: tuple[Adaptation, ...]) -> Topic:
    """The topic with its spoken parts: each adaptation's original replaced by its spoken."""
    spoken = list(topic.parts)
    for adaptation in listening:
        if adaptation.topic_id == topic.id and adaptation.part <= len(spoken):
            text = spoken[adaptation.part - 1]
            spoken[adaptation.part - 1] = text.replace(adaptation.original, adaptation.spoken)
    return replace(topic, spoken=tuple(spoken))


def _topic(reader: _Reader, entry: Mapping[str, Any], number: int) -> Topic:
    where = f"topic {entry.get('id') or f'#{number}'}"
    return Topic(
        id=reader.text(entry, "id", where),
        number=number,
        title=reader.text(entry, "title", where),
        label=reader.text(entry, "label", where),
        summary=reader.text(entry, "summary", where),
        keywords=reader.texts(entry, "keywords", where),
        speech_hints=reader.texts(entry, "speech_hints", where),
        parts=reader.texts(entry, "parts", where),
    )


def _cancer(
    reader: _Reader, entry: Mapping[str, Any], number: int, site_names: Mapping[str, str]
) -> Cancer:
    where = f"cancer {entry.get('id') or f'#{number}'}"
    sites = reader.texts(entry, "sites", where)
    if len(sites) != 3:
        reader.problem(where, "must list exactly three sites.")
    for site in sites:
        if site not in site_names:
            reader.problem(where, f"site '{site}' is not under sites.names.")
    return Cancer(
        id=reader.text(entry, "id", where),
        number=number,
        name=reader.text(entry, "name", where),
        synonyms=reader.texts(entry, "synonyms", where),
        sites=sites,
    )
