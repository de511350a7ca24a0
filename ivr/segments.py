"""How many billed SMS segments a text takes, and in which encoding."""

from __future__ import annotations

from dataclasses import dataclass

# The GSM 03.38 default alphabet, and its extension table (each extension character is sent
# as an escape plus the character, so it costs two septets).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class Segments:
    """A text's encoding, its length in that encoding's units, and its billed segments."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int
    count: int


def is_gsm7(text: str) -> bool:
    """True when every character of text is in the GSM-7 alphabet or its extension."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def segments(text: str) -> Segments:
    """Count text's encoding, units and segments exactly as a carrier splits it."""
    if is_gsm7(text):
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        encoding, single, part = "GSM-7", GSM7_SINGLE, GSM7_PART
    else:
        # UTF-16 code units: a character beyond the BMP (most emoji) takes two.
        costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        encoding, single, part = "UCS-2", UCS2_SINGLE, UCS2_PART
    units = sum(costs)
    if units <= single:
        return Segments(encoding, units, 1 if units else 0)
    # A character is never split across two parts, so pack greedily.
    count, used = 1, 0
    for cost in costs:
        if used + cost > part:
            count, used = count + 1, 0
        used += cost
    return Segments(encoding, units, count)
