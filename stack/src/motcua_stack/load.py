"""The demo and load generator, one tool: `motcua-stack load --rate N --duration S` submits N dossiers a
second for S seconds through intake's real API (with Idempotency-Key), then plays each dossier's life
through the real APIs as the people involved would: officers accept, ask for papers or a fee, suspend,
apologise, mark the result ready and return it (processing); applicants hand in papers, withdraw and
rate, the payment platform reports fees paid (intake). Tokens are minted locally with the stack's secret.

Each dossier's life is decided up front from a seed (`plan`), so two runs with the same seed and
catalogue ask for the same things; that is what the scale-out test compares."""

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from motcua_shared.auth import Role, mint_token
from motcua_shared.lifecycle import LEADS_TO

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc", "Đức", "Thu", "Gia"]
GIVEN = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hoa",
    "Hùng",
    "Lan",
    "Long",
    "Mai",
    "Nam",
    "Phúc",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Vy",
    "Yến",
]
STREETS = ["Lê Lợi", "Hùng Vương", "Trần Hưng Đạo", "Nguyễn Huệ", "Bà Triệu", "Điện Biên Phủ", "Hai Bà Trưng"]

# Answers that mean "the service has not caught up with an earlier step yet": try again shortly.
# Intake and processing each learn the other's events from Kafka, a moment after they were published.
NOT_YET = {
    "dossier_not_found",
    "illegal_transition",
    "supplement_not_requested",
    "dossier_not_accepted",
    "dossier_not_returned",
    "payment_not_requested",
    "idempotency_request_in_progress",
    "broker_unavailable",
    "concurrent_action",
}


@dataclass(frozen=True)
class Step:
    """One request in a dossier's life: who (`actor`) asks which service (`api`) to do what."""

    action: str  # processing: accept, refuse, request-supplement, …; intake: supplements, rating, …
    api: str  # "processing" or "intake"
    actor: str  # "officer", "applicant" or "integrator"
    body: dict[str, Any] | None = None
    # The status processing shows once this step is applied (to recognise a step already done).
    then: str | None = None
    # For a step that changes no status: the error code saying it was applied already, taken for
    # success only after an attempt whose answer was lost (the service died after applying it and
    # before keeping its answer under the Idempotency-Key, so the retry is judged anew).
    applied: str | None = None


@dataclass(frozen=True)
class Script:
    """A dossier's whole life, decided before it starts."""

    index: int
    procedure_code: str
    agency_code: str
    channel: str
    applicant: dict[str, Any]
    steps: tuple[Step, ...]
    final_status: str

    @property
    def phone(self) -> str:
        return str(self.applicant["phone"])


def _after(event_type: str) -> str:
    """The status a step leaves the dossier in: the one its event leads to (motcua_shared.lifecycle)."""
    return LEADS_TO[event_type].value


def plan(procedures: list[dict[str, Any]], count: int, *, seed: int = 1) -> list[Script]:
    """`count` dossier lives over the catalogue's `procedures` (as intake's /v1/procedures gives them)."""
    rng = random.Random(seed)
    ordered = sorted(procedures, key=lambda p: p["procedure_code"])
    return [_script(rng, i, rng.choice(ordered), seed) for i in range(count)]


