"""The routing table, as data: which event tells which audience on which channel, with which template.

An applicant is told on every channel they gave a contact for (email, SMS); an agency through the
contacts an admin registered for it. Webhooks are not routed here: integrators subscribe to event
types themselves (see service_layer.notifier)."""

from dataclasses import dataclass
from enum import StrEnum

from motcua_shared.events import NotificationChannel


class Audience(StrEnum):
    APPLICANT = "applicant"
    AGENCY = "agency"
    INTEGRATOR = "integrator"


EMAIL, SMS = NotificationChannel.EMAIL, NotificationChannel.SMS


@dataclass(frozen=True)
class Route:
    event_type: str
    audience: Audience
    channel: NotificationChannel
    template_id: str


def _applicant(event_type: str, name: str, channels: tuple[NotificationChannel, ...] = (EMAIL, SMS)) -> list[Route]:
    return [Route(event_type, Audience.APPLICANT, c, f"applicant.{name}.{c.value}") for c in channels]


def _agency(event_type: str, name: str) -> list[Route]:
    return [Route(event_type, Audience.AGENCY, EMAIL, f"agency.{name}.email")]


ROUTES: tuple[Route, ...] = (
    *_applicant("dossier.submitted", "received"),
    *_applicant("dossier.accepted", "accepted"),  # the receipt, with the appointment date
    *_applicant("dossier.refused", "refused"),
    *_applicant("dossier.supplement_requested", "supplement_requested"),
    *_applicant("dossier.supplement_received", "supplement_received"),
    *_applicant("dossier.payment_requested", "payment_requested"),
    *_applicant("dossier.result_ready", "result_ready"),
    *_applicant("dossier.returned", "returned"),
    *_applicant("dossier.returned", "rating_invitation", (EMAIL,)),
    *_applicant("dossier.apology_issued", "apology"),  # the email carries the signed letter as a PDF
    # Reminders, once each (the clock announces each once): the papers' time ends soon; a result waits.
    *_applicant("dossier.supplement_due_soon", "supplement_due_soon"),
    *_applicant("dossier.result_uncollected", "result_uncollected"),
    *_agency("dossier.overdue", "overdue"),
    *_agency("dossier.due_soon", "due_soon"),
)


def routes_for(event_type: str, routes: tuple[Route, ...] = ROUTES) -> list[Route]:
    """The routes an event of `event_type` takes, in table order."""
    return [r for r in routes if r.event_type == event_type]


def subscribes_to(event_types: list[str], event_type: str) -> bool:
    """Whether a webhook subscription to `event_types` (`*`: every type) wants events of `event_type`."""
    return event_type in event_types or "*" in event_types
