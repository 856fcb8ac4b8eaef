"""Helpers for reporting's integration tests (imported by the test_reporting_* modules; no tests here):
topics of the test's own, dossier histories built from the shared event classes, publishing them to
the real broker, a reporting app folding them, and waiting for the fold."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from motcua_reporting.adapters.read_models import active_read_models
from motcua_reporting.bootstrap import create_app
from motcua_reporting.config import Settings
from motcua_shared import events as ev
from motcua_shared.auth import Role, mint_token
from motcua_shared.catalogue import catalogue_code
from motcua_shared.kafka import make_broker
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase

SECRET = "reporting-integration-test-secret-of-32-bytes-or-more"
VN = timezone(timedelta(hours=7))


def vn(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


def token(role: Role, *, agency: str | None = None) -> dict[str, str]:
    value = mint_token(SECRET, role, subject=f"test-{role.value}", agency_code=agency)
    return {"Authorization": f"Bearer {value}"}


OFFICIAL = token(Role.OFFICIAL)


async def create_topics(bootstrap: str, run_id: str) -> Topics:
    """Topics of this test alone (so that nothing another test publishes is counted)."""
    topics = Topics(f"test-{run_id}-rep-{uuid.uuid4().hex[:6]}.")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, num_partitions=3, replication_factor=1) for n in topics.all()])
    finally:
        await admin.close()
    return topics


def reporting_settings(kafka: str, mongodb_url: str, database: str, topics: Topics, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": kafka,
        "mongodb_url": mongodb_url,
        "mongodb_database": database,
        "topic_prefix": topics.prefix,
        "consumer_group": f"reporting-test-{uuid.uuid4().hex[:8]}",
        "jwt_secret": SECRET,
        "generation_ttl_seconds": 0.2,
        # A consumer stopped mid-claim is replaced at once in these tests: take its claim over soon.
        "claim_takeover_seconds": 2.0,
        **overrides,
    }
    return Settings(**values)


@asynccontextmanager
async def running_reporting(settings: Settings, *, consume: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """The reporting app with its lifespan (store, consumers) and an HTTP client on it."""
    app = create_app(settings, consume=consume)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as client:
            yield client


async def publish(bootstrap: str, topics: Topics, events: Iterable[ev.Envelope]) -> None:
    """Publish with the shared broker factory, keyed as the contract says."""
    broker = make_broker(bootstrap, client_id="reporting-test")
    await broker.connect()
    try:
        for event in events:
            if isinstance(event, ev.DossierEvent):
                topic, key = topics.dossier_events, event.dossier_id
            else:
                topic, key = topics.catalog_events, catalogue_code(event)
            await broker.publish(event.to_bytes(), topic=topic, key=key.encode())
    finally:
        await broker.stop()


async def folded(
    db: AsyncDatabase[Any], *, dossier_events: int, agencies: int, procedures: int, wait: float = 120.0
) -> None:
    """Wait until the active read models hold exactly these numbers of events, agencies, procedures
    and no claim is left unfinished."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    state: tuple[int, int, int, int] = (0, 0, 0, 0)
    while loop.time() < deadline:
        models = await active_read_models(db)
        applied = sum([len(d["applied"]) async for d in models.dossiers.find({}, {"applied": 1})])
        pending = await models.claims.count_documents({"done": False})
        state = (
            applied,
            await models.agencies.count_documents({"name": {"$exists": True}}),
            await models.procedures.count_documents({"name": {"$exists": True}}),
            pending,
        )
        if state == (dossier_events, agencies, procedures, 0):
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"not folded in time: (events, agencies, procedures, pending) = {state}")


# --- building histories ------------------------------------------------------------------------


