"""What a caller said: speech matched to a command, a topic or a type of cancer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ivr.content import Content, LanguageContent, fold

# Twilio's limit on the number of hints, and on the length of one hint.
MAX_HINTS = 500
MAX_HINT_LENGTH = 100


@dataclass(frozen=True)
class Heard:
    """What a phrase in speech stands for: ("command", id), ("topic", id) or ("cancer", id)."""

    kind: str
    id: str


@dataclass(frozen=True)
class Vocabulary:
    """Every phrase a caller may say in one language, longest first, and the Gather hints."""

    phrases: tuple[tuple[str, Heard], ...]
    hints: str

    def match(self, speech: str) -> Heard | None:
        """The meaning of the longest known phrase found, as whole words, in speech."""
        spoken = f" {fold(speech)} "
        for phrase, heard in self.phrases:
            if f" {phrase} " in spoken:
                return heard
        return None


def vocabulary(language: LanguageContent, other: LanguageContent) -> Vocabulary:
    """The phrases of one language (plus the other's words for switching language)."""
    entries: list[tuple[str, Heard]] = []
    for command, words in language.speech.items():
        entries += [(word, Heard("command", command)) for word in words]
    for switch in ("english", "spanish"):
        entries += [(word, Heard("command", switch)) for word in other.speech.get(switch, ())]
    for topic in language.topics:
        entries += [
            (word, Heard("topic", topic.id)) for word in topic.speech_hints + topic.keywords
        ]
    for cancer in language.cancers:
        entries += [(word, Heard("cancer", cancer.id)) for word in cancer.synonyms + (cancer.name,)]
    seen: dict[str, Heard] = {}
    for word, heard in entries:
        # The first meaning given to a phrase wins: commands, then topics, then cancers.
        seen.setdefault(fold(word), heard)
    # The phrase with the most words wins ("how does cancer spread" over "spread"); between
    # phrases of as many words, a topic or a type of cancer over a command.
    phrases = tuple(
        sorted(
            seen.items(),
            key=lambda item: (-len(item[0].split()), item[1].kind == "command", -len(item[0])),
        )
    )
    hints = _hints(word for word, _ in entries)
    return Vocabulary(phrases, hints)


def vocabularies(content: Content) -> Mapping[str, Vocabulary]:
    """A vocabulary for each language, plus "" for the bilingual welcome."""
    english, spanish = content["en"], content["es"]
    welcome = Vocabulary(
        phrases=tuple(
            (fold(word), Heard("command", command))
            for language in (english, spanish)
            for command in ("english", "spanish", "person")
            for word in language.speech[command]
        ),
        hints=_hints(
            word
            for language in (english, spanish)
            for command in ("english", "spanish")
            for word in language.speech[command]
        ),
    )
    return MappingProxyType(
        {"en": vocabulary(english, spanish), "es": vocabulary(spanish, english), "": welcome}
    )


def _hints(words: object) -> str:
    unique: list[str] = []
    for word in words:  # type: ignore[attr-defined]
        hint = str(word).strip("¿?¡!").replace(",", "")[:MAX_HINT_LENGTH]
        if hint not in unique:
            unique.append(hint)
    return ", ".join(unique[:MAX_HINTS])
