import asyncio
import time
from datetime import timedelta

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from motcua_shared.api import create_app
from motcua_shared.auth import (
    CurrentPrincipal,
    InvalidToken,
    Principal,
    Role,
    TokenVerifier,
    ensure_agency,
    mint_token,
    require_role,
    tokens,
)

SECRET = "unit-test-secret-of-enough-length-for-hs256"


async def test_a_minted_token_verifies_to_its_role_and_agency() -> None:
    token = mint_token(SECRET, Role.OFFICER, subject="officer-1", agency_code="STNMT")
    principal = await TokenVerifier(secret=SECRET).verify(token)
    assert principal == Principal(subject="officer-1", role=Role.OFFICER, agency_code="STNMT")


async def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = mint_token("another-secret-of-enough-length-for-hs256", Role.ADMIN, subject="x")
    with pytest.raises(InvalidToken):
        await TokenVerifier(secret=SECRET).verify(token)


async def test_an_expired_token_is_refused() -> None:
    token = mint_token(SECRET, Role.ADMIN, subject="x", ttl=timedelta(seconds=-1))
    with pytest.raises(InvalidToken):
        await TokenVerifier(secret=SECRET).verify(token)


async def test_a_verified_token_is_refused_once_it_expires() -> None:
    verifier = TokenVerifier(secret=SECRET)
    token = mint_token(SECRET, Role.OFFICER, subject="officer-1", agency_code="STNMT", ttl=timedelta(seconds=1))
    await verifier.verify(token)
    await asyncio.sleep(2.05)  # exp is whole seconds
    with pytest.raises(InvalidToken):
        await verifier.verify(token)


async def test_a_verified_token_is_trusted_for_a_minute_then_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = TokenVerifier(secret=SECRET)
    token = mint_token(SECRET, Role.OFFICER, subject="officer-1", agency_code="STNMT")
    checks = []
    decode = tokens.jwt.decode
    monkeypatch.setattr(tokens.jwt, "decode", lambda *a, **k: checks.append(1) or decode(*a, **k))
    principal = await verifier.verify(token)
    assert await verifier.verify(token) == principal
    assert len(checks) == 1
    now = time.time()
    monkeypatch.setattr(tokens.time, "time", lambda: now + tokens.VERIFIED_FOR_SECONDS + 1)
    assert await verifier.verify(token) == principal
    assert len(checks) == 2


async def test_a_token_with_an_unknown_role_is_refused() -> None:
    import jwt

    token = jwt.encode(
        {"sub": "x", "role": "king", "exp": 4102444800, "iss": "motcua", "aud": "motcua"}, SECRET, algorithm="HS256"
    )
    with pytest.raises(InvalidToken):
        await TokenVerifier(secret=SECRET).verify(token)


def _app() -> TestClient:
    app = create_app(title="auth test")
    app.state.token_verifier = TokenVerifier(secret=SECRET)

    @app.post("/agencies/{agency_code}/things", dependencies=[Depends(require_role(Role.OFFICER))])
    async def act(agency_code: str, principal: CurrentPrincipal) -> dict[str, str]:
        ensure_agency(principal, agency_code)
        return {"done_by": principal.subject}

    return TestClient(app)


def _bearer(role: Role, agency: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, role, subject='u', agency_code=agency)}"}


def test_no_token_is_401_with_a_code() -> None:
    response = _app().post("/agencies/STNMT/things")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"] == "Bearer"  # RFC 6750: the scheme to use


def test_a_garbage_token_is_401_invalid_token() -> None:
    response = _app().post("/agencies/STNMT/things", headers={"Authorization": "Bearer abc.def.ghi"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_the_wrong_role_is_403() -> None:
    response = _app().post("/agencies/STNMT/things", headers=_bearer(Role.APPLICANT))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden_role"


def test_an_officer_of_another_agency_is_403() -> None:
    response = _app().post("/agencies/STNMT/things", headers=_bearer(Role.OFFICER, "STP"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden_agency"


def test_an_officer_of_the_agency_gets_through() -> None:
    response = _app().post("/agencies/STNMT/things", headers=_bearer(Role.OFFICER, "STNMT"))
    assert response.status_code == 200
    assert response.json() == {"done_by": "u"}
