"""What the voice webhook builds once at start-up: vocabularies and two caches.

Every caller walks the same menus, so the steps of calls are few: 40,000 steps of varied calls
hold about 2,000 different ones. Each URL's state and each step's TwiML are made once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from flask import url_for
from werkzeug.datastructures import MultiDict

from ivr.audio.catalogue import Catalogue
from ivr.config import Settings
from ivr.content import Content
from ivr.voice.codec import from_query
from ivr.voice.protocol import CallState, Step, Then, Utterance
from ivr.voice.render import render
from ivr.voice.speech import SpeechVocabulary, vocabularies

CACHE_SIZE = 4096


@dataclass(frozen=True)
class UrlState:
    """What an action URL carries: the call's state, and whether a Gather or Dial ended."""

    state: CallState
    timeout: bool  # timeout=1: the Gather ended in silence
    dialled: bool  # dial=1: a transfer ended


@dataclass(frozen=True)
class VoiceService:
    """The vocabularies, the URL-state cache and the TwiML cache of one app."""

    vocab: Mapping[str, SpeechVocabulary]
    state_of: Callable[[bytes], UrlState]
    twiml_of: Callable[[tuple[Utterance, ...], CallState, Then, str], str]

    @classmethod
    def build(cls, content: Content, settings: Settings, catalogue: Catalogue) -> VoiceService:
        """The vocabularies, and the two caches, for this content and these settings."""
        vocab = vocabularies(content)

        @functools.lru_cache(maxsize=CACHE_SIZE)
        def state_of(query: bytes) -> UrlState:
            """The call's state in a query string, and whether it says timeout=1 and dial=1."""
            args = MultiDict(parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True))
            state = from_query(args, content)
            return UrlState(state, args.get("timeout") == "1", args.get("dial") == "1")

        @functools.lru_cache(maxsize=CACHE_SIZE)
        def twiml_of(say: tuple[Utterance, ...], state: CallState, then: Then, root: str) -> str:
            """The TwiML of a step (root: the app's URL prefix, which its action URLs carry)."""
            return str(
                render(
                    Step(say, state, then),
                    url=lambda **query: url_for("voice.call", **query),
                    audio_url=catalogue.url,
                    vocab=vocab[state.lang],
                    gather_timeout=settings.gather_timeout,
                    transfer_number=settings.transfer_number,
                    crisis_number=settings.crisis_number,
                )
            )

        return cls(vocab, state_of, twiml_of)

    def twiml(self, step: Step, root: str) -> str:
        """The TwiML of a step, made once per app."""
        return self.twiml_of(step.say, step.state, step.then, root)
