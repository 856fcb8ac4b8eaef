"""Annotated dependencies for intake's routes."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from motcua_shared import idempotency as shared_idempotency
from motcua_shared.auth import Principal, Role, require_role
from pydantic import BaseModel

from ..service_layer.idempotent import fingerprint, run_once
from ..service_layer.unit import Decision, Intake


async def get_intake(request: Request) -> Intake:  # async: a plain def would run in a worker thread
    intake: Intake = request.app.state.intake
    return intake


IntakeDep = Annotated[Intake, Depends(get_intake)]


def client_address(request: Request) -> str:
    """The caller's address, which tracking limits count by. Behind a reverse proxy, uvicorn takes it
    from X-Forwarded-For when the proxy is in its FORWARDED_ALLOW_IPS."""
    return request.client.host if request.client else "unknown"


IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Required on every POST. A retry with the same key and body gets the first answer and "
        "publishes nothing new; the same key with another body is refused with 409 idempotency_key_reused.",
    ),
]

# What every POST may refuse with, being run once per Idempotency-Key (service_layer/idempotent.py).
IDEMPOTENT_CODES = shared_idempotency.IDEMPOTENT_CODES

Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
Submitter = Annotated[Principal, Depends(require_role(Role.OFFICER, Role.APPLICANT, Role.INTEGRATOR))]
ApplicantSide = Annotated[Principal, Depends(require_role(Role.APPLICANT, Role.INTEGRATOR))]
PaymentPlatform = Annotated[Principal, Depends(require_role(Role.INTEGRATOR))]


class ApplicantOnce:
    """An applicant's action run once per Idempotency-Key: the same request answers the first answer."""

    def __init__(self, request: Request, intake: IntakeDep, caller: ApplicantSide, key: IdempotencyKey) -> None:
        self.request, self.intake, self.caller, self.key = request, intake, caller, key

    async def __call__(
        self, body: BaseModel, decide: Callable[[Intake, Principal], Awaitable[Decision]]
    ) -> dict[str, Any]:
        request_fingerprint = fingerprint("POST", self.request.url.path, body.model_dump(mode="json"))
        return await run_once(
            self.intake, self.caller, self.key, request_fingerprint, lambda: decide(self.intake, self.caller)
        )


OnceForApplicant = Annotated[ApplicantOnce, Depends()]
