"""JWT verification and minting. HS256 with a configured secret for local use; RS256 with keys
from a JWKS URL in production."""

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt


class Role(StrEnum):
    APPLICANT = "applicant"
    OFFICER = "officer"
    OFFICIAL = "official"
    INTEGRATOR = "integrator"
    ADMIN = "admin"


class InvalidToken(Exception):
    """The token is missing a claim, expired, badly signed or otherwise unusable."""


@dataclass(frozen=True)
class Principal:
    """The caller. `agency_code` is the agency scope; None means every agency (officials, admins)."""

    subject: str
    role: Role
    agency_code: str | None = None

    def may_act_for(self, agency_code: str) -> bool:
        if self.agency_code is None:
            # An officer works for one agency: a token without one is a mistake, not a master key.
            return self.role is not Role.OFFICER
        return self.agency_code == agency_code


# How long a verified token is taken on trust (within its own expiry): a key withdrawn from the JWKS
# stops a token it signed within this time; and how many tokens are remembered (the one verified
# longest ago forgotten first).
VERIFIED_FOR_SECONDS = 60.0
VERIFIED_TOKENS_KEPT = 10_000


class TokenVerifier:
    def __init__(
        self,
        *,
        secret: str | None = None,
        jwks_url: str | None = None,
        issuer: str = "motcua",
        audience: str = "motcua",
    ) -> None:
        if not secret and not jwks_url:
            raise ValueError("a token verifier needs a secret (HS256) or a JWKS URL (RS256)")
        self._secret = secret
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None
        self._issuer = issuer
        self._audience = audience
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    async def verify(self, token: str) -> Principal:
        """The principal the token names, or InvalidToken. A token verified in the last
        VERIFIED_FOR_SECONDS (and not expired since) is not verified again: a counter officer's client
        sends the same token with every request, and checking it took about 5% of intake's CPU per
        submission (issue 16)."""
        now = time.time()
        cached = self._verified.get(token)
        if cached is not None and now < cached[1]:
            return cached[0]
        principal, expires_at = await self._verify(token)
        self._verified[token] = (principal, min(expires_at, now + VERIFIED_FOR_SECONDS))
        self._verified.move_to_end(token)
        while len(self._verified) > VERIFIED_TOKENS_KEPT:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            if self._jwks is not None:
                # PyJWKClient fetches keys with blocking I/O (cached after the first call).
                signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                key, algorithms = signing_key.key, ["RS256"]
            else:
                key, algorithms = self._secret, ["HS256"]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["sub", "exp", "role"]},
            )
            principal = Principal(
                subject=str(claims["sub"]),
                role=Role(claims["role"]),
                agency_code=claims.get("agency_code"),
            )
            return principal, float(claims["exp"])
        except (jwt.PyJWTError, ValueError) as exc:
            raise InvalidToken(str(exc)) from exc


def mint_token(
    secret: str,
    role: Role | str,
    *,
    subject: str,
    agency_code: str | None = None,
    ttl: timedelta = timedelta(hours=12),
    issuer: str = "motcua",
    audience: str = "motcua",
) -> str:
    """A signed HS256 token for local use and tests."""
    now = datetime.now(UTC)
    claims = {
        "sub": subject,
        "role": Role(role).value,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl,
    }
    if agency_code is not None:
        claims["agency_code"] = agency_code
    return jwt.encode(claims, secret, algorithm="HS256")
