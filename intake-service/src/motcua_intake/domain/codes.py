"""Dossier codes: `{agency code}-{yyMMdd}-{4-digit sequence}`, the date in the province's time zone."""

from datetime import datetime

from motcua_shared.calendar import PROVINCE_TZ

__all__ = ["PROVINCE_TZ", "counter_key"]


def counter_key(agency_code: str, received_at: datetime) -> str:
    """The name of the daily counter that numbers `agency_code`'s dossiers received at `received_at`."""
    return f"{agency_code}-{received_at.astimezone(PROVINCE_TZ):%y%m%d}"


def dossier_code(agency_code: str, received_at: datetime, sequence: int) -> str:
    """The public code; the sequence is zero-padded to four digits (more digits past 9999)."""
    return dossier_code_for(counter_key(agency_code, received_at), sequence)


def dossier_code_for(counter: str, sequence: int) -> str:
    """The code numbered `sequence` on a daily counter."""
    return f"{counter}-{sequence:04d}"