def _script(rng: random.Random, index: int, procedure: dict[str, Any], seed: int) -> Script:
    online_ok = procedure["online_level"] >= 3
    channel = rng.choices(["online", "direct", "postal"], weights=[5 if online_ok else 0, 4, 1])[0]
    fee = procedure.get("fee")
    phone = f"09{seed % 100:02d}{index:06d}"
    applicant = {
        "full_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
        "id_number": f"0{rng.randrange(10**10, 10**11)}",
        "phone": phone,
        "address": f"{rng.randrange(1, 300)} {rng.choice(STREETS)}, Huế",
        "preferred_language": rng.choice(["vi", "vi", "vi", "en"]),
    }
    steps: list[Step] = []
    status = "accepted"

    def add(step: Step) -> None:
        nonlocal status
        steps.append(step)
        status = step.then or status

    if channel == "online":
        if rng.random() < 0.08:
            add(
                Step(
                    "refuse",
                    "processing",
                    "officer",
                    {"reason": "Hồ sơ không thuộc thẩm quyền giải quyết"},
                    then=_after("dossier.refused"),
                )
            )
            return Script(
                index, procedure["procedure_code"], procedure["agency_code"], channel, applicant, tuple(steps), status
            )
        add(Step("accept", "processing", "officer", then=_after("dossier.accepted")))
    if rng.random() < 0.25:
        add(
            Step(
                "request-supplement",
                "processing",
                "officer",
                {"reason": "Thiếu bản sao giấy tờ tùy thân", "items": ["CCCD"]},
                then=_after("dossier.supplement_requested"),
            )
        )
        if rng.random() < 0.5:
            add(
                Step(
                    "supplements",
                    "intake",
                    "applicant",
                    {"phone": phone, "documents": [{"name": "cccd-ban-sao.pdf", "size": 120_000}]},
                    then=_after("dossier.supplement_received"),
                )
            )
        else:
            add(Step("receive-supplement", "processing", "officer", then=_after("dossier.supplement_received")))
    if rng.random() < 0.05:
        add(
            Step(
                "withdrawal",
                "intake",
                "applicant",
                {"phone": phone, "reason": "Không còn nhu cầu"},
                then=_after("dossier.withdrawn"),
            )
        )
        return Script(
            index, procedure["procedure_code"], procedure["agency_code"], channel, applicant, tuple(steps), status
        )
    if fee and rng.random() < 0.3:
        add(Step("request-payment", "processing", "officer", {"amount": fee}, then=_after("dossier.payment_requested")))
        if channel == "online":
            add(
                Step(
                    "payments/callback",
                    "intake",
                    "integrator",
                    {"amount": fee, "method": "online"},
                    then=_after("dossier.payment_completed"),
                )
            )
        else:
            add(
                Step(
                    "record-payment",
                    "processing",
                    "officer",
                    {"amount": fee, "method": "counter"},
                    then=_after("dossier.payment_completed"),
                )
            )
    if rng.random() < 0.1:
        add(
            Step(
                "suspend",
                "processing",
                "officer",
                {"reason": "Chờ ý kiến cơ quan phối hợp"},
                then=_after("dossier.suspended"),
            )
        )
        add(Step("resume", "processing", "officer", then=_after("dossier.resumed")))
    if rng.random() < 0.08:
        # The new appointment is filled in from the dossier's due time when the step runs.
        add(
            Step(
                "apology",
                "processing",
                "officer",
                {"reason": "Cần thêm thời gian xác minh thực địa"},
                applied="apology_already_issued",
            )
        )
    if rng.random() < 0.12:
        # Left open: the officer is still working on it.
        return Script(
            index, procedure["procedure_code"], procedure["agency_code"], channel, applicant, tuple(steps), status
        )
    add(
        Step(
            "result-ready",
            "processing",
            "officer",
            {"result_number": f"KQ-{seed}-{index:06d}"},
            then=_after("dossier.result_ready"),
        )
    )
    delivery = {"online": "online", "postal": "postal"}.get(channel, "direct")
    add(Step("return", "processing", "officer", {"delivery": delivery}, then=_after("dossier.returned")))
    if rng.random() < 0.7:
        rating = rng.choices(["very_satisfied", "satisfied", "unsatisfied"], weights=[5, 4, 1])[0]
        add(Step("rating", "intake", "applicant", {"phone": phone, "rating": rating}))
    return Script(
        index, procedure["procedure_code"], procedure["agency_code"], channel, applicant, tuple(steps), status
    )


@dataclass
class Stats:
    """What the run asked and how the services answered."""

    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    submitted: int = 0
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)  # (action, HTTP status) -> count
    latencies: dict[str, list[float]] = field(default_factory=dict)
    retries: int = 0
    failures: list[str] = field(default_factory=list)  # lives that could not be played to the end
    codes: dict[int, str] = field(default_factory=dict)  # script index -> dossier code

    def record(self, action: str, status: int, seconds: float) -> None:
        self.answers[(action, status)] += 1
        self.latencies.setdefault(action, []).append(seconds)

    def summary(self) -> str:
        elapsed = (self.finished or time.monotonic()) - self.started
        requests = sum(self.answers.values())
        lines = [
            f"{self.submitted} dossiers submitted, {requests} requests in {elapsed:.1f}s "
            f"({requests / elapsed if elapsed else 0:.1f} req/s), {self.retries} retries while a service "
            f"caught up, {len(self.failures)} lives not finished"
        ]
        for action in sorted(self.latencies):
            values = sorted(self.latencies[action])
            statuses = ", ".join(f"{s}x{n}" for (a, s), n in sorted(self.answers.items()) if a == action)
            lines.append(
                f"  {action:<20} p50 {_pct(values, 50) * 1000:6.0f} ms  p95 {_pct(values, 95) * 1000:6.0f} ms"
                f"  [{statuses}]"
            )
        lines.extend(f"  failed: {failure}" for failure in self.failures[:10])
        return "\n".join(lines)


def _pct(values: list[float], pct: int) -> float:
    return values[min(len(values) - 1, int(len(values) * pct / 100))] if values else 0.0


