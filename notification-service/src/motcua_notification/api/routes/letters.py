"""`GET /v1/letters/{letter_id}`: a stored apology letter as a PDF, for the agency to print and sign."""

from fastapi import APIRouter, Response
from motcua_shared.api import error_responses
from motcua_shared.auth import ensure_agency

from ..deps import NotifierDep, Reader, found

router = APIRouter(prefix="/v1", tags=["letters"])


@router.get(
    "/letters/{letter_id}",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}},
        **error_responses({403: ["forbidden_agency"], 404: ["letter_not_found"]}),
    },
)
async def get_letter(letter_id: str, notifier: NotifierDep, caller: Reader) -> Response:
    letter = found(
        await notifier.letters.get(letter_id), "letter_not_found", f"không có thư {letter_id} (no letter {letter_id})"
    )
    agency = await notifier.directory.agency_of_code(letter["dossier_code"])
    if agency is not None:
        ensure_agency(caller, agency)
    return Response(
        letter["pdf"],
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="phieu-xin-loi-{letter["dossier_code"]}.pdf"'},
    )
