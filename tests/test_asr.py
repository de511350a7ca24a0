"""scripts/asr.py's pure helpers: words, word errors, menu digits and edge silence (no Whisper)."""

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "scripts" / "asr.py"
_SPEC = importlib.util.spec_from_file_location("asr", _PATH)
asr = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(asr)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Press 1, or say English.", "en", ["press", "1", "or", "say", "english"]),
        ("press one", "en", ["press", "1"]),
        ("Oprima dos.", "es", ["oprima", "2"]),
        ("llame al 988", "es", ["llame", "al", "9", "8", "8"]),
        ("nueve ocho ocho", "es", ["9", "8", "8"]),
        ("Síntomas: ¿qué?", "es", ["sintomas", "que"]),
    ],
)
def test_words_fold_and_spell_digits_one_way(text, language, expected):
    assert asr.words(text, language) == expected


def test_word_errors_count_edits_against_the_reference():
    assert asr.word_errors("For English, press 1.", "for english press one", "en") == (0, 4)
    assert asr.word_errors("For English, press 1.", "for english press two", "en") == (1, 4)
    assert asr.word_errors("oprima 2", "oprimamos", "es") == (2, 2)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("For symptoms, press 2. For treatment, press 3.", "en", ["2", "3"]),
        ("press 1 to skip ahead, 2 to hear it slower", "en", ["1"]),
        ("press pound for the main menu", "en", []),
        ("Para español, oprima 2, o haga su pregunta.", "es", ["2"]),
        ("para seguir, o prima uno", "es", ["1"]),  # the key word heard in two pieces
        ("para seguir, primer uno", "es", []),
    ],
)
def test_key_digits_are_the_digits_right_after_the_key_word(text, language, expected):
    assert asr.key_digits(text, language) == expected


def test_missed_digits_counts_repeats_and_accepts_words():
    said = "Press 1 or say yes. To go back, press 2 or say no. Again, press 1."
    assert asr.missed_digits(said, "press one or say yes press two press 1", "en") == []
    assert asr.missed_digits(said, "press one, press to, press 3", "en") == ["2", "1"]
    assert asr.missed_digits("oprima 2", "oprimamos", "es") == ["2"]


def test_edge_silence_is_the_quiet_before_and_after_the_sound():
    quiet, loud = 0.001, 0.5  # -60 dB and -6 dB
    samples = [0.0] * 3 + [quiet] * 2 + [loud, 0.0, loud] + [quiet] * 4
    assert asr.edge_silence(samples, rate=10) == pytest.approx((0.5, 0.4))
    assert asr.edge_silence([quiet] * 20, rate=10) == pytest.approx((2.0, 2.0))
    assert asr.edge_silence(samples, rate=10, threshold_db=-70) == pytest.approx((0.3, 0.0))
