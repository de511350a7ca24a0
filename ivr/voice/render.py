"""Turns a Step of the call into TwiML with twilio's VoiceResponse."""

from __future__ import annotations

from collections.abc import Callable

from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.twiml import VOICES, say_voice
from ivr.voice.codec import to_query
from ivr.voice.protocol import Step, Then, Utterance
from ivr.voice.speech import SpeechVocabulary

# Seconds of quiet between two parts of an answer: time to press a key, short enough to flow.
PART_PAUSE_SECONDS = 2
DIAL_TIMEOUT_SECONDS = 30
# The longest a menu waits, even for a caller who asked for more time.
MAX_PAUSE_SECONDS = 60

AudioUrl = Callable[[str, str, bool], "str | None"]


def render(
    step: Step,
    url: Callable[..., str],
    audio_url: AudioUrl,
    vocab: SpeechVocabulary,
    gather_timeout: int,
    transfer_number: str,
    crisis_number: str,
) -> VoiceResponse:
    """The TwiML for a step; url(**query) builds the /voice URL carrying the next state."""
    response = VoiceResponse()
    query = to_query(step.state)
    if step.then in (Then.LISTEN, Then.PLAY):
        gather = response.gather(
            action=url(**query),
            method="POST",
            input="dtmf speech",
            num_digits=1,
            finish_on_key="",
            timeout=_pause(step, gather_timeout),
            speech_timeout="auto",
            hints=vocab.hints,
            language=VOICES[step.state.lang or "en"][1],
        )
        _speak_all(gather, step.say, audio_url)
        # Reached only when the Gather ends with nothing pressed or said.
        response.redirect(url(**query, timeout="1"), method="POST")
    elif step.then in (Then.DIAL, Then.DIAL_CRISIS):
        _speak_all(response, step.say, audio_url)
        response.dial(
            crisis_number if step.then is Then.DIAL_CRISIS else transfer_number,
            action=url(**query, dial="1"),
            method="POST",
            timeout=DIAL_TIMEOUT_SECONDS,
        )
    else:
        _speak_all(response, step.say, audio_url)
        response.hangup()
    return response


def _pause(step: Step, gather_timeout: int) -> int:
    """Seconds to wait for a key or words: doubled, up to a minute, for a caller who asked."""
    seconds = PART_PAUSE_SECONDS if step.then is Then.PLAY else gather_timeout
    return min(seconds * 2, MAX_PAUSE_SECONDS) if step.state.patient else seconds


def _speak_all(
    parent: VoiceResponse | Gather, say: tuple[Utterance, ...], audio_url: AudioUrl
) -> None:
    for utterance in say:
        recording = audio_url(utterance.id, utterance.lang, utterance.slow)
        if recording:
            parent.play(recording)
        elif utterance.slow:
            spoken = parent.say(**say_voice(utterance.lang))
            spoken.prosody(utterance.text, rate="slow")
        else:
            parent.say(utterance.text, **say_voice(utterance.lang))
