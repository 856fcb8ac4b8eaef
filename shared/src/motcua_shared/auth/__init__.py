"""Bearer-token authentication: who is calling, in which role, for which agency."""

from .dependencies import CurrentPrincipal, ensure_agency, require_role
from .tokens import InvalidToken, Principal, Role, TokenVerifier, mint_token

__all__ = [
    "CurrentPrincipal",
    "InvalidToken",
    "Principal",
    "Role",
    "TokenVerifier",
    "ensure_agency",
    "mint_token",
    "require_role",
]
