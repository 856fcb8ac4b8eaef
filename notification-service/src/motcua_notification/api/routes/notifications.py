"""`GET /v1/notifications?dossier_code=…`: every message about a dossier, with status and attempts."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from motcua_shared.api import error_responses
from motcua_shared.auth import ensure_agency

from ..deps import NotifierDep, Reader
from ..schemas import AttemptPublic, NotificationPublic, NotificationsPublic

router = APIRouter(prefix="/v1", tags=["notifications"])


def _public(doc: dict[str, Any]) -> NotificationPublic:
    fields = {name: doc.get(name) for name in NotificationPublic.model_fields if name in doc}
    return NotificationPublic.model_validate(
        {
            **fields,
            "notification_id": doc["_id"],
            "attempts": [AttemptPublic.model_validate(a) for a in doc.get("attempts", [])],
        }
    )


@router.get(
    "/notifications", response_model=NotificationsPublic, responses=error_responses({403: ["forbidden_agency"]})
)
async def history(
    notifier: NotifierDep, caller: Reader, dossier_code: Annotated[str, Query(min_length=1, max_length=100)]
) -> NotificationsPublic:
    """The dossier's notifications in the order they were decided, each with its attempts.
    An officer sees only their agency's dossiers."""
    # ensure_agency decides for every caller (an officer's token without an agency may read none).
    agency = await notifier.directory.agency_of_code(dossier_code)
    if agency is not None:
        ensure_agency(caller, agency)
    docs = await notifier.deliveries.history(dossier_code)
    docs = [d for d in docs if d.get("agency_code") is None or caller.may_act_for(d["agency_code"])]
    data = [_public(d) for d in docs]
    return NotificationsPublic(data=data, count=len(data))
