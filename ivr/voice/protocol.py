"""The call's protocol as types: where a caller is, what their input means, what happens next.

Pure data: the state machine in flow.py reads and returns these, the views render and carry
them out. No string here is ever split or parsed for its meaning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, StrEnum

from ivr.concerns import Concern


class Place(StrEnum):
    """Where in the call a caller is; the value is what the action URL carries as `at`."""

    WELCOME = "welcome"  # before a language is chosen
    MENU = "menu"
    ANSWER = "answer"  # an answer is playing, part by part
    ANSWER_END = "answer-end"  # after an answer's last part
    CANCERS = "cancers"  # the list of cancer types, a page at a time
    SITES = "sites"  # a cancer type's sites, or the whole table
    CRISIS = "crisis"  # after words of distress: the crisis line is offered, one key away
    OFFER = "offer"  # after three misses in a row: "talk with a person now?"
    NO_ANSWER = "no-answer"  # a transfer failed: the number said twice, a text of it offered


class MenuId(StrEnum):
    """The phone menus; the value is what the action URL carries as `menu`."""

    MAIN = "main"
    TREATMENT = "treatment"
    SPREAD = "spread"
    OTHER = "other"


class Command(StrEnum):
    """Something a caller asks for by key or by voice; values are the content's `speech` ids."""

    PERSON = "person"
    REPEAT = "repeat"
    BACK = "back"
    MAIN_MENU = "menu"
    NEXT = "next"
    SLOWER = "slower"
    TEXT = "text"
    GOODBYE = "goodbye"
    TABLE = "table"
    MORE = "more"
    ENGLISH = "english"
    SPANISH = "spanish"
    YES = "yes"  # at the crisis offer: connect me
    KEYS = "keys"  # say the key map
    NO = "no"  # at the offer of a person: not now
    MORE_TIME = "more-time"  # longer pauses for the rest of the call
    OTHER_LANGUAGE = "other-language"  # key 8 at the main menu: no words stand for it


@dataclass(frozen=True)
class Choice:
    """A numbered choice where keys choose from a list: a menu, a page of cancer types."""

    number: int


@dataclass(frozen=True)
class TopicAsked:
    """A caller said the words of one of the fact sheet's questions."""

    topic_id: str


@dataclass(frozen=True)
class CancerAsked:
    """A caller said the name of a type of cancer."""

    cancer_id: str


# What a caller's key or words mean, once understood (a Concern: ivr/concerns.py).
Meaning = Command | Choice | TopicAsked | CancerAsked | Concern


class Then(StrEnum):
    """What the line does once it has spoken a step."""

    LISTEN = "listen"  # a menu: wait for a key or words
    PLAY = "play"  # an answer part: a short pause, then the next part
    DIAL = "dial"  # put the caller through to a person (IVR_TRANSFER_NUMBER)
    DIAL_CRISIS = "dial-crisis"  # put the caller through to the crisis line (IVR_CRISIS_NUMBER)
    HANGUP = "hangup"


class DialStatus(StrEnum):
    """How a transfer ended, as Twilio reports it in DialCallStatus."""

    COMPLETED = "completed"
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"

    @classmethod
    def parse(cls, raw: str) -> DialStatus:
        """The status Twilio sent; anything undocumented counts as a failed transfer."""
        try:
            return cls(raw)
        except ValueError:
            return cls.FAILED


class Texting(Enum):
    """Whether the answer may be texted to the caller now, known before the line decides."""

    ALLOWED = "allowed"
    OPTED_OUT = "opted-out"  # the number sent STOP
    LIMITED = "limited"  # the number's texts are used up for now
    UNKNOWN = "unknown"  # the opt-out list could not be read, so nothing may be sent


def _texting_unavailable() -> Texting:
    return Texting.UNKNOWN


@dataclass(frozen=True)
class CallState:
    """Where a call stands. Every field survives a round trip through the action URL."""

    lang: str = ""  # "" until the caller has chosen
    at: Place = Place.WELCOME
    menu: MenuId = MenuId.MAIN
    topic: str = ""
    part: int = 1  # 1-based part of the topic being played
    page: int = 1  # page of the list of cancer types
    cancer: str = ""  # at SITES: the type heard; "" means the whole table
    slow: bool = False
    quiet: int = 0  # silences in a row
    misses: int = 0  # keys or words in a row that meant nothing where the caller was
    patient: bool = False  # the caller asked for more time: longer pauses
    resume: Place = Place.MENU  # at NO_ANSWER: where the caller was when they asked
    texts: int = 0  # text messages sent during this call
    tips: bool = False  # whether the keys for listening have been said
    keys: bool = False  # whether the key map (and the full credit) has been said


@dataclass(frozen=True)
class CallInput:
    """What the caller did: a key, words, silence, or how a transfer ended."""

    digits: str = ""
    speech: str = ""
    timeout: bool = False  # the Gather ended with nothing pressed or said
    dial: DialStatus | None = None  # after a transfer: how it ended
    remembered: str = ""  # the language this number chose on an earlier call
    language: str | None = None  # the language the caller's words are clearly in, if any
    can_text: bool = False  # whether the line can text this caller at all (set up, caller ID)
    # Asked only when the caller asks for a text: the answer counts against the number's limit.
    texting: Callable[[], Texting] = _texting_unavailable


@dataclass(frozen=True)
class Utterance:
    """One thing the line says: its recording id, its text, language and speed."""

    id: str
    text: str
    lang: str
    slow: bool = False


class EventKind(StrEnum):
    """The kinds of anonymous usage event a call step records."""

    CALL = "call"
    ANSWER = "answer"
    SITES = "sites"
    LANGUAGE = "language"
    TRANSFER = "transfer"
    TEXT = "text"
    DISTRESS = "distress"
    PERSONAL = "personal"
    CALL_END = "call-end"  # from Twilio's status callback: how the call ended
    STEP = "step"  # every step of a call: where the caller was, how they answered, where it led
    TRANSFER_END = "transfer-end"  # how a transfer ended, as Twilio reports it
    HEARD = "heard"  # a caller left an answer: the part they stopped in, or all of it
    MORE_TIME = "more-time"  # the caller asked for longer pauses
    OFFERED_PERSON = "offered-person"  # two misses in a row: a person offered
    ASKED_TO_CONNECT = "asked-to-connect"  # three misses in a row: "a person now?"


@dataclass(frozen=True)
class RememberLanguage:
    """Store the language this number chose."""

    lang: str


@dataclass(frozen=True)
class RecordEvent:
    """Record an anonymous usage event."""

    kind: EventKind
    topic: str | None = None


@dataclass(frozen=True)
class SendAnswerText:
    """Text the caller this answer's summary, once the response has gone out."""

    lang: str
    topic_id: str


@dataclass(frozen=True)
class SendNumberText:
    """Text the caller the Cancer Information Service's number, once the response has gone out."""

    lang: str


# What a step asks the world to do; the views carry these out, the flow never does.
Effect = RememberLanguage | RecordEvent | SendAnswerText | SendNumberText


@dataclass(frozen=True)
class Step:
    """What the line says, where the call then stands, what it does next, and its effects."""

    say: tuple[Utterance, ...]
    state: CallState
    then: Then = Then.LISTEN
    effects: tuple[Effect, ...] = ()