class Tokens:
    """Bearer tokens minted locally, one per role and agency."""

    def __init__(self, secret: str, *, issuer: str = "motcua", audience: str = "motcua") -> None:
        self._mint: Callable[..., str] = lambda role, subject, agency: mint_token(
            secret, role, subject=subject, agency_code=agency, issuer=issuer, audience=audience
        )
        self._cache: dict[tuple[str, str, str | None], str] = {}

    def header(self, role: Role | str, *, subject: str | None = None, agency: str | None = None) -> dict[str, str]:
        key = (str(role), subject or f"load-{role}", agency)
        if key not in self._cache:
            self._cache[key] = self._mint(role, key[1], agency)
        return {"Authorization": f"Bearer {self._cache[key]}"}


class Driver:
    """Plays scripts against intake and processing."""

    def __init__(
        self,
        intake_url: str,
        processing_url: str,
        tokens: Tokens,
        *,
        run_id: str | None = None,
        think_seconds: float = 0.5,
        patience_seconds: float = 60.0,
        concurrency: int = 32,
    ) -> None:
        self.intake_url = intake_url.rstrip("/")
        self.processing_url = processing_url.rstrip("/")
        self.tokens = tokens
        self.run_id = run_id or uuid.uuid4().hex[:8]
        self.think_seconds = think_seconds
        self.patience_seconds = patience_seconds
        self.stats = Stats()
        self._gate = asyncio.Semaphore(concurrency)
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> "Driver":
        self._client = httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(max_connections=64))
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def run(self, scripts: list[Script], *, rate: float) -> Stats:
        """Start one script every 1/rate seconds; wait for every life to end."""
        lives = []
        began = time.monotonic()
        for n, script in enumerate(scripts):
            delay = began + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            lives.append(asyncio.create_task(self.live(script)))
        await asyncio.gather(*lives)
        self.stats.finished = time.monotonic()
        return self.stats

    async def live(self, script: Script) -> None:
        rng = random.Random(f"{self.run_id}-{script.index}")
        try:
            code = await self._submit(script)
            self.stats.codes[script.index] = code
            due_at: str | None = None
            for number, step in enumerate(script.steps):
                await asyncio.sleep(self.think_seconds * rng.uniform(0.3, 1.7))
                if step.action == "apology":
                    answer = await self._apology(script, code, number, step, due_at)
                else:
                    answer = await self._step(script, code, number, step, step.body)
                dossier = answer.get("dossier") if isinstance(answer, dict) else None
                if dossier and dossier.get("due_at"):
                    due_at = dossier["due_at"]
        except LifeFailed as exc:
            self.stats.failures.append(f"dossier #{script.index}: {exc}")

    async def _apology(self, script: Script, code: str, number: int, step: Step, due_at: str | None) -> Any:
        """Apologise with a date after the due time as processing has it now: a counter dossier was
        accepted by intake, and a pause ended through intake moves it, so no answer of ours may have
        shown it; if it moved again before the apology landed, the officer reads it once more."""
        for attempt in range(3):
            due_at = await self._due_at(script, code) or due_at
            body = {**(step.body or {}), "new_due_at": _later(due_at)}
            try:
                return await self._step(script, code, number, step, body)
            except LifeFailed as exc:
                if "appointment_not_later" not in str(exc) or attempt == 2:
                    raise
                await asyncio.sleep(1.0)
        raise AssertionError("unreachable")

    async def _submit(self, script: Script) -> str:
        body = {
            "procedure_code": script.procedure_code,
            "agency_code": script.agency_code,
            "channel": script.channel,
            "applicant": script.applicant,
            "documents": [{"name": "don-de-nghi.pdf", "size": 80_000}],
        }
        if script.channel == "online":
            headers = self.tokens.header(Role.APPLICANT, subject=f"applicant-{script.phone}")
        else:
            headers = self.tokens.header(
                Role.OFFICER, subject=f"counter-{script.agency_code}", agency=script.agency_code
            )
        headers["Idempotency-Key"] = f"{self.run_id}-{script.index}-submit"
        answer = await self._request("submit", f"{self.intake_url}/v1/dossiers", body, headers, then=None)
        self.stats.submitted += 1
        return str(answer["dossier_code"])

    async def _due_at(self, script: Script, code: str) -> str | None:
        """The dossier's current due time at processing, once processing knows it (None if it never does
        within our patience: the apology step then says why)."""
        assert self._client is not None
        headers = self.tokens.header(Role.OFFICER, subject=f"officer-{script.agency_code}", agency=script.agency_code)
        deadline = time.monotonic() + self.patience_seconds
        while time.monotonic() < deadline:
            try:
                response = await self._client.get(f"{self.processing_url}/v1/dossiers/{code}", headers=headers)
                if response.is_success and response.json().get("due_at"):
                    return str(response.json()["due_at"])
            except (httpx.TransportError, ValueError):
                pass
            await asyncio.sleep(0.3)
        return None

    async def _step(self, script: Script, code: str, number: int, step: Step, body: dict[str, Any] | None) -> Any:
        if step.api == "processing":
            url = f"{self.processing_url}/v1/dossiers/{code}/{step.action}"
            headers = self.tokens.header(
                Role.OFFICER, subject=f"officer-{script.agency_code}", agency=script.agency_code
            )
            return await self._request(step.action, url, body or {}, headers, then=step.then, applied=step.applied)
        if step.actor == "integrator":
            url = f"{self.intake_url}/v1/{step.action}"
            body = {**(body or {}), "dossier_code": code}
            headers = self.tokens.header(Role.INTEGRATOR, subject="payment-platform")
        else:
            url = f"{self.intake_url}/v1/dossiers/{code}/{step.action}"
            headers = self.tokens.header(Role.APPLICANT, subject=f"applicant-{script.phone}")
        headers["Idempotency-Key"] = f"{self.run_id}-{script.index}-{number}"
        return await self._request(step.action, url, body or {}, headers, then=step.then)

    async def _request(
        self,
        action: str,
        url: str,
        body: dict[str, Any],
        headers: dict[str, str],
        *,
        then: str | None,
        applied: str | None = None,
    ) -> Any:
        """POST until answered 2xx; retry while the service has not caught up with an earlier step."""
        assert self._client is not None
        deadline = time.monotonic() + self.patience_seconds
        pause = 0.1
        lost = False  # an attempt's answer was lost: it may have been applied
        while True:
            async with self._gate:
                began = time.monotonic()
                response: httpx.Response | None
                try:
                    response = await self._client.post(url, json=body, headers=headers)
                except httpx.TransportError as exc:
                    self.stats.record(action, 0, time.monotonic() - began)
                    error: dict[str, Any] = {"code": "transport", "message": str(exc)}
                    response = None
                else:
                    self.stats.record(action, response.status_code, time.monotonic() - began)
            if response is not None:
                if response.is_success:
                    return response.json()
                error = _error(response)
                if response.status_code == 409 and then and error.get("current_status") == then:
                    return {}  # an earlier attempt was applied though its answer was lost
                if lost and applied is not None and error.get("code") == applied:
                    return {}
                if response.status_code < 500 and error.get("code") not in NOT_YET:
                    raise LifeFailed(f"{action}: {response.status_code} {error.get('code')} {error.get('message')}")
            lost = lost or response is None or response.status_code >= 500
            if time.monotonic() > deadline:
                raise LifeFailed(f"{action}: still {error.get('code')} after {self.patience_seconds:.0f}s")
            self.stats.retries += 1
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, 1.0)


