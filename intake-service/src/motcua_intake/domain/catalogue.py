"""The procedure catalogue as intake sees it, and the rule for which dossiers a procedure accepts."""

from motcua_shared.catalogue import Agency, Procedure
from motcua_shared.events import Channel
from motcua_shared.refusals import Conflict, Invalid, NotFound

__all__ = ["Agency", "Procedure", "check_submission"]


def check_submission(
    procedure: Procedure | None, *, procedure_code: str, agency_code: str, channel: Channel
) -> Procedure:
    """The procedure if it may receive this dossier, else the refusal that tells the caller why."""
    if procedure is None:
        raise NotFound("procedure_not_found", f"there is no procedure {procedure_code}")
    if procedure.retired:
        raise Conflict("procedure_retired", f"procedure {procedure_code} has been retired")
    if procedure.agency_code != agency_code:
        raise Invalid(
            "procedure_not_of_agency",
            f"procedure {procedure_code} belongs to agency {procedure.agency_code}, not {agency_code}",
        )
    if channel is Channel.ONLINE and not procedure.accepts_online:
        raise Invalid(
            "online_submission_not_allowed",
            f"procedure {procedure_code} is at online level {procedure.online_level}; "
            "online dossiers need level 3 or 4",
        )
    return procedure
