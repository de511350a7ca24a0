"""The line's words: the fact sheet's answers, the sites table and every prompt, in two languages.

Loaded from one YAML file per language into frozen dataclasses and validated as a whole, so a
broken file stops start-up with a message naming the file, the id and the problem.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from ivr.sms.segments import is_gsm7

CONTENT_DIR = Path(__file__).resolve().parent
FACT_SHEET = CONTENT_DIR / "source" / "metastatic-cancer-fact-sheet.txt"
LANGUAGES = ("en", "es")
SUMMARY_LIMITS = {"en": 230, "es": 150}
TOPIC_COUNT = 9
TEXTED_ONLY = "sms_"  # prompts with ids starting so are never spoken
CANCER_COUNT = 12
# The topic whose answer introduces the sites table. By text, with a cancer type it means that
# type's sites; by voice, after its answer the caller chooses a type of cancer.
SITES_TOPIC = "where-spread"


class ContentError(ValueError):
    """One or more problems in the content files, each naming file, id and problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Topic:
    """One of the fact sheet's nine questions and its answer."""

    id: str
    number: int
    title: str
    label: str
    summary: str
    keywords: tuple[str, ...]
    speech_hints: tuple[str, ...]
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Cancer:
    """A row of the sites table: a cancer type and its three most common sites of spread."""

    id: str
    number: int
    name: str
    synonyms: tuple[str, ...]
    sites: tuple[str, ...]


@dataclass(frozen=True)
class Spoken:
    """A fixed text the phone line speaks, with the id its recordings are filed under."""

    id: str
    text: str
    slow: bool  # whether a slower recording is made too (answers, not menus)


@dataclass(frozen=True)
class LanguageContent:
    """Everything the line says or texts in one language."""

    code: str
    name: str
    credit: str
    numbers: Mapping[str, str]
    key_points: tuple[str, ...]
    topics: tuple[Topic, ...]
    site_names: Mapping[str, str]
    cancers: tuple[Cancer, ...]
    prompts: Mapping[str, str]
    speech: Mapping[str, tuple[str, ...]]  # command id -> words a caller may say for it
    # Texted words that are not topics or cancer types: command id -> words (MORE, MENU, ...).
    commands: Mapping[str, tuple[str, ...]]

    def topic(self, topic_id: str) -> Topic:
        """The topic with this id."""
        return next(t for t in self.topics if t.id == topic_id)

    def cancer(self, cancer_id: str) -> Cancer:
        """The cancer type with this id."""
        return next(c for c in self.cancers if c.id == cancer_id)

    def prompt(self, prompt_id: str, **values: str) -> str:
        """The prompt with this id, its placeholders filled from values."""
        return self.prompts[prompt_id].format(**values)

    def sites_of(self, cancer: Cancer) -> tuple[str, ...]:
        """The spoken names of a cancer type's three sites, most common first."""
        return tuple(self.site_names[site] for site in cancer.sites)

    def sites_sentence(self, cancer: Cancer) -> str:
        """One sentence naming a cancer type's three most common sites of metastasis."""
        first, second, third = self.sites_of(cancer)
        return self.prompt(
            "cancer_sites", cancer=cancer.name, first=first, second=second, third=third
        )

    def spoken(self) -> tuple[Spoken, ...]:
        """Every fixed text the phone line speaks, each with a stable id for its recording."""
        items = [Spoken("credit", self.credit, slow=False)]
        items += [
            Spoken(f"prompt.{prompt_id}", text, slow=False)
            for prompt_id, text in self.prompts.items()
            if not prompt_id.startswith(TEXTED_ONLY) and not _placeholders(text)
        ]
        for topic in self.topics:
            items.append(Spoken(f"topic.{topic.id}.title", topic.title, slow=False))
            items += [
                Spoken(f"topic.{topic.id}.{n}", part, slow=True)
                for n, part in enumerate(topic.parts, 1)
            ]
        items += [
            Spoken(f"sites.{cancer.id}", self.sites_sentence(cancer), slow=True)
            for cancer in self.cancers
        ]
        return tuple(items)


@dataclass(frozen=True)
class Content:
    """The content in every language the line speaks."""

    languages: Mapping[str, LanguageContent]

    def __getitem__(self, code: str) -> LanguageContent:
        return self.languages[code]