class LifeFailed(Exception):
    """A step was refused for good, or a service did not catch up in time."""


def _error(response: httpx.Response) -> dict[str, Any]:
    try:
        error = response.json().get("error")
    except ValueError:
        error = None
    return error if isinstance(error, dict) else {"code": f"http_{response.status_code}", "message": response.text}


def _later(due_at: str | None) -> str:
    """A new appointment five days after the current due time (or from now when unknown)."""
    base = datetime.fromisoformat(due_at) if due_at else datetime.now().astimezone()
    return (base + timedelta(days=5)).isoformat()


async def procedures(intake_url: str, *, wait_seconds: float = 60.0, expect: int = 1) -> list[dict[str, Any]]:
    """The catalogue's current procedures from intake, waiting until at least `expect` are known."""
    deadline = time.monotonic() + wait_seconds
    async with httpx.AsyncClient(timeout=10.0) as client:
        while True:
            try:
                response = await client.get(f"{intake_url.rstrip('/')}/v1/procedures")
                data = response.json().get("data", []) if response.is_success else []
            except (httpx.TransportError, ValueError):
                data = []
            if len(data) >= expect or time.monotonic() > deadline:
                return list(data)
            await asyncio.sleep(0.5)


async def run(
    intake_url: str,
    processing_url: str,
    secret: str,
    *,
    rate: float,
    duration: float,
    seed: int = 1,
    think_seconds: float = 0.5,
    run_id: str | None = None,
) -> Stats:
    """Submit `rate` dossiers a second for `duration` seconds and play their lives to the end."""
    catalogue = await procedures(intake_url)
    if not catalogue:
        raise RuntimeError(f"intake at {intake_url} knows no procedure; load the catalogue first")
    scripts = plan(catalogue, max(1, round(rate * duration)), seed=seed)
    async with Driver(intake_url, processing_url, Tokens(secret), run_id=run_id, think_seconds=think_seconds) as driver:
        return await driver.run(scripts, rate=rate)
