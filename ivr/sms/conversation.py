"""The texting conversation: from a matched message and what the line remembers, the reply.

Pure: next_reply reads nothing and writes nothing; it says what to send and what to remember.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ivr.content import SITES_TOPIC
from ivr.sms.keywords import Intent, Match
from ivr.sms.replies import Replies

DEFAULT_LANGUAGE = "en"
NOT_UNDERSTOOD = "not-understood"


@dataclass(frozen=True)
class Conversation:
    """Where an SMS conversation stands: the topic being paged and the next part to send."""

    topic_id: str | None
    next_part: int
    last_message_sid: str | None
    last_reply: str | None
    misses: int = 0  # messages in a row the line did not understand


@dataclass(frozen=True)
class Outcome:
    """What to send, what to remember, and the anonymous event to record."""

    reply: str | None
    event: str  # the kind of usage event: "summary", "more", "sites", "menu", ...
    topic: str | None = None
    detail: str | None = None
    conversation: Conversation | None = None  # store this as where the number stands
    language: str = DEFAULT_LANGUAGE  # the language of the reply
    remember_language: str | None = None  # store this as the number's language


def reply_language(match: Match, remembered: str | None) -> tuple[str, str | None]:
    """The language to answer in, and the one to remember for the number, if it changes.

    An explicit ENGLISH or ESPANOL wins; then the language the message is clearly written in,
    whatever the number used before; both are remembered, so a later "5" or "MORE" keeps them.
    A message in no clear language (a number, MENU, "melanoma") keeps the remembered one.
    """
    chosen = match.switch_to or match.language
    if chosen:
        return chosen, (chosen if chosen != remembered else None)
    return remembered or DEFAULT_LANGUAGE, None


def next_reply(
    match: Match,
    remembered_language: str | None,
    conversation: Conversation | None,
    replies: Mapping[str, Replies],
    message_sid: str,
) -> Outcome:
    """The reply to one message, for a number that has not opted out."""
    code, remember = reply_language(match, remembered_language)
    if match.intent is Intent.MEDIA and match.media and not remembered_language:
        # No words to tell the language by, and none remembered: say it in every language.
        both = "\n\n".join(texts.media[match.media] for texts in replies.values())
        return Outcome(both, "media", detail=match.media.value, language=code)
    step = _step(match, conversation, replies[code], message_sid)
    if step.event != NOT_UNDERSTOOD and step.conversation is None and conversation:
        if conversation.misses:
            step = replace(step, conversation=replace(conversation, misses=0))
    return replace(step, language=code, remember_language=remember)


def _step(
    match: Match, conversation: Conversation | None, texts: Replies, message_sid: str
) -> Outcome:
    """The reply in the chosen language; the language fields are filled in by next_reply."""
    intent = match.intent
    if intent is Intent.TOPIC and match.topic is not None and match.topic in texts.summaries:
        reply = texts.summaries[match.topic]
        paging = Conversation(match.topic, 0, message_sid, reply)
        return Outcome(reply, "summary", topic=match.topic, conversation=paging)
    if intent is Intent.SITES and match.cancer is not None and match.cancer in texts.sites:
        return Outcome(texts.sites[match.cancer], "sites", topic=SITES_TOPIC, detail=match.cancer)
    if intent is Intent.SITES:
        return Outcome(texts.sites_list, "sites-list", topic=SITES_TOPIC)
    if intent is Intent.MORE:
        return _more(texts, conversation, message_sid)
    if intent is Intent.LANGUAGE:
        # An answer being paged starts again from its first part, in the new language.
        restart = None
        if conversation and conversation.topic_id:
            restart = Conversation(conversation.topic_id, 0, message_sid, texts.menu)
        return Outcome(texts.menu, "language", detail=texts.language.code, conversation=restart)
    if intent is Intent.DISTRESS:
        return Outcome(texts.distress, "distress")
    if intent is Intent.PERSONAL:
        return Outcome(texts.personal, "personal")
    if intent is Intent.OPT_OUT:
        return Outcome(None if match.handled_by_twilio else texts.opted_out, "opt-out")
    if intent is Intent.MENU:
        return Outcome(texts.menu, "menu")
    if intent is Intent.HELP:
        return Outcome(texts.help, "help")
    if intent is Intent.OPT_IN:
        return Outcome(texts.opted_in, "opt-in")
    if intent is Intent.EMPTY:
        return Outcome(texts.no_text, "no-text")
    if intent is Intent.MEDIA and match.media:
        return Outcome(texts.media[match.media], "media", detail=match.media.value)
    if intent is Intent.SLOW:
        topic = conversation.topic_id if conversation else None
        if topic is None:
            return Outcome(texts.slow_nothing, "slow-nothing")
        return Outcome(texts.slow, "slow", topic=topic)
    return _not_understood(match, conversation, texts, message_sid)


def _not_understood(
    match: Match, conversation: Conversation | None, texts: Replies, message_sid: str
) -> Outcome:
    """The menu, with a guess when the message is a typo of a keyword; twice: a person."""
    misses = (conversation.misses if conversation else 0) + 1
    suggestion = dict(match.suggestions).get(texts.language.code)
    if misses >= 2:
        reply = texts.not_understood_again
    elif suggestion:
        reply = texts.did_you_mean(suggestion)
    else:
        reply = texts.not_understood
    kept = conversation or Conversation(None, 0, None, None)
    noted = replace(kept, last_message_sid=message_sid, last_reply=reply, misses=misses)
    return Outcome(reply, NOT_UNDERSTOOD, conversation=noted)


def _more(texts: Replies, conversation: Conversation | None, message_sid: str) -> Outcome:
    """The next part of the answer being paged, or why there is none."""
    topic = conversation.topic_id if conversation else None
    pages = texts.pages.get(topic) if topic else None
    # An answer sent whole (on WhatsApp) has no parts left: MORE says it is done.
    if conversation is None or topic is None or pages is None:
        return Outcome(texts.more_nothing, "more-nothing")
    if conversation.next_part >= len(pages):
        return Outcome(texts.more_done, "more-done", topic=topic)
    reply = pages[conversation.next_part]
    paging = Conversation(topic, conversation.next_part + 1, message_sid, reply)
    return Outcome(reply, "more", topic=topic, conversation=paging)
