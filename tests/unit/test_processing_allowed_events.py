"""What a 409 `illegal_transition` offers as allowed: only the officer actions of processing's API,
on every status; never the clock's events, nor the applicant's."""

import ast
import inspect

import pytest
from motcua_processing.api.routes import actions
from motcua_processing.service_layer.officer_actions import OFFICER_EVENT_TYPES, IllegalAction
from motcua_shared.lifecycle import DossierStatus


def test_the_officer_events_are_those_the_action_routes_publish() -> None:
    source = ast.parse(inspect.getsource(actions))
    strings = [node.value for node in ast.walk(source) if isinstance(node, ast.Constant)]
    published = {s for s in strings if isinstance(s, str) and s.startswith("dossier.")}
    assert published == OFFICER_EVENT_TYPES


@pytest.mark.parametrize("status", [None, *DossierStatus])
def test_a_refusal_offers_only_officer_actions(status: DossierStatus | None) -> None:
    allowed = IllegalAction("X-1", status, "dossier.accepted").allowed
    assert set(allowed) <= OFFICER_EVENT_TYPES
    assert not {"dossier.overdue", "dossier.due_soon", "dossier.withdrawn", "dossier.rated", "dossier.submitted"} & set(
        allowed
    )
    assert allowed == sorted(allowed)


def test_an_accepted_dossier_offers_its_next_steps() -> None:
    assert IllegalAction("X-1", DossierStatus.ACCEPTED, "dossier.accepted").allowed == [
        "dossier.apology_issued",
        "dossier.payment_requested",
        "dossier.result_ready",
        "dossier.supplement_requested",
        "dossier.suspended",
        "dossier.transferred",
    ]
    assert IllegalAction("X-1", DossierStatus.RETURNED, "dossier.accepted").allowed == []
