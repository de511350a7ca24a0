"""What a text message asks for: a topic, a cancer type, a command, an opt-out or opt-in.

Pure: a TextVocabulary is built once from the content; match_keyword then reads one message in
microseconds, ignoring case, accents, punctuation and small typos, in either language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from rapidfuzz import fuzz, process

from ivr.concerns import Concern, ConcernWords
from ivr.content import SITES_TOPIC, Content, ContentError, fold
from ivr.language import ORDINARY_WORDS

# rapidfuzz's ratio (100 = the same) a typed word needs to count as a keyword: one slip in a
# word of six letters or more passes ("symtoms", "brest", "tratamento"), while "color" for
# "colon" (80) and "cancer" for "cancel" (83) do not.
FUZZY_THRESHOLD = 85
# Shorter words are taken only as written: one letter off "lung" or "where" is another word.
FUZZY_MIN_LETTERS = 5
# Typos are looked for only in short messages; a long one is matched on exact words alone,
# which keeps the cost of a 2,000-character message bounded.
FUZZY_MAX_WORDS = 12
# How much of a message is read at all: a question names its subject early.
MAX_WORDS = 40
MAX_CHARACTERS = 400
# The similarity a word needs to be offered back as "Did you mean ...?": one slip in a word of
# four letters ("lugn" for "lung") or more.
HINT_THRESHOLD = 75
HINT_MIN_LETTERS = 4
# Phrases with more words than this are not looked for (the longest speech hint has six).
MAX_PHRASE_WORDS = 6

# The opt-out and opt-in words are fixed here, not in the content files: the FCC's 2024 rule
# (stop, quit, end, revoke, opt out, cancel, unsubscribe) and Twilio's default opt-out handling
# decide them, and no edit of the words the line says may drop one. Each word maps to the
# language its confirmation is written in.
OPT_OUT_WORDS = {
    "stop": "en",
    "stopall": "en",
    "stop all": "en",
    "unsubscribe": "en",
    "cancel": "en",
    "end": "en",
    "quit": "en",
    "revoke": "en",
    "optout": "en",
    "opt out": "en",
    "parar": "es",
    "alto": "es",
    "cancelar": "es",
    "detener": "es",
    "no mas": "es",
    "no more": "en",
}
OPT_IN_WORDS = {
    "start": "en",
    "yes": "en",
    "unstop": "en",
    "si": "es",
    "comenzar": "es",
    "iniciar": "es",
}
# The messages Twilio itself acts on (the whole body, any case): it blocks the number and
# sends its own confirmation, so a reply of ours to these would only be refused.
TWILIO_OPT_OUT = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
# Words that may surround an opt-out word ("please stop texting me") without changing it.
OPT_OUT_COURTESY = frozenset(
    "please pls plz now me it texting texts text messages msgs sending thanks thank you "
    "messaging message send these them this anymore my subscription from us all your line "
    "number por favor ya mensajes mensaje gracias ahora envien enviar".split()
)
# A typo of an opt-out word still opts out ("stopp", "unsubscibe"), but only this close:
# "cancer" (83 against "cancel") must never opt anyone out.
OPT_OUT_THRESHOLD = 88
# Characters only Spanish text carries, for a message that matched nothing.
_SPANISH_MARKS = re.compile("[ñáéíóúü¿¡]", re.IGNORECASE)


class Intent(Enum):
    """What a message asks the line to do."""

    OPT_OUT = "opt-out"
    OPT_IN = "opt-in"
    DISTRESS = "distress"  # suicide, self-harm, an emergency: the crisis numbers
    PERSONAL = "personal"  # a question about one's own situation
    TOPIC = "topic"
    SITES = "sites"
    MORE = "more"
    MENU = "menu"
    HELP = "help"
    LANGUAGE = "language"
    UNKNOWN = "unknown"
    EMPTY = "empty"
    SLOW = "slow"  # SLOW alone: the answer being read, recorded more slowly
    MEDIA = "media"  # a voice note, picture, location or other media, with no words


class MediaKind(Enum):
    """What a message without words carried instead (MMS, or WhatsApp)."""

    VOICE = "voice"
    IMAGE = "image"
    LOCATION = "location"
    OTHER = "other"  # a video, document, contact card or a type the line does not know


@dataclass(frozen=True)
class Match:
    """The reading of one message."""

    intent: Intent
    topic: str | None = None  # the topic id, for TOPIC
    cancer: str | None = None  # the cancer id, for SITES (None: list the types)
    language: str | None = None  # the language the message is written in, when it tells
    switch_to: str | None = None  # a language the texter asked for ("ESPANOL")
    # For UNKNOWN: by language, the keyword the message is a plausible typo of, as written.
    suggestions: tuple[tuple[str, str], ...] = ()
    handled_by_twilio: bool = False  # for OPT_OUT: Twilio confirms it itself
    slow: bool = False  # SLOW or LENTO came with it: the slower recording, where there is one
    media: MediaKind | None = None  # for MEDIA: what came instead of words


@dataclass(frozen=True)
class Target:
    """What a word or phrase picks, and in which languages it is written so."""

    kind: str  # "topic", "cancer" or "command"
    id: str
    languages: frozenset[str]
    display: str  # the word as the content writes it, for "Did you mean ...?"


@dataclass(frozen=True)
class _Hit:
    target: Target
    words: int
    exact: bool
    position: int

    def rank(self) -> tuple[int, bool, int]:
        """Longer phrases first, then exact over typo, then the earliest in the message."""
        return (-self.words, not self.exact, self.position)


# The content's command ids: what each asks for, and the language each switches to.
COMMAND_INTENTS = {
    "more": Intent.MORE,
    "menu": Intent.MENU,
    "help": Intent.HELP,
    "sites": Intent.SITES,
    "slow": Intent.SLOW,
}
LANGUAGE_COMMANDS = {"english": "en", "spanish": "es"}
# The command that asks for the slower recording; with a topic or a cancer type it is a modifier.
SLOW_COMMAND = "slow"
CONCERN_INTENTS = {Concern.DISTRESS: Intent.DISTRESS, Concern.PERSONAL: Intent.PERSONAL}


class TextVocabulary:
    """Every word and phrase a texter may send, folded, with what it picks."""

    def __init__(
        self,
        phrases: dict[str, Target],
        topic_numbers: dict[int, str],
        concerns: ConcernWords,
        ordinary: frozenset[str] = ORDINARY_WORDS,
    ) -> None:
        self.phrases = phrases
        self.topic_numbers = topic_numbers
        self.concerns = concerns
        self.ordinary = ordinary  # words never taken for a typo of a keyword
        self._by_length: dict[int, list[str]] = {}
        for phrase in phrases:
            self._by_length.setdefault(phrase.count(" ") + 1, []).append(phrase)
        # The words a "Did you mean" may offer, by the language of its reply.
        self._hint_choices: dict[str, list[str]] = {}
        for phrase, target in phrases.items():
            if len(phrase) >= HINT_MIN_LETTERS and " " not in phrase and target.kind != "command":
                for code in target.languages:
                    self._hint_choices.setdefault(code, []).append(phrase)

    @classmethod
    def from_content(cls, content: Content) -> TextVocabulary:
        """Keywords, cancer synonyms and commands of every language, then speech hints."""
        expected = set(COMMAND_INTENTS) | set(LANGUAGE_COMMANDS)
        if set(content["en"].commands) != expected:
            raise ContentError(
                [f"en.yaml: commands: the text line needs exactly {', '.join(sorted(expected))}."]
            )
        entries: list[tuple[str, str, str, str]] = []  # (kind, id, language, word)
        hints: list[tuple[str, str, str]] = []  # (topic id, language, phrase)
        for code, language in content.languages.items():
            for topic in language.topics:
                entries += [("topic", topic.id, code, word) for word in topic.keywords]
                hints += [(topic.id, code, hint) for hint in topic.speech_hints]
            for cancer in language.cancers:
                entries += [("cancer", cancer.id, code, word) for word in cancer.synonyms]
            for command, words in language.commands.items():
                entries += [("command", command, code, word) for word in words]
        phrases = _targets(entries)
        # A caller's phrase helps a texter too ("how is metastatic cancer treated"), but it
        # never overrides a keyword, and one that two topics share picks neither.
        hint_targets = _targets([("topic", t, code, h) for t, code, h in hints], drop_shared=True)
        for phrase, target in hint_targets.items():
            if phrase.count(" ") < MAX_PHRASE_WORDS:
                phrases.setdefault(phrase, target)
        numbers = {topic.number: topic.id for topic in content["en"].topics}
        return cls(phrases, numbers, ConcernWords.from_content(content))

    def exact_hits(self, words: list[str]) -> tuple[list[_Hit], set[int]]:
        """Every phrase found as written, longest first, each word used by one phrase only."""
        hits: list[_Hit] = []
        used: set[int] = set()
        for size in range(min(MAX_PHRASE_WORDS, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                span = range(start, start + size)
                if used.intersection(span):
                    continue
                target = self.phrases.get(" ".join(words[start : start + size]))
                if target:
                    hits.append(_Hit(target, size, True, start))
                    used.update(span)
        return hits, used

    def typo_hits(self, words: list[str], used: set[int]) -> list[_Hit]:
        """Phrases of one or two words found with a small typo, among the words still free."""
        hits: list[_Hit] = []
        for size in (2, 1):
            choices = self._by_length.get(size, [])
            for start in range(len(words) - size + 1):
                span = range(start, start + size)
                text = " ".join(words[start : start + size])
                if used.intersection(span) or len(text) - size + 1 < FUZZY_MIN_LETTERS:
                    continue
                best = process.extractOne(
                    text, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD
                )
                if best:
                    hits.append(_Hit(self.phrases[best[0]], size, False, start))
                    used.update(span)
        return hits

    def is_slow(self, word: str) -> bool:
        """True when word (folded) is one of the ways to ask for the slower recording."""
        target = self.phrases.get(word)
        return target is not None and (target.kind, target.id) == ("command", SLOW_COMMAND)

    def hint_words(self, language: str) -> list[str]:
        """Every word closest() may offer in a reply in language, as the content writes it."""
        return [self.phrases[phrase].display for phrase in self._hint_choices.get(language, [])]

    def closest(self, words: Iterable[str], language: str) -> str | None:
        """The keyword of language that one of words is a plausible typo of, or None.

        Never for an ordinary word of either language: "live" is no typo of "liver".
        """
        best: tuple[float, str] | None = None
        choices = self._hint_choices.get(language, [])
        for word in list(words)[:FUZZY_MAX_WORDS]:
            if len(word) < HINT_MIN_LETTERS or word in self.ordinary:
                continue
            found = process.extractOne(
                word, choices, scorer=fuzz.ratio, score_cutoff=HINT_THRESHOLD
            )
            if found and (best is None or found[1] > best[0]):
                best = (found[1], found[0])
        return self.phrases[best[1]].display if best else None

    def suggestions(self, words: list[str]) -> tuple[tuple[str, str], ...]:
        """For each language, the keyword words are a plausible typo of, if any."""
        found = ((code, self.closest(words, code)) for code in sorted(self._hint_choices))
        return tuple((code, word) for code, word in found if word)


def _targets(
    entries: Iterable[tuple[str, str, str, str]], drop_shared: bool = False
) -> dict[str, Target]:
    """Fold each word; a folded word written in two languages for one thing knows both."""
    targets: dict[str, Target] = {}
    shared: set[str] = set()
    for kind, item_id, code, word in entries:
        key = fold(word)
        known = targets.get(key)
        if known is None:
            targets[key] = Target(kind, item_id, frozenset({code}), word.upper())
        elif (known.kind, known.id) == (kind, item_id):
            targets[key] = Target(kind, item_id, known.languages | {code}, known.display)
        else:
            shared.add(key)  # the content loader refuses this for keywords; hints may do it
    if drop_shared:
        for key in shared:
            targets.pop(key, None)
    return targets


def match_keyword(text: str, vocabulary: TextVocabulary) -> Match:
    """Read a message: opt-out and opt-in first, then a number, then words and phrases."""
    text = text[:MAX_CHARACTERS]
    words = fold(text).split()[:MAX_WORDS]
    if not words:
        return Match(Intent.EMPTY, language=_marked_language(text))
    opted = _opt_match(text, words)
    if opted:
        return opted
    concern = vocabulary.concerns.find(text)
    if concern:
        intent = CONCERN_INTENTS[concern.concern]
        return Match(intent, language=concern.language or _marked_language(text))
    plain = [word for word in words if not vocabulary.is_slow(word)]
    phrase = " ".join(plain)
    if phrase.isdigit():
        topic = vocabulary.topic_numbers.get(int(phrase))
        if topic:
            return Match(Intent.TOPIC, topic=topic, slow=len(plain) < len(words))
        return Match(Intent.UNKNOWN)
    hits, used = vocabulary.exact_hits(words)
    if len(words) <= FUZZY_MAX_WORDS:
        hits += vocabulary.typo_hits(words, used)
    if not hits:
        language = _marked_language(text)
        return Match(Intent.UNKNOWN, language=language, suggestions=vocabulary.suggestions(words))
    return _resolve(hits, _marked_language(text))


def _resolve(hits: list[_Hit], marked: str | None) -> Match:
    """Choose among what the message names: a cancer type with SITES or where-spread means its
    sites; otherwise a topic wins over a cancer type, and either wins over a command."""
    by_kind: dict[str, list[_Hit]] = {"topic": [], "cancer": [], "command": []}
    for hit in sorted(hits, key=_Hit.rank):
        by_kind[hit.target.kind].append(hit)
    topics, cancers, commands = by_kind["topic"], by_kind["cancer"], by_kind["command"]
    switch_to = next(
        (LANGUAGE_COMMANDS[h.target.id] for h in commands if h.target.id in LANGUAGE_COMMANDS),
        None,
    )
    slow = any(h.target.id == SLOW_COMMAND for h in commands)
    others = [h for h in commands if h.target.id not in (*LANGUAGE_COMMANDS, SLOW_COMMAND)]
    asks_sites = any(h.target.id == "sites" for h in others) or any(
        h.target.id == SITES_TOPIC for h in topics
    )
    if cancers and (asks_sites or not topics):
        decisive, match = cancers[0], Match(Intent.SITES, cancer=cancers[0].target.id)
    elif topics:
        decisive, match = topics[0], Match(Intent.TOPIC, topic=topics[0].target.id)
    elif others:
        decisive, match = others[0], Match(COMMAND_INTENTS[others[0].target.id])
    elif slow:
        decisive = next(h for h in commands if h.target.id == SLOW_COMMAND)
        match = Match(Intent.SLOW)
    else:
        return Match(Intent.LANGUAGE, switch_to=switch_to, language=switch_to)
    language = _one_language([decisive, *hits]) or marked
    return Match(
        match.intent,
        topic=match.topic,
        cancer=match.cancer,
        language=language,
        switch_to=switch_to,
        slow=slow,
    )


def _one_language(hits: list[_Hit]) -> str | None:
    """The language of the first hit written in one language only."""
    for hit in hits:
        if len(hit.target.languages) == 1:
            return next(iter(hit.target.languages))
    return None


def read_media(content_types: Iterable[str], located: bool) -> MediaKind | None:
    """What a message carried besides words: the first media item's kind, or a location."""
    first = next(iter(content_types), None)
    if first is None:
        return MediaKind.LOCATION if located else None
    kind = first.split("/", 1)[0].strip().lower()
    return {"audio": MediaKind.VOICE, "image": MediaKind.IMAGE}.get(kind, MediaKind.OTHER)


def _marked_language(text: str) -> str | None:
    return "es" if _SPANISH_MARKS.search(text) else None


def _opt_match(text: str, words: list[str]) -> Match | None:
    """An opt-out (a word of OPT_OUT_WORDS, alone or with courtesy words) or an opt-in."""
    phrase = " ".join(words)
    if phrase in OPT_IN_WORDS:
        return Match(Intent.OPT_IN, language=OPT_IN_WORDS[phrase])
    core = " ".join(word for word in words if word not in OPT_OUT_COURTESY)
    language = OPT_OUT_WORDS.get(core)
    if language is None and " " not in core and len(core) >= 4:
        close = process.extractOne(
            core, OPT_OUT_WORDS.keys(), scorer=fuzz.ratio, score_cutoff=OPT_OUT_THRESHOLD
        )
        language = OPT_OUT_WORDS[close[0]] if close else None
    if language is None:
        return None
    return Match(
        Intent.OPT_OUT,
        language=language,
        handled_by_twilio=text.strip().upper() in TWILIO_OPT_OUT,
    )
