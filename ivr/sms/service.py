"""One incoming text, end to end, in the order the law and the bill require.

The opt-out is written before anything else; the rate limit comes next; a number that has
opted out then gets nothing; only then is the reply chosen (by the pure conversation).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from ivr.audio.catalogue import Catalogue
from ivr.config import Settings
from ivr.content import Content
from ivr.events import UsageEvent, words_not_understood
from ivr.language import LanguageGuesser
from ivr.sms import whatsapp
from ivr.sms.conversation import (
    DEFAULT_LANGUAGE,
    NOT_UNDERSTOOD,
    Conversation,
    Outcome,
    next_reply,
)
from ivr.sms.keywords import Intent, Match, MediaKind, TextVocabulary, match_keyword
from ivr.sms.ratelimit import Outage, RateLimit, Verdict
from ivr.sms.replies import Replies, build_replies
from ivr.sms.whatsapp import WhatsAppAnswer
from ivr.store import Store

log = logging.getLogger(__name__)
CHANNEL = "sms"


@dataclass(frozen=True)
class SmsService:
    """What the SMS webhook needs, built once at start-up: words, replies and the limiter."""

    vocabulary: TextVocabulary
    replies: Mapping[str, Replies]
    limit: RateLimit
    guesser: LanguageGuesser  # the language a message is clearly written in, if any
    # What MORE counts against while an answer is paged (None: the same limit as the rest).
    paging: RateLimit | None = None
    # The replies on WhatsApp: answers whole, with recordings (None: the SMS replies).
    whatsapp: Mapping[str, Replies] | None = None
    # Where each text's usage event goes: the line's bookkeeping, which writes them in batches
    # after the reply (None: each is written at once, in a transaction of its own).
    record: Callable[[UsageEvent], None] | None = None

    @classmethod
    def build(
        cls,
        content: Content,
        settings: Settings,
        guesser: LanguageGuesser,
        catalogue: Catalogue | None = None,
        record: Callable[[UsageEvent], None] | None = None,
    ) -> SmsService:
        """Build the vocabulary, every fixed reply (SMS and WhatsApp) and the rate limiter."""

        def recorded(audio_id: str, language: str) -> bool:
            return catalogue is not None and catalogue.url(audio_id, language) is not None

        storage, outage = settings.ratelimit_storage_url, Outage()  # one outage, logged once
        return cls(
            vocabulary=TextVocabulary.from_content(content),
            replies=build_replies(content),
            limit=RateLimit(settings.sms_rate_limit, storage, outage=outage),
            guesser=guesser,
            paging=RateLimit(settings.sms_paging_limit, storage, outage=outage),
            whatsapp=whatsapp.build_whatsapp_replies(content, recorded),
            record=record,
        )

    def is_opt_out(self, body: str) -> bool:
        """True when a message asks to stop texts, in any of the ways the line understands."""
        return match_keyword(body, self.vocabulary).intent is Intent.OPT_OUT

    def handle(
        self,
        store: Store,
        number: str,
        body: str,
        message_sid: str,
        media: MediaKind | None = None,
    ) -> str | None:
        """The reply to one text (or MMS) from number, or None to send nothing."""
        return self._turn(store, number, body, message_sid, media, self.replies, CHANNEL).reply

    def handle_whatsapp(
        self,
        store: Store,
        address: str,
        body: str,
        message_sid: str,
        media: MediaKind | None = None,
    ) -> WhatsAppAnswer:
        """The answer to one WhatsApp message from address ("whatsapp:+1..."): text, then
        the recordings. Keyed by the bare number, so SMS, calls and WhatsApp share a language,
        an opt-out and a rate limit."""
        number = whatsapp.whatsapp_number(address)
        if number is None:
            log.info("A WhatsApp message came from a malformed address; nothing is sent.")
            return WhatsAppAnswer(())
        replies = self.whatsapp or self.replies
        # Twilio's own STOP handling is for SMS: on WhatsApp the line confirms an opt-out itself.
        turn = self._turn(
            store, number, body, message_sid, media, replies, whatsapp.CHANNEL, twilio=False
        )
        if turn.reply is None:
            return WhatsAppAnswer(())
        recordings: tuple[whatsapp.Recording, ...] = ()
        if turn.outcome is not None:
            texts = replies[turn.outcome.language]
            recordings = whatsapp.recordings_for(turn.outcome, texts, turn.slow)
        return WhatsAppAnswer(whatsapp.split_messages(turn.reply), recordings)

    def _turn(
        self,
        store: Store,
        number: str,
        body: str,
        message_sid: str,
        media: MediaKind | None,
        replies: Mapping[str, Replies],
        channel: str,
        twilio: bool = True,
    ) -> _Turn:
        """One incoming message, in the order the law and the bill require."""
        if not number:
            return _Turn(None)
        match = match_keyword(body, self.vocabulary)
        if match.intent is Intent.EMPTY and media is not None:
            match = Match(Intent.MEDIA, media=media)
        if not twilio:
            match = replace(match, handled_by_twilio=False)
        if match.intent is Intent.OPT_OUT:
            self.record_opt_out(store, number, channel, match.language)
            if match.handled_by_twilio or not self._allow(store, number):
                return _Turn(None)
            # One confirmation, in the language of the word; nothing more is read or written.
            return _Turn(next_reply(match, None, None, replies, message_sid).reply)
        written_in = self._written_in(match, body)
        if match.intent is Intent.OPT_IN:
            opted_out = store.is_opted_out(number)
            store.set_opted_out(number, False)
            if not opted_out:
                # "Yes" from a number that never opted out is an answer, not an opt-in: the menu.
                match = replace(match, intent=Intent.MENU)
        limit = self.paging if self.paging and match.intent is Intent.MORE else self.limit
        verdict = limit.verdict(store.number_key(number))
        if not verdict.allowed:
            log.info("An SMS number is over its rate limit; no reply is sent.")
            return _Turn(self._limit_notice(store, number, verdict, written_in, replies))
        state = store.sms_state(number)  # None, logged, when it cannot be read
        if state is None or state.opted_out:
            return _Turn(None)
        conversation = state.conversation
        if message_sid and conversation and conversation.last_message_sid == message_sid:
            # Twilio retried: the same reply, and no new page
            return _Turn(conversation.last_reply, _retried(conversation, replies))
        match = replace(match, language=written_in)
        outcome = next_reply(match, state.language, conversation, replies, message_sid)
        words = words_not_understood(body) if outcome.event == NOT_UNDERSTOOD else ()
        try:
            store.save_sms_turn(number, outcome.conversation, outcome.remember_language, words)
        except Exception:
            # The reply is worth more than the bookkeeping: send it, and say what was lost.
            log.exception("Could not save the SMS conversation.")
        self._record(
            store,
            UsageEvent(channel, outcome.event, outcome.topic, outcome.language, outcome.detail),
        )
        return _Turn(outcome.reply, outcome, match.slow)

    def _written_in(self, match: Match, body: str) -> str | None:
        """The language body is clearly written in: each message is answered in its own.

        Carriers teach everyone STOP, START and YES, so those say nothing about a texter's
        language; SI, COMENZAR or PARAR do.
        """
        if match.intent in (Intent.OPT_IN, Intent.OPT_OUT):
            return match.language if match.language != DEFAULT_LANGUAGE else None
        return self.guesser.guess(body) or match.language

    def _limit_notice(
        self,
        store: Store,
        number: str,
        verdict: Verdict,
        written_in: str | None,
        replies: Mapping[str, Replies],
    ) -> str | None:
        """Once a window, when to try again, in the texter's language; never to an opt-out."""
        if not verdict.first_refusal:
            return None
        state = store.sms_state(number)
        if state is None or state.opted_out:
            return None
        code = written_in or state.language or DEFAULT_LANGUAGE
        return replies[code].limit_notice(verdict.window_seconds)

    def _allow(self, store: Store, number: str) -> bool:
        """Count a reply against the number's rate limit; False when it is used up."""
        if self.limit.allow(store.number_key(number)):
            return True
        log.info("An SMS number is over its rate limit; no reply is sent.")
        return False

    def record_opt_out(
        self, store: Store, number: str, channel: str = CHANNEL, language: str | None = None
    ) -> None:
        """Write the opt-out durably, first of all; if that fails, say so loudly and stop."""
        try:
            store.set_opted_out(number, True)
        except Exception:
            # The hash is what the store keys opt-outs by, so it can be entered by hand.
            log.critical("OPT-OUT NOT RECORDED for number hash %s.", store.number_key(number))
            raise
        self._record(store, UsageEvent(channel, "opt-out", language=language))

    def _record(self, store: Store, event: UsageEvent) -> None:
        """Record a usage event: queued for the bookkeeping writer, or else written now."""
        try:
            if self.record is not None:
                self.record(event)
            else:
                store.write_bookkeeping([event])
        except Exception:
            log.exception("Could not record a texting usage event.")


@dataclass(frozen=True)
class _Turn:
    """The reply to one message and, for an answer, how it was chosen (for its recordings)."""

    reply: str | None
    outcome: Outcome | None = None  # None: a confirmation, a notice, or nothing
    slow: bool = False  # the texter asked for the slower recording


def _retried(conversation: Conversation, replies: Mapping[str, Replies]) -> Outcome | None:
    """For a message Twilio sent again: the answer it had, so its recordings go again too."""
    topic = conversation.topic_id
    for code, texts in replies.items():
        if topic and texts.summaries.get(topic) == conversation.last_reply:
            return Outcome(conversation.last_reply, "summary", topic=topic, language=code)
    return None
