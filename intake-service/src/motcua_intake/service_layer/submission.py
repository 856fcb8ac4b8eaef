"""Receiving a dossier at the counter, by post or online."""

import uuid
from datetime import datetime

from motcua_shared import events as ev
from motcua_shared.api import ApiError
from motcua_shared.auth import Principal, Role, ensure_agency
from motcua_shared.calendar import due_at_receipt

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
    """403 unless `principal` may receive a dossier on `channel` for `agency_code`."""
    allowed = CHANNEL_ROLES[channel]
    if principal.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise ApiError(403, "forbidden_role",
                       f"role {principal.role.value} may not submit {channel.value} dossiers ({names} may)")
    if principal.role is Role.OFFICER:
        ensure_agency(principal, agency_code)


async def submit(
    intake: Intake, principal: Principal, *, procedure_code: str, agency_code: str, channel: ev.Channel,
    applicant: ev.Applicant, documents: list[ev.Document] | None,
) -> Decision:
    """Decide the events of a new dossier: submitted, and accepted at once when received at the
    counter or by post (the clock starts then; an online dossier waits for an officer). A dossier for
    a dissolved agency goes to its successor (agency.superseded), under the successor's code."""
    agency_code = await intake.catalogue.responsible(agency_code)
    check_channel_role(principal, channel, agency_code)
    procedure = check_submission(
        await intake.catalogue.procedure(procedure_code),
        procedure_code=procedure_code, agency_code=agency_code, channel=channel,
    )
    # Whole seconds: the store keeps milliseconds, and an appointment read back must equal the receipt's.
    received_at = intake.now().replace(microsecond=0).astimezone(PROVINCE_TZ)
    dossier_id = str(uuid.uuid4())
    code = await intake.dossiers.reserve_code(counter_key(agency_code, received_at), dossier_id)
    events: list[ev.Envelope] = [ev.DossierSubmitted(
        occurred_at=received_at, source=intake.source, actor=principal.subject, dossier_id=dossier_id,
        data=ev.SubmittedData(dossier_code=code, procedure_code=procedure.code, agency_code=agency_code,
                              channel=channel, applicant=applicant, documents=documents),
    )]
    due_at: datetime | None = None
    if channel is not ev.Channel.ONLINE:
        # The procedure's cut-off and processing time, by the rule processing's acceptance follows too.
        due_at = due_at_receipt(intake.calendar, received_at, procedure, channel).astimezone(PROVINCE_TZ)
        events.append(ev.DossierAccepted(
            occurred_at=received_at, source=intake.source, actor=principal.subject, dossier_id=dossier_id,
            data=ev.AcceptedData(due_at=due_at),
        ))
    receipt = {
        "dossier_id": dossier_id,
        "dossier_code": code,
        "status": "accepted" if due_at else "submitted",
        "channel": channel.value,
        "procedure_code": procedure.code,
        "procedure_name": procedure.name,
        "agency_code": agency_code,
        "received_at": received_at.isoformat(),
        "appointment_at": due_at.isoformat() if due_at else None,
        "tracking_url": tracking_page_url(intake.public_base_url, code),
    }
    return Decision(
        topic=intake.topics.dossier_events, key=dossier_id, events=events, response=receipt,
        phone_hash=phone_hash(applicant.phone, intake.phone_hash_key) if applicant.phone else None,
    )
