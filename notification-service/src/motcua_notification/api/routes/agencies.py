"""Agencies' contacts for warnings (overdue, due soon). The catalogue carries no contact address, so
admins keep them here."""

from fastapi import APIRouter
from motcua_shared.api import error_responses

from ..deps import Admin, NotifierDep, found
from ..schemas import AgencyContactsPublic, AgencyContactsUpdate

router = APIRouter(prefix="/v1", tags=["agencies"])


@router.put("/agencies/{agency_code}/contacts", response_model=AgencyContactsPublic, responses=error_responses())
async def set_contacts(
    agency_code: str, body: AgencyContactsUpdate, notifier: NotifierDep, caller: Admin
) -> AgencyContactsPublic:
    doc = await notifier.directory.set_contacts(
        agency_code, [str(e) for e in body.emails], body.language, caller.subject
    )
    return AgencyContactsPublic(**doc)


@router.get(
    "/agencies/{agency_code}/contacts",
    response_model=AgencyContactsPublic,
    responses=error_responses({404: ["contacts_not_found"]}),
)
async def get_contacts(agency_code: str, notifier: NotifierDep, _: Admin) -> AgencyContactsPublic:
    doc = found(
        await notifier.directory.contacts(agency_code),
        "contacts_not_found",
        f"cơ quan {agency_code} chưa có địa chỉ liên hệ (no contacts for agency {agency_code})",
    )
    return AgencyContactsPublic(**doc)
