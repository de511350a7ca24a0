"""Hard moments in a message or a caller's words: distress, or a question about oneself.

Pure: ConcernWords is built once from the content's `concerns` phrases of both languages and
finds the longest one in a text, as whole words without case, accents or punctuation. Both
channels ask it first, after an opt-out and before any topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ivr.content import Content, fold


class Concern(StrEnum):
    """What a hard moment is; the values are the content's concern ids and the event kinds."""

    DISTRESS = "distress"  # suicide, self-harm, not wanting to live, an emergency
    PERSONAL = "personal"  # prognosis, time, cure, one's own results or medicines


@dataclass(frozen=True)
class Found:
    """A concern found in a text, and the language its phrase is written in (None: both)."""

    concern: Concern
    language: str | None


@dataclass(frozen=True)
class ConcernWords:
    """Every concern phrase of both languages, folded, the longest first."""

    phrases: tuple[tuple[str, Found], ...]

    @classmethod
    def from_content(cls, content: Content) -> ConcernWords:
        """The phrases of every language; one written alike in both knows no single language."""
        languages: dict[tuple[str, Concern], set[str]] = {}
        for code, language in content.languages.items():
            for concern_id, phrases in language.concerns.items():
                for phrase in phrases:
                    languages.setdefault((fold(phrase), Concern(concern_id)), set()).add(code)
        found = [
            (phrase, Found(concern, next(iter(codes)) if len(codes) == 1 else None))
            for (phrase, concern), codes in languages.items()
        ]
        # The most words first: "no quiero morir" (afraid) before "quiero morir" (distress);
        # between phrases of as many words, distress first.
        found.sort(
            key=lambda item: (
                -len(item[0].split()),
                item[1].concern is not Concern.DISTRESS,
                -len(item[0]),
            )
        )
        return cls(tuple(found))

    def find(self, text: str) -> Found | None:
        """The concern of the longest phrase found in text, or None."""
        words = f" {fold(text)} "
        for phrase, found in self.phrases:
            if f" {phrase} " in words:
                return found
        return None
