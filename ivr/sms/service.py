"""One incoming text, end to end, in the order the law and the bill require.

The opt-out is written before anything else; the rate limit comes next; a number that has
opted out then gets nothing; only then is the reply chosen (by the pure conversation).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace

from ivr.config import Settings
from ivr.content import Content
from ivr.events import UsageEvent, words_not_understood
from ivr.language import LanguageGuesser
from ivr.sms.conversation import DEFAULT_LANGUAGE, NOT_UNDERSTOOD, next_reply
from ivr.sms.keywords import Intent, Match, TextVocabulary, match_keyword
from ivr.sms.ratelimit import Outage, RateLimit, Verdict
from ivr.sms.replies import Replies, build_replies
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

    @classmethod
    def build(cls, content: Content, settings: Settings, guesser: LanguageGuesser) -> SmsService:
        """Build the vocabulary, every fixed reply and the rate limiter."""
        storage, outage = settings.ratelimit_storage_url, Outage()  # one outage, logged once
        return cls(
            vocabulary=TextVocabulary.from_content(content),
            replies=build_replies(content),
            limit=RateLimit(settings.sms_rate_limit, storage, outage=outage),
            guesser=guesser,
            paging=RateLimit(settings.sms_paging_limit, storage, outage=outage),
        )

    def is_opt_out(self, body: str) -> bool:
        """True when a message asks to stop texts, in any of the ways the line understands."""
        return match_keyword(body, self.vocabulary).intent is Intent.OPT_OUT

    def handle(self, store: Store, number: str, body: str, message_sid: str) -> str | None:
        """The reply to one text from number, or None to send nothing."""
        if not number:
            return None
        match = match_keyword(body, self.vocabulary)
        if match.intent is Intent.OPT_OUT:
            self.record_opt_out(store, number, match.language)
            if match.handled_by_twilio or not self._allow(store, number):
                return None
            # One confirmation, in the language of the word; nothing more is read or written.
            return next_reply(match, None, None, self.replies, message_sid).reply
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
            return self._limit_notice(store, number, verdict, written_in)
        state = store.sms_state(number)  # None, logged, when it cannot be read
        if state is None or state.opted_out:
            return None
        conversation = state.conversation
        if message_sid and conversation and conversation.last_message_sid == message_sid:
            return conversation.last_reply  # Twilio retried: the same reply, and no new page
        match = replace(match, language=written_in)
        outcome = next_reply(match, state.language, conversation, self.replies, message_sid)
        event = UsageEvent(CHANNEL, outcome.event, outcome.topic, outcome.language, outcome.detail)
        words = words_not_understood(body) if outcome.event == NOT_UNDERSTOOD else ()
        try:
            store.save_sms_turn(
                number, event, outcome.conversation, outcome.remember_language, words
            )
        except Exception:
            # The reply is worth more than the bookkeeping: send it, and say what was lost.
            log.exception("Could not save the SMS conversation or its usage event.")
        return outcome.reply

    def _written_in(self, match: Match, body: str) -> str | None:
        """The language body is clearly written in: each message is answered in its own.

        Carriers teach everyone STOP, START and YES, so those say nothing about a texter's
        language; SI, COMENZAR or PARAR do.
        """
        if match.intent in (Intent.OPT_IN, Intent.OPT_OUT):
            return match.language if match.language != DEFAULT_LANGUAGE else None
        return self.guesser.guess(body) or match.language

    def _limit_notice(
        self, store: Store, number: str, verdict: Verdict, written_in: str | None
    ) -> str | None:
        """Once a window, when to try again, in the texter's language; never to an opt-out."""
        if not verdict.first_refusal:
            return None
        state = store.sms_state(number)
        if state is None or state.opted_out:
            return None
        code = written_in or state.language or DEFAULT_LANGUAGE
        return self.replies[code].limit_notice(verdict.window_seconds)

    def _allow(self, store: Store, number: str) -> bool:
        """Count a reply against the number's rate limit; False when it is used up."""
        if self.limit.allow(store.number_key(number)):
            return True
        log.info("An SMS number is over its rate limit; no reply is sent.")
        return False

    def record_opt_out(self, store: Store, number: str, language: str | None = None) -> None:
        """Write the opt-out durably, first of all; if that fails, say so loudly and stop."""
        try:
            store.set_opted_out(number, True)
        except Exception:
            # The hash is what the store keys opt-outs by, so it can be entered by hand.
            log.critical("OPT-OUT NOT RECORDED for number hash %s.", store.number_key(number))
            raise
        try:
            store.record_event(CHANNEL, "opt-out", language=language)
        except Exception:
            log.exception("Could not record the opt-out usage event.")
