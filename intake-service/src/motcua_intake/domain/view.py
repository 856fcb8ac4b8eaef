"""Intake's view of one dossier: what its use cases decide on (who may act, whether it is open, paused,
awaiting a payment) and what tracking shows. Kept by adapters/dossier_store.py."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DossierView:
    dossier_id: str
    code: str
    status: str | None
    due_at: datetime | None
    phone_hash: str | None
    agency_code: str | None
    rating: str | None
    paused_at: datetime | None
    payment_requested_amount: str | None
    last_event_at: datetime | None  # occurred_at of the last event folded into the view
    supplement_respond_by: datetime | None = None  # while papers are asked for: the time to hand them in
