"""Reading dossiers: one dossier's state and history; an agency's inbox."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from motcua_shared.api import ApiError, error_responses
from motcua_shared.auth import ensure_agency
from motcua_shared.freshness import AsOf
from motcua_shared.lifecycle import DossierStatus

from ...service_layer import views
from ..deps import ProcessingDep, Reader
from ..schemas import DossierPublic, Inbox, InboxItem, hours, minutes

router = APIRouter(prefix="/v1", tags=["dossiers"])
DOSSIER_ERRORS = error_responses(
    {403: ["forbidden_agency"], 404: ["dossier_not_found"], 503: ["view_behind"]},
    notes={
        503: "`view_behind`: processing's view has not yet folded what was published before the request, "
        "and does not know the dossier yet; retry after `Retry-After` seconds"
    },
)
INBOX_ERRORS = error_responses({403: ["forbidden_agency"], 422: ["agency_required", "invalid_cursor"]})


@router.get("/dossiers/{code}", response_model=DossierPublic, responses=DOSSIER_ERRORS)
async def get_dossier(code: str, principal: Reader, processing: ProcessingDep) -> DossierPublic:
    """A dossier's state, due time, remaining working time, full history and anomalies, and in `as_of`
    how current processing's view of it is. A code the view does not know yet is looked for again once
    the view has folded what was published before the request (a few seconds at most): 404 then, or 503
    `view_behind`. Officers of the counter that received it for another agency (`receiving_agency_code`)
    may read it; only the competent agency's act on it."""
    dossier, lag = await views.dossier_by_code(processing, code)
    assert dossier.agency_code is not None
    received_here = dossier.receiving_agency_code is not None and principal.may_act_for(dossier.receiving_agency_code)
    if not received_here:  # the counter that received it (issue 18 item 6) reads it too
        ensure_agency(principal, await processing.responsible(dossier.agency_code))  # a dissolved one's: its successor
    remaining = views.remaining(processing, dossier, processing.now())
    answer = DossierPublic.of(dossier, remaining, views.deadline_state(processing, dossier, remaining))
    answer.as_of = AsOf(last_event_at=views.last_event_at(dossier), consumer_lag=lag)
    return answer


@router.get("/inbox", response_model=Inbox, responses=INBOX_ERRORS)
async def get_inbox(
    principal: Reader,
    processing: ProcessingDep,
    agency_code: Annotated[str | None, Query(max_length=50, description="default: the caller's agency")] = None,
    status: Annotated[
        list[DossierStatus] | None, Query(description="repeatable; default: every open status and result_ready")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="dossiers on one page")] = 200,
    cursor: Annotated[
        str | None, Query(max_length=500, description="the next_cursor of the previous page; default: the first page")
    ] = None,
    due_within_hours: Annotated[
        float | None,
        Query(
            gt=0,
            le=2000,
            description="only dossiers whose clock runs "
            "and which are due within this many working hours (not yet "
            'overdue): the officer\'s "sắp trễ" list',
        ),
    ] = None,
    supplement_expired: Annotated[
        bool,
        Query(
            description="only dossiers waiting for papers whose time passed "
            "(`dossier.supplement_expired`): they may be refused"
        ),
    ] = False,
    uncollected: Annotated[
        bool,
        Query(
            description="only results ready and not collected after "
            "MOTCUA_PROCESSING_UNCOLLECTED_AFTER_DAYS working days"
        ),
    ] = False,
    received_at_counter: Annotated[
        bool,
        Query(
            description="instead of the agency's own dossiers, those its "
            "counter received for other agencies (tiếp nhận không phụ thuộc "
            "địa giới hành chính): read only, `agency_code` on each line is "
            "the competent agency"
        ),
    ] = False,
) -> Inbox:
    """An agency's dossiers sorted by due time, soonest (most overdue) first, then those without a due time
    (not yet accepted), the longest waiting first; with the working time left on each. A page holds at
    most `limit`; when more follow, `next_cursor` is given: pass it as `cursor` for the next page."""
    agency = agency_code or principal.agency_code
    if agency is None:
        raise ApiError(422, "agency_required", "give agency_code")
    ensure_agency(principal, agency)
    only = views.InboxFilter(
        due_within=timedelta(hours=due_within_hours) if due_within_hours is not None else None,
        supplement_expired=supplement_expired,
        uncollected=uncollected,
        received_at_counter=received_at_counter,
    )
    page = await views.inbox(processing, agency, status, limit=limit, cursor=cursor, only=only)
    items = [
        InboxItem(
            dossier_id=d.dossier_id,
            code=d.code,
            procedure_code=d.procedure_code,
            channel=d.channel,
            status=d.status,
            portal_status=d.portal_status,
            received_at=d.received_at,
            due_at=d.due_at,
            remaining_working_hours=hours(line.remaining),
            paused=d.paused,
            overdue=line.overdue,
            remaining_working_minutes=minutes(line.remaining),
            deadline_state=state,
            deadline_label=views.DEADLINE_LABELS.get(state) if state else None,
            supplement_respond_by=d.supplement_respond_by,
            supplement_expired=d.supplement_expired_at is not None,
            uncollected=d.uncollected_at is not None,
            agency_code=d.agency_code,
            receiving_agency_code=d.receiving_agency_code,
        )
        for line in page.lines
        for d in (line.dossier,)
        for state in (views.deadline_state(processing, d, line.remaining),)
    ]
    return Inbox(data=items, count=len(items), next_cursor=page.next_cursor)