def fold(text: str) -> str:
    """Lowercase, without accents or punctuation, spaces collapsed: the form words match in."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", plain.lower()).split())


def fact_sheet_form(text: str) -> str:
    """Text with spacing, bullets, curly quotes and the registered sign set aside."""
    for curly, straight in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(curly, straight)
    text = text.replace("\u2022", " ").replace("\u00ae", "")
    return " ".join(text.split())


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
    for code, language in languages.items():
        problems.extend(_check_counts(language, directory / f"{code}.yaml"))
    problems.extend(_compare_languages(languages))
    problems.extend(_check_keywords(languages))
    problems.extend(_check_english(languages["en"], fact_sheet, directory / "en.yaml"))
    for code, language in languages.items():
        problems.extend(_check_summaries(language, directory / f"{code}.yaml"))
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
    topics = tuple(
        _topic(reader, entry, number)
        for number, entry in enumerate(reader.records(data, "topics", "topics"), 1)
    )
    sites = data.get("sites") if isinstance(data.get("sites"), dict) else {}
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
        site_names=MappingProxyType(site_names),
        cancers=cancers,
        prompts=MappingProxyType(reader.mapping(data, "prompts", "prompts")),
        speech=MappingProxyType(reader.word_lists(data, "speech")),
        commands=MappingProxyType(reader.word_lists(data, "commands")),
    )
    if reader.problems:
        raise ContentError(reader.problems)
    return language


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


def _check_counts(language: LanguageContent, path: Path) -> list[str]:
    problems = []
    for kind, items, expected in (
        ("topics", language.topics, TOPIC_COUNT),
        ("cancers", language.cancers, CANCER_COUNT),
    ):
        if len(items) != expected:
            problems.append(f"{path.name}: {kind}: there must be {expected}, not {len(items)}.")
        ids = [item.id for item in items]
        for item_id in sorted({i for i in ids if ids.count(i) > 1}):
            problems.append(f"{path.name}: {kind} {item_id}: the id is used twice.")
    return problems


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _compare_languages(languages: Mapping[str, LanguageContent]) -> list[str]:
    """Every language must carry the same ids, sites and placeholders as English."""
    english = languages["en"]
    problems = []
    for code, other in languages.items():
        if code == "en":
            continue
        name = f"{code}.yaml"
        for kind, mine, theirs in (
            ("topics", [t.id for t in english.topics], [t.id for t in other.topics]),
            ("cancers", [c.id for c in english.cancers], [c.id for c in other.cancers]),
            ("sites.names", sorted(english.site_names), sorted(other.site_names)),
            ("numbers", sorted(english.numbers), sorted(other.numbers)),
            ("prompts", sorted(english.prompts), sorted(other.prompts)),
            ("speech", sorted(english.speech), sorted(other.speech)),
            ("commands", sorted(english.commands), sorted(other.commands)),
        ):
            for missing in [i for i in mine if i not in theirs]:
                problems.append(f"{name}: {kind} {missing}: is in en.yaml but missing here.")
            for extra in [i for i in theirs if i not in mine]:
                problems.append(f"{name}: {kind} {extra}: is not in en.yaml.")
            if set(mine) == set(theirs) and mine != theirs:
                problems.append(f"{name}: {kind}: must be in the same order as in en.yaml.")
        for cancer in english.cancers:
            theirs_cancer = next((c for c in other.cancers if c.id == cancer.id), None)
            if theirs_cancer and theirs_cancer.sites != cancer.sites:
                problems.append(f"{name}: cancer {cancer.id}: sites differ from en.yaml.")
        for topic in english.topics:
            theirs_topic = next((t for t in other.topics if t.id == topic.id), None)
            if theirs_topic and len(theirs_topic.parts) != len(topic.parts):
                problems.append(
                    f"{name}: topic {topic.id}: has {len(theirs_topic.parts)} parts, "
                    f"en.yaml has {len(topic.parts)}."
                )
        for prompt_id, text in english.prompts.items():
            if prompt_id in other.prompts and _placeholders(text) != _placeholders(
                other.prompts[prompt_id]
            ):
                problems.append(
                    f"{name}: prompt {prompt_id}: placeholders differ from en.yaml "
                    f"({sorted(_placeholders(text))})."
                )
    return problems


def _check_keywords(languages: Mapping[str, LanguageContent]) -> list[str]:
    """No word, in either language, may pick two different topics, cancer types or commands."""
    owners: dict[str, tuple[str, str]] = {}
    problems = []
    for code, language in languages.items():
        entries = [(f"topic {t.id}", t.keywords) for t in language.topics]
        entries += [(f"cancer {c.id}", c.synonyms) for c in language.cancers]
        entries += [(f"command {name}", words) for name, words in language.commands.items()]
        for owner, words in entries:
            for word in words:
                key = fold(word)
                if not key:
                    problems.append(f"{code}.yaml: {owner}: '{word}' has no letters.")
                    continue
                first = owners.setdefault(key, (owner, code))
                if first[0] != owner:
                    problems.append(
                        f"{code}.yaml: {owner}: keyword '{word}' also belongs to "
                        f"{first[0]} in {first[1]}.yaml."
                    )
    return problems


def _check_english(english: LanguageContent, fact_sheet: Path, path: Path) -> list[str]:
    """English answers must be the fact sheet's own words; summaries are quotations of it."""
    source = fact_sheet_form(fact_sheet.read_text(encoding="utf-8"))
    key_points = fact_sheet_form(" ".join(english.key_points))
    problems = []
    sections = _sections(english, source)
    for topic in english.topics:
        for index, part in enumerate(topic.parts, 1):
            if fact_sheet_form(part) not in source:
                problems.append(
                    f"{path.name}: topic {topic.id}: part {index} is not in the fact sheet "
                    f"word for word: {part[:60]!r}..."
                )
        # A summary quotes this topic's own answer, or the key points: never words from
        # elsewhere on the page that would change what the answer says.
        own = sections.get(topic.id, "") + " " + key_points
        for piece in topic.summary.split("..."):
            if piece.strip() and fact_sheet_form(piece) not in own:
                problems.append(
                    f"{path.name}: topic {topic.id}: summary words not in this topic's answer "
                    f"or the key points: {piece.strip()[:60]!r}"
                )
        if not is_gsm7(topic.summary):
            problems.append(f"{path.name}: topic {topic.id}: summary has characters outside GSM-7.")
    return problems


def _sections(english: LanguageContent, source: str) -> dict[str, str]:
    """Each topic's stretch of the fact sheet: from its question to the next one."""
    starts = [(source.find(fact_sheet_form(t.title)), t.id) for t in english.topics]
    end = source.find("Selected References")
    bounds = [start for start, _ in starts[1:]] + [end if end > 0 else len(source)]
    return {
        topic_id: source[start:stop]
        for (start, topic_id), stop in zip(starts, bounds, strict=True)
        if start >= 0
    }


def _check_summaries(language: LanguageContent, path: Path) -> list[str]:
    limit = SUMMARY_LIMITS[language.code]
    return [
        f"{path.name}: topic {topic.id}: summary is {len(topic.summary)} characters; "
        f"the limit is {limit}."
        for topic in language.topics
        if len(topic.summary) > limit
    ]
