"""SMS as a carrier counts it: GSM-7 (160 characters in one segment, 153 in each part of a longer
message) unless one character is outside GSM-7, then UCS-2 (70, or 67 a part). Vietnamese with its
diacritics is almost always UCS-2, which is why a diacritics-free text may be configured."""

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Each of these takes two septets (an escape, then the character).
GSM7_EXTENSION = set("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


class Encoding(StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class SmsCount:
    encoding: Encoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _pack(unit_sizes: list[int], single: int, part: int) -> int:
    """Segments needed for characters of the given sizes; a character is never split across parts."""
    total = sum(unit_sizes)
    if total <= single:
        return 1
    segments, used = 1, 0
    for size in unit_sizes:
        if used + size > part:
            segments, used = segments + 1, 0
        used += size
    return segments


def count_segments(text: str) -> SmsCount:
    """The encoding, length in units and number of segments a carrier bills for `text`."""
    if is_gsm7(text):
        sizes = [2 if c in GSM7_EXTENSION else 1 for c in text]
        return SmsCount(Encoding.GSM7, sum(sizes), _pack(sizes, GSM7_SINGLE, GSM7_PART))
    sizes = [2 if ord(c) > 0xFFFF else 1 for c in text]  # astral characters take a surrogate pair
    return SmsCount(Encoding.UCS2, sum(sizes), _pack(sizes, UCS2_SINGLE, UCS2_PART))


_NOT_DECOMPOSABLE = str.maketrans({"đ": "d", "Đ": "D"})
# Typographic characters that would force UCS-2 after the letters were cleaned.
_PUNCTUATION = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u2022": "-",
    }
)


def remove_diacritics(text: str) -> str:
    """Vietnamese without its tone and vowel marks ("Hồ sơ đã được tiếp nhận" -> "Ho so da duoc tiep
    nhan"), which fits GSM-7: 160 characters a segment instead of 70."""
    decomposed = unicodedata.normalize("NFD", text.translate(_NOT_DECOMPOSABLE).translate(_PUNCTUATION))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))
