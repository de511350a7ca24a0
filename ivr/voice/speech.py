"""What a caller said: speech matched to a command, a topic or a type of cancer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ivr.concerns import Concern, ConcernWords
from ivr.content import Content, ContentError, LanguageContent, fold
from ivr.voice.protocol import CancerAsked, Command, TopicAsked

# Twilio's limit on the number of hints, and on the length of one hint.
MAX_HINTS = 500
MAX_HINT_LENGTH = 100


# What a phrase in speech can stand for (a numbered choice is made with keys only).
Said = Command | TopicAsked | CancerAsked | Concern


@dataclass(frozen=True)
class SpeechVocabulary:
    """Every phrase a caller may say in one language, longest first, and the Gather hints."""

    phrases: tuple[tuple[str, Said], ...]
    hints: str
    concerns: ConcernWords  # of both languages, heard before anything else

    def match(self, speech: str) -> Said | None:
        """A concern if there is one, else the meaning of the longest known phrase found."""
        found = self.concerns.find(speech)
        if found:
            return found.concern
        spoken = f" {fold(speech)} "
        for phrase, heard in self.phrases:
            if f" {phrase} " in spoken:
                return heard
        return None


def vocabulary(
    language: LanguageContent, other: LanguageContent, concerns: ConcernWords
) -> SpeechVocabulary:
    """The phrases of one language (plus the other's words for switching language)."""
    entries: list[tuple[str, Said]] = []
    for command, words in _commands(language).items():
        entries += [(word, command) for word in words]
    for switch in (Command.ENGLISH, Command.SPANISH):
        entries += [(word, switch) for word in _commands(other).get(switch, ())]
    for topic in language.topics:
        asked = TopicAsked(topic.id)
        entries += [(word, asked) for word in topic.speech_hints + topic.keywords]
    for cancer in language.cancers:
        named = CancerAsked(cancer.id)
        entries += [(word, named) for word in cancer.synonyms + (cancer.name,)]
    seen: dict[str, Said] = {}
    for word, heard in entries:
        # The first meaning given to a phrase wins: commands, then topics, then cancers.
        seen.setdefault(fold(word), heard)
    # The phrase with the most words wins ("how does cancer spread" over "spread"); between
    # phrases of as many words, a topic or a type of cancer over a command.
    phrases = tuple(
        sorted(
            seen.items(),
            key=lambda item: (
                -len(item[0].split()),
                isinstance(item[1], Command),
                -len(item[0]),
            ),
        )
    )
    hints = _hints(word for word, _ in entries)
    return SpeechVocabulary(phrases, hints, concerns)


def vocabularies(content: Content) -> Mapping[str, SpeechVocabulary]:
    """A vocabulary for each language, plus "" for the bilingual welcome."""
    english, spanish = content["en"], content["es"]
    concerns = ConcernWords.from_content(content)
    languages = (_commands(english), _commands(spanish))
    welcome = SpeechVocabulary(
        phrases=tuple(
            (fold(word), command)
            for commands in languages
            for command in (Command.ENGLISH, Command.SPANISH, Command.PERSON)
            for word in commands[command]
        ),
        hints=_hints(
            word
            for commands in languages
            for command in (Command.ENGLISH, Command.SPANISH)
            for word in commands[command]
        ),
        concerns=concerns,
    )
    return MappingProxyType(
        {
            "en": vocabulary(english, spanish, concerns),
            "es": vocabulary(spanish, english, concerns),
            "": welcome,
        }
    )


def _commands(language: LanguageContent) -> dict[Command, tuple[str, ...]]:
    """The content's speech words by command; an id that names no command is a content error."""
    try:
        return {Command(command): words for command, words in language.speech.items()}
    except ValueError as error:
        raise ContentError([f"{language.code}.yaml: speech: {error}"]) from None


def _hints(words: Iterable[str]) -> str:
    unique: list[str] = []
    for word in words:
        hint = str(word).strip("¿?¡!").replace(",", "")[:MAX_HINT_LENGTH]
        if hint not in unique:
            unique.append(hint)
    return ", ".join(unique[:MAX_HINTS])
