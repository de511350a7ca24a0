"""The content model: the line's words as frozen dataclasses, and `fold`, the form words match in.

Pure: no file is read here; `loader` builds these from the YAML files.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

LANGUAGES = ("en", "es")
# The answer after which callers and texters can ask for a type of cancer's sites.
SITES_TOPIC = "where-spread"
# What the concerns section of each file must name: distress first, then personal questions.
CONCERNS = ("distress", "personal")
TEXTED_ONLY = "sms_"  # prompts with ids starting so are never spoken
# A conjunction's form before a word that starts with the same vowel sound is listed in the
# content as "<conjunction>_before_<vowel>" ("and_before_i"), next to the plain form ("and").
BEFORE = "_before_"
_VOWELS = frozenset("aeiou")
# Unstressed i and u before another vowel are glides, a consonant sound, not the vowel.
_GLIDES = frozenset("iu")


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
    parts: tuple[str, ...]  # the fact sheet's words, as texts send them
    # The parts as callers hear them: the same, but where the fact sheet refers to its own
    # page (a table "from left to right"), said for a listener (see Adaptation).
    spoken: tuple[str, ...] = ()

    def spoken_part(self, number: int) -> str:
        """Part number (from 1) as a caller hears it."""
        return (self.spoken or self.parts)[number - 1]


@dataclass(frozen=True)
class Adaptation:
    """A sentence of an answer said for a listener, explicitly, beside the fact sheet's own."""

    topic_id: str
    part: int  # from 1
    original: str  # the sentence as the fact sheet (or its translation) writes it
    spoken: str  # what a caller hears instead
    reason: str  # why it is said otherwise
    terms: tuple[str, ...]  # the medical terms the spoken sentence keeps


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
    # Hard moments, recognised before anything but an opt-out: concern id (CONCERNS) -> phrases.
    concerns: Mapping[str, tuple[str, ...]]
    # How lists are joined: "and", "or", and the forms they take before a vowel sound.
    conjunctions: Mapping[str, str]
    # Sentences said for a listener where the fact sheet refers to its page.
    listening: tuple[Adaptation, ...] = ()
    # The words of the pages people read (/listen), never spoken or texted: id -> text.
    web: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def topic(self, topic_id: str) -> Topic:
        """The topic with this id."""
        return next(t for t in self.topics if t.id == topic_id)

    def cancer(self, cancer_id: str) -> Cancer:
        """The cancer type with this id."""
        return next(c for c in self.cancers if c.id == cancer_id)

    def prompt(self, prompt_id: str, **values: str) -> str:
        """The prompt with this id, its placeholders filled from values."""
        return self.prompts[prompt_id].format(**values)

    def web_text(self, text_id: str, **values: str) -> str:
        """The page text with this id, its placeholders filled from values."""
        return self.web[text_id].format(**values)

    def sites_of(self, cancer: Cancer) -> tuple[str, ...]:
        """The spoken names of a cancer type's three sites, most common first."""
        return tuple(self.site_names[site] for site in cancer.sites)

    def conjunction(self, name: str, following: str) -> str:
        """The conjunction `name` in the form the word following it asks for."""
        for key, form in self.conjunctions.items():
            conjunction, _, vowel = key.partition(BEFORE)
            if conjunction == name and vowel and starts_with_sound(following, vowel):
                return form
        return self.conjunctions[name]

    def sites_sentence(self, cancer: Cancer) -> str:
        """One sentence naming a cancer type's three most common sites of metastasis."""
        first, second, third = self.sites_of(cancer)
        values = {"cancer": cancer.name, "first": first, "second": second, "third": third}
        # The template's {and} stands just before {third}.
        return self.prompt("cancer_sites", **values, **{"and": self.conjunction("and", third)})

    def spoken(self) -> tuple[Spoken, ...]:
        """Every fixed text the phone line speaks, each with a stable id for its recording."""
        items = [Spoken("credit", self.credit, slow=False)]
        items += [
            Spoken(f"prompt.{prompt_id}", text, slow=False)
            for prompt_id, text in self.prompts.items()
            if not prompt_id.startswith(TEXTED_ONLY) and not placeholders(text)
        ]
        for topic in self.topics:
            items.append(Spoken(f"topic.{topic.id}.title", topic.title, slow=False))
            items += [
                Spoken(f"topic.{topic.id}.{n}", topic.spoken_part(n), slow=True)
                for n in range(1, len(topic.parts) + 1)
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


def starts_with_sound(text: str, vowel: str) -> bool:
    """True when text starts with the sound of a vowel: a silent h skipped, glides set apart."""
    word = fold(text).removeprefix("h")
    if not word.startswith(vowel):
        return False
    stressed = text.strip().lower().removeprefix("h")[:1] != vowel  # an accent: a full vowel
    glide = vowel in _GLIDES and not stressed and word[1:2] in _VOWELS
    return not glide


def placeholders(text: str) -> set[str]:
    """The names of the {placeholders} in a text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
