"""U+0000 in a request or an event: refused at once with a clear error, because PostgreSQL (FerretDB's
backend) keeps no NUL in any text; found by schemathesis as a 503 from the store."""

import pytest
from fastapi.testclient import TestClient
from motcua_shared.api import create_app
from motcua_shared.events import EventValidationError, parse_event
from pydantic import BaseModel


class Note(BaseModel):
    text: str


def _client() -> TestClient:
    app = create_app(title="nul")

    @app.get("/echo")
    async def echo(q: str = "") -> dict[str, str]:
        return {"q": q}

    @app.post("/notes")
    async def notes(note: Note) -> dict[str, str]:
        return {"text": note.text}

    return TestClient(app)


@pytest.mark.parametrize(
    ("method", "path", "body", "where"),
    [
        ("GET", "/echo?q=a%00b", None, "query"),
        ("POST", "/notes", b'{"text": "a\\u0000b"}', "body"),
    ],
)
def test_a_nul_character_is_refused_with_a_machine_readable_code(
    method: str, path: str, body: bytes | None, where: str
) -> None:
    response = _client().request(method, path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_character" and error["fields"][0]["field"] == where


def test_text_without_nul_still_passes_even_an_escaped_backslash_before_u0000() -> None:
    client = _client()
    assert client.get("/echo", params={"q": "Nguyễn"}).json() == {"q": "Nguyễn"}
    answer = client.post("/notes", content=b'{"text": "C:\\\\u0000"}', headers={"Content-Type": "application/json"})
    assert answer.status_code == 200 and answer.json() == {"text": "C:\\u0000"}


def test_an_event_with_a_nul_character_is_invalid_not_a_poison_pill() -> None:
    raw = (
        b'{"event_id": "7d1c3f0e-5b7e-4f3a-9a57-1c2f1d9e8b10", "event_type": "dossier.refused", '
        b'"schema_version": 1, "occurred_at": "2026-01-06T08:15:00+07:00", "source": "x", '
        b'"dossier_id": "d1", "data": {"reason": "no\\u0000"}}'
    )
    with pytest.raises(EventValidationError) as refused:
        parse_event(raw)
    assert "U+0000" in str(refused.value)
    parse_event(raw.replace(b"\\u0000", b""))  # the same event without it is valid
