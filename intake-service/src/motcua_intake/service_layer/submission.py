"""Receiving a dossier at the counter, by post or online."""

import uuid
from datetime import datetime

from motcua_shared import events as ev
from motcua_shared.auth import Principal, Role, ensure_agency
from motcua_shared.calendar import due_at_receipt
from motcua_shared.refusals import Forbidden, Invalid

from ..domain.catalogue import check_submission
from ..domain.codes import PROVINCE_TZ, counter_key
from ..domain.phones import phone_hash
from ..domain.tracking import tracking_page_url
from .unit import Decision, Intake

# Who may submit on each channel. A postal clerk is either a counter officer registering mail the
# agency received, or the postal service's own system (an integrator) handing dossiers over.
CHANNEL_ROLES: dict[ev.Channel, frozenset[Role]] = {
    ev.Channel.DIRECT: frozenset({Role.OFFICER}),
    ev.Channel.POSTAL: frozenset({Role.OFFICER, Role.INTEGRATOR}),
    ev.Channel.ONLINE: frozenset({Role.APPLICANT, Role.INTEGRATOR}),
}


def check_channel_role(principal: Principal, channel: ev.Channel, agency_code: str) -> None:
    """403 unless `principal` may receive a dossier on `channel` at `agency_code`'s counter."""
    allowed = CHANNEL_ROLES[channel]
    if principal.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden(
            "forbidden_role", f"role {principal.role.value} may not submit {channel.value} dossiers ({names} may)"
        )
    if principal.role is Role.OFFICER:
        ensure_agency(principal, agency_code)


async def receiving_counter(
    intake: Intake, principal: Principal, channel: ev.Channel, competent: str, requested: str | None
) -> str | None:
    """The agency whose counter receives the dossier when it is not the competent one (issue 18 item 6:
    receipt regardless of administrative boundaries): any agency of the province's catalogue may receive
    a direct or postal dossier for another's procedure; an officer receives at their own agency's counter
    (403 `forbidden_agency` for another's, or for an agency the catalogue does not know or that was
    dissolved by `agency.superseded`). None when the competent agency receives it, and for online
    dossiers, which no counter receives (422)."""
    if channel is ev.Channel.ONLINE:
        if requested is not None:
            raise Invalid(
                "receiving_agency_not_allowed",
                "hồ sơ trực tuyến không qua quầy tiếp nhận nào (an online dossier is received by no "
                "counter: leave receiving_agency_code out)",
            )
        return None
    counter = requested or (principal.agency_code if principal.role is Role.OFFICER else None)
    if counter is None or counter == competent:
        return None
    if principal.role is Role.OFFICER:
        ensure_agency(principal, counter)
    agency = await intake.catalogue.agency(counter)
    today = intake.now().astimezone(PROVINCE_TZ).date()
    dissolved = agency is not None and agency.superseded_by is not None and agency.superseded_by.effective_date <= today
    if agency is None or dissolved:  # a dissolved agency has no counter any more
        if principal.role is Role.OFFICER:
            raise Forbidden("forbidden_agency", f"your agency {counter} is not a receiving agency of the province")
        raise Invalid(
            "receiving_agency_unknown", f"không có đơn vị tiếp nhận {counter} (there is no receiving agency {counter})"
        )
    return counter


async def submit(
    intake: Intake,
    principal: Principal,
    *,
    procedure_code: str,
    agency_code: str,
    channel: ev.Channel,
    applicant: ev.Applicant,
    documents: list[ev.Document] | None,
    receiving_agency_code: str | None = None,
) -> Decision:
    """Decide the events of a new dossier: submitted, and accepted at once when received at the
    counter or by post (the clock starts then; an online dossier waits for an officer). A dossier for
    a dissolved agency goes to its successor (agency.superseded), under the successor's code."""
    agency_code = await intake.catalogue.responsible(agency_code)
    counter = await receiving_counter(intake, principal, channel, agency_code, receiving_agency_code)
    check_channel_role(principal, channel, counter or agency_code)
    procedure = check_submission(
        await intake.catalogue.procedure(procedure_code),
        procedure_code=procedure_code,
        agency_code=agency_code,
        channel=channel,
    )
    # Whole seconds: the store keeps milliseconds, and an appointment read back must equal the receipt's.
    received_at = intake.now().replace(microsecond=0).astimezone(PROVINCE_TZ)
    dossier_id = str(uuid.uuid4())
    code = await intake.dossiers.reserve_code(counter_key(agency_code, received_at), dossier_id)
    events: list[ev.Envelope] = [
        ev.DossierSubmitted(
            occurred_at=received_at,
            source=intake.source,
            actor=principal.subject,
            dossier_id=dossier_id,
            data=ev.SubmittedData(
                dossier_code=code,
                procedure_code=procedure.code,
                agency_code=agency_code,
                channel=channel,
                applicant=applicant,
                documents=documents,
                receiving_agency_code=counter,
            ),
        )
    ]
    due_at: datetime | None = None
    if channel is not ev.Channel.ONLINE:
        # The procedure's cut-off and processing time, by the rule processing's acceptance follows too.
        due_at = due_at_receipt(intake.calendar, received_at, procedure, channel).astimezone(PROVINCE_TZ)
        events.append(
            ev.DossierAccepted(
                occurred_at=received_at,
                source=intake.source,
                actor=principal.subject,
                dossier_id=dossier_id,
                data=ev.AcceptedData(due_at=due_at),
            )
        )
    receipt = {
        "dossier_id": dossier_id,
        "dossier_code": code,
        "status": "accepted" if due_at else "submitted",
        "channel": channel.value,
        "procedure_code": procedure.code,
        "procedure_name": procedure.name,
        "agency_code": agency_code,
        "receiving_agency_code": counter,
        "received_at": received_at.isoformat(),
        "appointment_at": due_at.isoformat() if due_at else None,
        "tracking_url": tracking_page_url(intake.public_base_url, code),
    }
    return Decision(
        topic=intake.topics.dossier_events,
        key=dossier_id,
        events=events,
        response=receipt,
        phone_hash=phone_hash(applicant.phone, intake.phone_hash_key) if applicant.phone else None,
    )