class History:
    """One dossier's events, built in business order with the shared event classes."""

    def __init__(self, dossier_id: str, agency: str, procedure: str, channel: str, at: datetime) -> None:
        self.id = dossier_id
        self.events: list[ev.DossierEvent] = []
        self._add(
            ev.DossierSubmitted,
            at,
            ev.SubmittedData(
                dossier_code=f"{agency}-{at:%y%m%d}-{len(dossier_id):04d}",
                procedure_code=procedure,
                agency_code=agency,
                channel=ev.Channel(channel),
                applicant=ev.Applicant(
                    full_name="Nguyễn Văn An", id_number="001085012345", phone="0912345678", address="12 Lê Lợi, Huế"
                ),
            ),
        )

    def _add(self, cls: type[ev.DossierEvent], at: datetime, data: Any) -> "History":
        self.events.append(cls(occurred_at=at, source="reporting-test", dossier_id=self.id, data=data))
        return self

    def accepted(self, at: datetime, due: datetime) -> "History":
        return self._add(ev.DossierAccepted, at, ev.AcceptedData(due_at=due))

    def refused(self, at: datetime) -> "History":
        return self._add(ev.DossierRefused, at, ev.RefusedData(reason="Không thuộc thẩm quyền"))

    def supplement_requested(self, at: datetime) -> "History":
        return self._add(ev.DossierSupplementRequested, at, ev.SupplementRequestedData(reason="Thiếu giấy tờ"))

    def payment(self, requested: datetime, completed: datetime, method: str = "online") -> "History":
        self._add(ev.DossierPaymentRequested, requested, ev.PaymentRequestedData(amount=Decimal(600000)))
        return self._add(
            ev.DossierPaymentCompleted,
            completed,
            ev.PaymentCompletedData(amount=Decimal(600000), method=ev.PaymentMethod(method)),
        )

    def apology(self, at: datetime, new_due: datetime) -> "History":
        return self._add(ev.DossierApologyIssued, at, ev.ApologyIssuedData(reason="Cần xác minh", new_due_at=new_due))

    def transferred(self, at: datetime, to: str) -> "History":
        return self._add(ev.DossierTransferred, at, ev.TransferredData(to_agency_code=to))

    def result(self, at: datetime, finished: datetime | None = None) -> "History":
        return self._add(ev.DossierResultReady, at, ev.ResultReadyData(finished_at=finished))

    def returned(self, at: datetime, delivery: str = "direct") -> "History":
        return self._add(ev.DossierReturned, at, ev.ReturnedData(delivery=ev.Delivery(delivery)))

    def withdrawn(self, at: datetime) -> "History":
        return self._add(ev.DossierWithdrawn, at, ev.WithdrawnData())

    def rated(self, at: datetime, rating: str) -> "History":
        return self._add(ev.DossierRated, at, ev.RatedData(rating=ev.Rating(rating)))


def agency(code: str, name: str, level: str, parent: str | None = None) -> ev.AgencyRegistered:
    return ev.AgencyRegistered(
        occurred_at=vn(2019, 1, 1),
        source="reporting-test",
        data=ev.AgencyRegisteredData(agency_code=code, name=name, admin_level=ev.AdminLevel(level), parent_code=parent),
    )


def procedure(code: str, owner: str, level: str, online_level: int, fee: int | None) -> ev.ProcedurePublished:
    return ev.ProcedurePublished(
        occurred_at=vn(2019, 1, 1),
        source="reporting-test",
        data=ev.ProcedurePublishedData(
            procedure_code=code,
            name=f"Thủ tục {code}",
            agency_code=owner,
            admin_level=ev.AdminLevel(level),
            online_level=online_level,  # type: ignore[arg-type]
            processing_time=ev.ProcessingTime(value=Decimal(10), unit=ev.TimeUnit.WORKING_DAYS),
            fee=Decimal(fee) if fee is not None else None,
        ),
    )


# --- the hand-computed quarter (figures in test_reporting_summary.py) ----------------------------


def scenario_catalogue() -> list[ev.Envelope]:
    return [
        agency("STNMT", "Sở Tài nguyên và Môi trường", "provincial"),
        agency("STP", "Sở Tư pháp", "provincial"),
        agency("UBND-X", "UBND huyện X", "district"),
        agency("UBND-X-Y", "UBND xã Y", "commune", parent="UBND-X"),
        procedure("1.001", "STNMT", "provincial", 4, 600000),
        procedure("1.002", "STP", "provincial", 3, None),
        procedure("1.003", "STP", "provincial", 2, 50000),
        procedure("2.001", "UBND-X-Y", "commune", 4, None),
        procedure("3.001", "UBND-X", "district", 3, 100000),
    ]


