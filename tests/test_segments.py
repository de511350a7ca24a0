"""SMS segment counting, checked against known cases of GSM-7 and UCS-2 messages."""

from __future__ import annotations

import pytest

from ivr.segments import is_gsm7, segments


@pytest.mark.parametrize(
    ("text", "encoding", "units", "count"),
    [
        ("", "GSM-7", 0, 0),
        ("Hello", "GSM-7", 5, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters cost two septets
        ("€" * 81, "GSM-7", 162, 2),
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),  # an escape pair is never split
        ("¿Qué pasa? ñ ü é ¡sí!", "UCS-2", 21, 1),  # í is outside GSM-7
        ("¿Qué pasa? ñ ü é", "GSM-7", 16, 1),  # é, ñ, ü, ¿ are inside GSM-7
        ("á" * 70, "UCS-2", 70, 1),
        ("á" * 71, "UCS-2", 71, 2),
        ("á" * 134, "UCS-2", 134, 2),
        ("á" * 135, "UCS-2", 135, 3),
        ("it’s", "UCS-2", 4, 1),  # a curly apostrophe makes the whole message UCS-2
        ("😀" * 35, "UCS-2", 70, 1),  # emoji take two UTF-16 units
        ("😀" * 36, "UCS-2", 72, 2),
    ],
)
def test_known_cases(text: str, encoding: str, units: int, count: int) -> None:
    result = segments(text)
    assert (result.encoding, result.units, result.count) == (encoding, units, count)


def test_gsm7_alphabet_edges() -> None:
    assert is_gsm7("Reply STOP to opt out. 1-800-4-CANCER")
    assert not is_gsm7("en dash – here")
    assert not is_gsm7("Ó")
