"""WhatsApp: the texting line's replies sized for WhatsApp, each answer with its recordings.

Pure: the same understanding and conversation as SMS (keywords, conversation), with replies
built once at start-up without the SMS segment budget: a topic is answered whole, in messages
of at most 1,600 characters, and its recordings follow as audio, one a message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from ivr.content import SITES_TOPIC, Content, LanguageContent, Topic
from ivr.numbers import E164
from ivr.sms.conversation import Outcome
from ivr.sms.replies import Replies, build_replies, cut_text, sites_list_reply

PREFIX = "whatsapp:"  # how Twilio writes a WhatsApp address on the messaging webhook
MESSAGE_LIMIT = 1600  # the most characters Twilio takes in one WhatsApp message
# The most <Message>s Twilio sends in reply to one incoming message (warning 14109); WhatsApp
# takes one media item a message, so an answer's recordings beyond it wait for MORE.
MAX_REPLIES = 10
CHANNEL = "whatsapp"
PARAGRAPH = "\n\n"

# (language, recording id, slow): a recording the catalogue can give a URL for.
Recording = tuple[str, str, bool]
# Whether a recording exists: (recording id, language) -> True when the line can send it.
Recorded = Callable[[str, str], bool]


def is_whatsapp(address: str) -> bool:
    """True when a messaging webhook's From is a WhatsApp address."""
    return address.lower().startswith(PREFIX)


def whatsapp_number(address: str) -> str | None:
    """The E.164 number of a WhatsApp address (the key SMS and calls use), or None if malformed."""
    number = address[len(PREFIX) :].strip() if is_whatsapp(address) else ""
    return number if E164.fullmatch(number) else None


def split_messages(text: str, limit: int = MESSAGE_LIMIT) -> tuple[str, ...]:
    """Text in as few messages of at most limit characters as reads well: whole paragraphs
    together, a paragraph cut between sentences only when it is longer than a message."""
    messages: list[str] = []
    for paragraph in text.split(PARAGRAPH):
        for index, piece in enumerate(cut_text(paragraph, lambda body: len(body) <= limit)):
            joiner = " " if index else PARAGRAPH
            if messages and len(messages[-1]) + len(joiner) + len(piece) <= limit:
                messages[-1] += joiner + piece
            else:
                messages.append(piece)
    return tuple(messages)


def answer_text(language: LanguageContent, topic: Topic, closing: str) -> str:
    """A topic's whole answer under its title, then the closing line."""
    paragraphs = [topic.title, *topic.parts]
    if topic.id == SITES_TOPIC:
        # The answer ends "for several types of cancer:"; the table follows as a list to pick.
        paragraphs.append(sites_list_reply(language))
    return PARAGRAPH.join([*paragraphs, language.prompt(closing)])


def answer_recordings(language: LanguageContent, topic: Topic, slow: bool) -> tuple[Recording, ...]:
    """The recordings of a topic's answer, part by part, as the phone line plays them."""
    code = language.code
    return tuple((code, f"topic.{topic.id}.{n}", slow) for n in range(1, len(topic.parts) + 1))


def whatsapp_replies(language: LanguageContent, sms: Replies, recorded: Recorded) -> Replies:
    """The SMS replies of a language, with answers whole and closings that speak of audio.

    An answer whose text and recordings would take more than MAX_REPLIES messages sends the
    recordings that fit, and says MORE sends the rest (its one page).
    """
    code = language.code
    summaries: dict[str, str] = {}
    pages: dict[str, tuple[str, ...]] = {}
    for topic in language.topics:
        if not recorded(f"topic.{topic.id}.1", code):
            summaries[topic.id] = answer_text(language, topic, "sms_wa_answer_end_text")
            pages[topic.id] = ()
            continue
        text = answer_text(language, topic, "sms_wa_answer_end")
        if len(split_messages(text)) + len(topic.parts) > MAX_REPLIES:
            text = answer_text(language, topic, "sms_wa_answer_end_more")
            pages[topic.id] = (language.prompt("sms_wa_more_recordings"),)
        else:
            pages[topic.id] = ()
        summaries[topic.id] = text
    audio = all(recorded(f"topic.{t.id}.1", code) for t in language.topics)
    return replace(
        sms,
        summaries=MappingProxyType(summaries),
        pages=MappingProxyType(pages),
        slow=language.prompt("sms_wa_slow" if audio else "sms_wa_slow_none"),
        slow_nothing=language.prompt("sms_wa_slow_nothing"),
    )


def build_whatsapp_replies(content: Content, recorded: Recorded) -> Mapping[str, Replies]:
    """The WhatsApp replies of every language, by language code."""
    return MappingProxyType(
        {
            code: whatsapp_replies(content[code], sms, recorded)
            for code, sms in build_replies(content).items()
        }
    )


@dataclass(frozen=True)
class WhatsAppAnswer:
    """What the line sends back on WhatsApp: text messages, then recordings, one a message."""

    messages: tuple[str, ...]
    recordings: tuple[Recording, ...] = ()


def recordings_for(outcome: Outcome, replies: Replies, slow: bool) -> tuple[Recording, ...]:
    """The recordings that go with a reply: an answer's parts (those that fit beside its text,
    then, for MORE, the rest), or a cancer type's sites."""
    language = replies.language
    if outcome.event in ("summary", "slow", "more") and outcome.topic:
        topic = language.topic(outcome.topic)
        if outcome.event == "slow":  # one line of text, then the slower recordings
            return answer_recordings(language, topic, True)[: MAX_REPLIES - 1]
        recordings = answer_recordings(language, topic, slow)
        room = MAX_REPLIES - len(split_messages(replies.summaries[outcome.topic]))
        return recordings[:room] if outcome.event == "summary" else recordings[room:]
    if outcome.event == "sites" and outcome.detail:
        return ((language.code, f"sites.{outcome.detail}", slow),)
    return ()