def scenario_histories() -> dict[str, History]:
    """Thirteen dossiers around the first quarter of 2020 (see the expected figures in the test)."""
    h: dict[str, History] = {}
    d = h["D1"] = History("D1", "STNMT", "1.001", "direct", vn(2020, 1, 6, 8))
    d.accepted(vn(2020, 1, 6, 8, 1), vn(2020, 1, 20, 17)).result(vn(2020, 1, 15, 11), vn(2020, 1, 15, 10))
    d.returned(vn(2020, 1, 15, 15), "postal").rated(vn(2020, 1, 16), "very_satisfied")
    # Online; paid online in the evening (a pause of no working time: the due time stays); the result
    # at 23:30 on the due date is ON TIME (same calendar date).
    d = h["D2"] = History("D2", "STNMT", "1.001", "online", vn(2020, 1, 7))
    d.accepted(vn(2020, 1, 8), vn(2020, 1, 22, 17)).payment(vn(2020, 1, 10, 18), vn(2020, 1, 10, 19))
    d.result(vn(2020, 1, 22, 23, 30)).returned(vn(2020, 1, 23, 8)).rated(vn(2020, 1, 23, 9), "satisfied")
    # By post; result at 06:30 on the 23rd in Vietnam (still the 22nd in UTC): LATE; no apology.
    d = h["D3"] = History("D3", "STP", "1.002", "postal", vn(2020, 1, 9, 10))
    d.accepted(vn(2020, 1, 9, 10, 5), vn(2020, 1, 22, 17))
    d.result(datetime(2020, 1, 22, 23, 30, tzinfo=UTC)).returned(vn(2020, 1, 24))
    d.rated(vn(2020, 2, 1), "unsatisfied")
    # Late, but with an apology letter before the deadline.
    d = h["D4"] = History("D4", "STP", "1.002", "direct", vn(2020, 2, 3, 8))
    d.accepted(vn(2020, 2, 3, 8, 5), vn(2020, 2, 10, 17)).apology(vn(2020, 2, 7), vn(2020, 2, 14, 17))
    d.result(vn(2020, 2, 13, 16))
    # Received last year, early result on 2 January: carried over AND resolved in the quarter.
    d = h["D5"] = History("D5", "STNMT", "1.001", "direct", vn(2019, 12, 20, 8))
    d.accepted(vn(2019, 12, 20, 8, 5), vn(2020, 1, 3, 17)).result(vn(2020, 1, 2, 10))
    d.returned(vn(2020, 1, 3, 8)).rated(vn(2020, 1, 3, 9), "very_satisfied")
    # Received last year, still open at the end of March with its due date in January: overdue.
    d = h["D6"] = History("D6", "STP", "1.003", "direct", vn(2019, 12, 27, 8))
    d.accepted(vn(2019, 12, 27, 8, 5), vn(2020, 1, 10, 17))
    # Commune, online, accepted on the last day: within its deadline.
    d = h["D7"] = History("D7", "UBND-X-Y", "2.001", "online", vn(2020, 3, 30, 10))
    d.accepted(vn(2020, 3, 31, 8), vn(2020, 4, 10, 17))
    # Waiting for a supplement at the end of March: paused.
    d = h["D8"] = History("D8", "STNMT", "1.001", "direct", vn(2020, 3, 2, 8))
    d.accepted(vn(2020, 3, 2, 8, 5), vn(2020, 3, 16, 17)).supplement_requested(vn(2020, 3, 10))
    # Online, refused: received, then counted apart.
    d = h["D9"] = History("D9", "STNMT", "1.001", "online", vn(2020, 2, 5))
    d.refused(vn(2020, 2, 6))
    # Withdrawn by the applicant.
    d = h["D10"] = History("D10", "STP", "1.002", "direct", vn(2020, 3, 3, 8))
    d.accepted(vn(2020, 3, 3, 8, 5), vn(2020, 3, 17, 17)).withdrawn(vn(2020, 3, 5))
    # Received in November, its (late) result in February: published last of all.
    d = h["D11"] = History("D11", "STNMT", "1.001", "direct", vn(2019, 11, 4, 8))
    d.accepted(vn(2019, 11, 4, 8, 5), vn(2019, 11, 20, 17)).result(vn(2020, 2, 20, 14))
    # An imported history from 2016: counted in 2016, never in 2020.
    d = h["D12"] = History("D12", "STP", "1.002", "direct", vn(2016, 5, 3, 8))
    d.accepted(vn(2016, 5, 3, 8, 5), vn(2016, 5, 17, 17)).result(vn(2016, 5, 10)).returned(vn(2016, 5, 11))
    # District, received in March, resolved in April: in progress (within its deadline) at the end of March.
    d = h["D13"] = History("D13", "UBND-X", "3.001", "direct", vn(2020, 3, 25, 8))
    d.accepted(vn(2020, 3, 25, 8, 5), vn(2020, 4, 8, 17)).result(vn(2020, 4, 2))
    return h


def scrambled(histories: dict[str, History], seed: int = 6) -> list[ev.DossierEvent]:
    """Every event of every history in a seeded random order (so a dossier's events arrive out of
    order too), except D11's result, which comes last of all (a late result for last quarter)."""
    import random

    late = histories["D11"].events[-1]
    events = [e for h in histories.values() for e in h.events if e is not late]
    random.Random(seed).shuffle(events)
    return [*events, late]
