"""FastAPI dependencies that enforce the caller's role and agency.

An app using them puts a `TokenVerifier` on `app.state.token_verifier` at start-up."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..api.errors import ApiError
from ..refusals import Forbidden
from .tokens import InvalidToken, Principal, Role, TokenVerifier

_bearer = HTTPBearer(auto_error=False)


# RFC 6750: a 401 names the scheme the caller must use.
BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise ApiError(401, "unauthenticated", "a bearer token is required", headers=BEARER_CHALLENGE)
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        return await verifier.verify(credentials.credentials)
    except InvalidToken as exc:
        raise ApiError(
            401,
            "invalid_token",
            f"the bearer token is not valid: {exc}",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from exc


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that answers 403 `forbidden_role` unless the caller has one of `roles`."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise ApiError(403, "forbidden_role", f"role {principal.role.value} may not do this ({allowed} may)")
        return principal

    return dependency


def ensure_agency(principal: Principal, agency_code: str) -> None:
    """Refused (403 `forbidden_agency`) unless the caller may act for `agency_code`; a use case's rule,
    so a domain refusal rather than an HTTP error."""
    if not principal.may_act_for(agency_code):
        scope = f"agency {principal.agency_code}" if principal.agency_code else "no agency"
        raise Forbidden("forbidden_agency", f"your token is scoped to {scope}")
