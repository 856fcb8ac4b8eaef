"""Which language a recipient reads: Vietnamese unless they asked for English."""

from typing import Literal

Language = Literal["vi", "en"]
DEFAULT_LANGUAGE: Language = "vi"


def choose_language(preferred: str | None) -> Language:
    """`en` only when the recipient's preferred_language is `en`; everything else gets Vietnamese."""
    return "en" if (preferred or "").strip().lower() == "en" else DEFAULT_LANGUAGE
