"""Seeded, random and *valid* dossier histories, for demo data, tests and benchmarks.

    from motcua_stack.histories import read_catalogue, catalogue_events, generate_histories
    catalogue = read_catalogue()                  # the sample catalogue shipped with intake-service
    seed_events = catalogue_events(catalogue, occurred_at=start)   # publish on catalog.events first
    histories = generate_histories(7, 500, start, end, catalogue)  # list of per-dossier event lists

Each history is the list of contract events (motcua_shared.events) of one dossier, in business
order, every step legal per motcua_shared.lifecycle, with due times computed by the shared working
calendar (acceptance starts the clock; each pause moves the due time by the working time paused).
The same seed, count, span and catalogue always give the same histories, event ids included.

What the histories hold (all drawn at random, with rough real-life proportions):
- channels `direct`, `online` (only for procedures at online level 3 or 4) and `postal`; counter and
  postal dossiers are accepted at once, online ones wait for an officer and may be refused first;
- transfers (before acceptance, or while being handled), supplement requests, payments (procedures
  with a fee; online or at the counter), suspensions and resumptions;
- results early, on time and late; late ones usually with an apology letter (mostly in time, some
  too late) and a `dossier.overdue` at the due time;
- results whose `finished_at` lies before the event's `occurred_at`, some by weeks (a result of an
  earlier period entered late);
- withdrawals from any open status, returns (direct, by post, online) and one rating after some returns;
- documents flagged `digitised` on most submissions and `electronic_result` on most results (drawn
  from each dossier's own seed, so these flags change no other event);
- business times in the province's offset (+07:00) or, for a fifth of dossiers, in UTC.
Dossiers are submitted within [start, end); every event after `end` is cut, so the histories are
what the topic holds at `end` (dossiers still open then stay open).

A plain library: no I/O except `read_catalogue`, which reads the catalogue file it is asked for.
"""

import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from motcua_shared import events as ev
from motcua_shared.calendar import PROVINCE_TZ, WorkingCalendar, load_calendar
from motcua_shared.catalogue import catalogue_code, handover_event_id
from motcua_shared.lifecycle import OPEN_STATUSES, PAUSED_STATUSES, RUNNING_STATUSES, DossierStatus, next_status

History = list[ev.DossierEvent]
Catalogue = dict[str, Any]  # {"agencies": [...], "procedures": [...]} as in sample_catalogue.json

SOURCE = "motcua-histories"
# Same derivation as intake's `load-catalog`, so both publish the same ids for the same catalogue.
_CATALOGUE_NAMESPACE = uuid.UUID("6f0a3c52-1d8e-4c1b-9e57-3a4f5b6c7d8e")
SAMPLE_CATALOGUE = (
    Path(__file__).resolve().parents[3] / "intake-service/src/motcua_intake/catalog_data/sample_catalogue.json"
)
# The sample's district agencies dissolved on 1 July 2025 (the two-level local government).
TWO_LEVEL_2025 = SAMPLE_CATALOGUE.with_name("two_level_2025.json")
# Statuses a dossier may be transferred in (motcua_shared.lifecycle): a dissolved agency's hands them over.
_TRANSFERABLE = {DossierStatus.SUBMITTED} | RUNNING_STATUSES | PAUSED_STATUSES

_NAMES = [
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Văn Cường",
    "Phạm Thị Dung",
    "Hoàng Văn Em",
    "Huỳnh Thị Giang",
    "Phan Văn Hải",
    "Vũ Thị Hoa",
    "Võ Văn Khánh",
    "Đặng Thị Lan",
    "Bùi Văn Minh",
    "Đỗ Thị Ngọc",
]


def read_catalogue(path: str | Path | None = None) -> Catalogue:
    """The catalogue document at `path`, by default the sample catalogue of intake-service."""
    if path is None and not SAMPLE_CATALOGUE.exists():  # installed, not in the repository
        from importlib import resources

        text = resources.files("motcua_intake").joinpath("catalog_data/sample_catalogue.json").read_text("utf-8")
    else:
        text = Path(path or SAMPLE_CATALOGUE).read_text("utf-8")
    document: Catalogue = json.loads(text)
    return document


def catalogue_events(catalogue: Catalogue, *, occurred_at: datetime, source: str = SOURCE) -> list[ev.Envelope]:
    """agency.registered (parents first) and procedure.published for the whole catalogue, to publish
    on catalog.events (keyed by the agency or procedure code) before the histories."""
    events: list[ev.Envelope] = []
    for agency in sorted(catalogue["agencies"], key=lambda a: a.get("parent_code") is not None):
        a_data = ev.AgencyRegisteredData.model_validate(agency)
        events.append(
            ev.AgencyRegistered(
                event_id=_content_id("agency.registered", a_data), occurred_at=occurred_at, source=source, data=a_data
            )
        )
    for procedure in catalogue["procedures"]:
        p_data = ev.ProcedurePublishedData.model_validate(procedure)
        events.append(
            ev.ProcedurePublished(
                event_id=_content_id("procedure.published", p_data), occurred_at=occurred_at, source=source, data=p_data
            )
        )
    for succession in catalogue.get("supersessions", []):
        s_data = ev.AgencySupersededData.model_validate(succession)
        events.append(
            ev.AgencySuperseded(
                event_id=_content_id("agency.superseded", s_data), occurred_at=occurred_at, source=source, data=s_data
            )
        )
    return events


def two_level(catalogue: Catalogue, path: str | Path | None = None) -> Catalogue:
    """`catalogue` with the agencies it dissolves from 1 July 2025 (`supersessions`, as
    `agency.superseded` data): histories then receive for a dissolved agency under its successor from
    the date, and hand its open dossiers over at the successor's first working instant that day."""
    if path is None and not TWO_LEVEL_2025.exists():  # installed, not in the repository
        from importlib import resources

        text = resources.files("motcua_intake").joinpath("catalog_data/two_level_2025.json").read_text("utf-8")
    else:
        text = Path(path or TWO_LEVEL_2025).read_text("utf-8")
    return {**catalogue, "supersessions": json.loads(text)["supersessions"]}


def catalogue_key(event: ev.Envelope) -> str:
    """The Kafka key of a catalogue event: its agency or procedure code."""
    return catalogue_code(event)


def _content_id(event_type: str, data: ev.Payload) -> uuid.UUID:
    return uuid.uuid5(_CATALOGUE_NAMESPACE, event_type + data.model_dump_json())


def generate_histories(
    seed: int,
    count: int,
    start: datetime | date,
    end: datetime | date,
    catalogue: Catalogue,
    *,
    calendar: WorkingCalendar | None = None,
) -> list[History]:
    """`count` dossier histories submitted within [start, end) (dates are midnights in the province),
    over the procedures of `catalogue`; deterministic for a given seed. See the module docstring."""
    rng = random.Random(seed)
    begin, stop = _instant(start), _instant(end)
    if stop <= begin:
        raise ValueError("end must be after start")
    procedures = [p for p in catalogue["procedures"]]
    if not procedures:
        raise ValueError("the catalogue has no procedures")
    agencies = [a["agency_code"] for a in catalogue["agencies"]]
    generator = _Generator(
        rng,
        calendar or load_calendar(),
        agencies,
        stop,
        {
            s["agency_code"]: (s["successor_code"], date.fromisoformat(str(s["effective_date"])))
            for s in catalogue.get("supersessions", [])
        },
    )
    submissions = sorted(_submission_time(rng, begin, stop) for _ in range(count))
    return [generator.history(rng.choice(procedures), at) for at in submissions]


def _instant(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("give aware datetimes (or dates)")
        return value
    return datetime.combine(value, time.min, tzinfo=PROVINCE_TZ)


def _submission_time(rng: random.Random, begin: datetime, stop: datetime) -> datetime:
    at = begin + (stop - begin) * rng.random()
    if rng.random() < 0.8:  # most dossiers arrive in office hours; the rest whenever (online, at night)
        local = at.astimezone(PROVINCE_TZ)
        moved = local.replace(hour=rng.choice([7, 8, 9, 10, 13, 14, 15, 16]), minute=rng.randrange(60))
        if begin <= moved < stop:
            at = moved
    return at.astimezone(PROVINCE_TZ).replace(microsecond=0)


@dataclass
class _Dossier:
    """The state of one history being written."""

    dossier_id: str
    utc: bool  # write business times in UTC instead of +07:00
    events: list[ev.DossierEvent]
    status: DossierStatus | None = None
    now: datetime = datetime(1, 1, 1, tzinfo=UTC)
    due: datetime | None = None
    agency: str = ""


class _Generator:
    def __init__(
        self,
        rng: random.Random,
        calendar: WorkingCalendar,
        agencies: list[str],
        stop: datetime,
        successions: dict[str, tuple[str, date]] | None = None,
    ) -> None:
        self.rng = rng
        self.calendar = calendar
        self.agencies = agencies
        self.stop = stop
        self.successions = successions or {}  # dissolved agency -> (successor, effective date)
        self.sequences: Counter[tuple[str, date]] = Counter()

    # --- writing events ------------------------------------------------------------------------

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def emit(self, d: _Dossier, cls: type[ev.DossierEvent], at: datetime, data: ev.Payload) -> None:
        """Append an event (legal by the lifecycle, or this raises) at `at`, never before the previous one."""
        at = max(at, d.now)
        self._hand_over(d, at)
        d.status = next_status(d.status, cls.model_fields["event_type"].default)
        d.now = at
        occurred_at = at.astimezone(UTC) if d.utc else at.astimezone(PROVINCE_TZ)
        d.events.append(
            cls(event_id=self._uuid(), occurred_at=occurred_at, source=SOURCE, dossier_id=d.dossier_id, data=data)
        )

    def later(self, d: _Dossier, low_hours: float, high_hours: float) -> datetime:
        """A working instant some working hours after the dossier's last event."""
        hours = self.rng.uniform(low_hours, high_hours)
        return self.calendar.add(d.now, timedelta(hours=hours)).replace(microsecond=0)

    # --- one history ---------------------------------------------------------------------------

    def history(self, procedure: dict[str, Any], submitted_at: datetime) -> History:
        rng = self.rng
        d = _Dossier(dossier_id=str(self._uuid()), utc=rng.random() < 0.2, events=[], agency=procedure["agency_code"])
        d.agency = self._responsible(d.agency, submitted_at.astimezone(PROVINCE_TZ).date())
        online_ok = procedure["online_level"] >= 3
        channel = rng.choices(["direct", "online", "postal"], weights=[55, 35 if online_ok else 0, 10])[0]
        self._submit(d, procedure, channel, submitted_at)
        if channel == "online":
            if not self._wait_for_officer(d):
                return self._cut(d)
            self._accept(d, procedure, self.later(d, 0.5, 12))
        else:  # at the counter or by post: accepted on the spot
            self._accept(d, procedure, d.now + timedelta(minutes=rng.randrange(0, 6)))
        self._handle(d, procedure, channel)
        return self._cut(d)

    def _submit(self, d: _Dossier, procedure: dict[str, Any], channel: str, at: datetime) -> None:
        local_day = at.astimezone(PROVINCE_TZ).date()
        self.sequences[(d.agency, local_day)] += 1
        code = f"{d.agency}-{local_day:%y%m%d}-{self.sequences[(d.agency, local_day)]:04d}"
        applicant = ev.Applicant(
            full_name=self.rng.choice(_NAMES),
            phone=f"09{self.rng.randrange(10**8):08d}" if self.rng.random() < 0.7 else None,
        )
        d.now = at
        self.emit(
            d,
            ev.DossierSubmitted,
            at,
            ev.SubmittedData(
                dossier_code=code,
                procedure_code=procedure["procedure_code"],
                agency_code=d.agency,
                channel=ev.Channel(channel),
                applicant=applicant,
                documents=self._documents(d),
            ),
        )

    @staticmethod
    def _digitisation(d: _Dossier, what: str) -> random.Random:
        """The dossier's own draws for a digitisation flag (Decision 766), apart from the main
        sequence, so that adding them changed no other event of a seed's histories."""
        return random.Random(f"{d.dossier_id}:{what}")

    def _documents(self, d: _Dossier) -> list[ev.Document] | None:
        rng = self._digitisation(d, "documents")
        if rng.random() < 0.15:  # an older producer that does not list documents
            return None
        # Most papers are digitised at intake (scanned at the counter, uploaded online); the rest not yet.
        digitised = rng.random() < 0.8
        return [ev.Document(name=name, digitised=digitised) for name in ("Tờ khai", "Bản sao CCCD")]

    def _wait_for_officer(self, d: _Dossier) -> bool:
        """An online dossier before acceptance: maybe transferred, refused or withdrawn. True if accepted."""
        rng = self.rng
        if rng.random() < 0.04:
            self._transfer(d, self.later(d, 1, 8))
        roll = rng.random()
        if roll < 0.07:
            self.emit(d, ev.DossierRefused, self.later(d, 1, 16), ev.RefusedData(reason="hồ sơ không hợp lệ"))
            return False
        if roll < 0.09:
            self.emit(d, ev.DossierWithdrawn, self.later(d, 0.5, 8), ev.WithdrawnData(reason="người nộp rút hồ sơ"))
            return False
        return True

    def _accept(self, d: _Dossier, procedure: dict[str, Any], at: datetime) -> None:
        at = max(at, d.now)
        d.due = self.calendar.due_at(at, ev.ProcessingTime.model_validate(procedure["processing_time"]))
        self.emit(d, ev.DossierAccepted, at, ev.AcceptedData(due_at=d.due))

    # --- the two-level local government: dissolved agencies ------------------------------------

    def _responsible(self, agency: str, day: date) -> str:
        for _ in range(10):
            successor = self.successions.get(agency)
            if successor is None or successor[1] > day:
                break
            agency = successor[0]
        return agency

    def _hand_over(self, d: _Dossier, until: datetime) -> None:
        """A dossier open with an agency dissolved before `until` passes to the successor as processing
        hands it over: at the successor's first working instant of the date, under the same event id."""
        succession = self.successions.get(d.agency)
        if succession is None or d.status not in _TRANSFERABLE:
            return
        midnight = datetime.combine(succession[1], time.min, tzinfo=PROVINCE_TZ)
        at = max(self.calendar.next_working_instant(midnight), d.now)
        if at >= until:
            return
        old, d.agency, d.now = d.agency, succession[0], at
        occurred_at = at.astimezone(UTC) if d.utc else at.astimezone(PROVINCE_TZ)
        d.events.append(
            ev.DossierTransferred(
                event_id=handover_event_id(d.dossier_id, old),
                occurred_at=occurred_at,
                source=SOURCE,
                dossier_id=d.dossier_id,
                data=ev.TransferredData(to_agency_code=d.agency, reason=f"{old} giải thể"),
            )
        )
        self._hand_over(d, until)  # the successor itself dissolved later

    def _transfer(self, d: _Dossier, at: datetime) -> None:
        day = at.astimezone(PROVINCE_TZ).date()
        others = [a for a in self.agencies if a != d.agency and self._responsible(a, day) == a]
        if not others:
            return
        d.agency = self.rng.choice(others)
        self.emit(d, ev.DossierTransferred, at, ev.TransferredData(to_agency_code=d.agency, reason="đúng thẩm quyền"))

    def _remaining(self, d: _Dossier) -> timedelta:
        assert d.due is not None
        return self.calendar.working_time_between(d.now, d.due)

    def _handle(self, d: _Dossier, procedure: dict[str, Any], channel: str) -> None:
        """From acceptance to the result (or a withdrawal), then return and rating."""
        rng = self.rng
        fee = procedure.get("fee") or 0
        chances = {"supplement": 0.25, "suspend": 0.08, "transfer": 0.08}
        plan = [step for step, chance in chances.items() if rng.random() < chance]
        if fee and rng.random() < 0.8:
            plan.append("payment")
        rng.shuffle(plan)
        for step in plan:
            if d.status not in RUNNING_STATUSES:
                return  # withdrawn, or left paused for good
            if rng.random() < 0.02:
                self._withdraw(d)
                return
            gap = max(self._remaining(d) * rng.uniform(0.05, 0.3), timedelta(minutes=30))
            at = self.calendar.add(d.now, gap).replace(microsecond=0)
            if step == "transfer":
                self._transfer(d, at)
            else:
                self._pause(d, step, at, fee, channel)
        if d.status not in RUNNING_STATUSES:
            return
        if rng.random() < 0.03:
            self._withdraw(d)
            return
        self._result(d)
        if d.status != DossierStatus.RESULT_READY:
            return
        delivery = rng.choices(["direct", "postal", "online"], weights=[60, 25, 15 if channel == "online" else 0])[0]
        if rng.random() < 0.93:
            self.emit(d, ev.DossierReturned, self.later(d, 0.5, 24), ev.ReturnedData(delivery=ev.Delivery(delivery)))
            if rng.random() < 0.6:
                rating = rng.choices(list(ev.Rating), weights=[70, 25, 5])[0]
                self.emit(d, ev.DossierRated, self.later(d, 0, 16), ev.RatedData(rating=rating))

    def _pause(self, d: _Dossier, kind: str, at: datetime, fee: Any, channel: str) -> None:
        rng = self.rng
        if kind == "supplement":
            self.emit(
                d,
                ev.DossierSupplementRequested,
                at,
                ev.SupplementRequestedData(reason="thiếu giấy tờ", items=["bản sao CCCD"]),
            )
        elif kind == "payment":
            self.emit(d, ev.DossierPaymentRequested, at, ev.PaymentRequestedData(amount=Decimal(fee)))
        else:
            self.emit(d, ev.DossierSuspended, at, ev.SuspendedData(reason="chờ ý kiến cơ quan khác"))
        if rng.random() < 0.04:  # some never come back from the pause
            if rng.random() < 0.5:
                self._withdraw(d)
            return
        paused_at = d.now
        resumed_at = self.later(d, 1, 40)
        assert d.due is not None
        d.due = self.calendar.moved_due_at(d.due, paused_at, resumed_at)
        if kind == "supplement":
            self.emit(d, ev.DossierSupplementReceived, resumed_at, ev.SupplementReceivedData(due_at=d.due))
        elif kind == "payment":
            method = "online" if rng.random() < (0.7 if channel == "online" else 0.2) else "counter"
            self.emit(
                d,
                ev.DossierPaymentCompleted,
                resumed_at,
                ev.PaymentCompletedData(amount=Decimal(fee), method=ev.PaymentMethod(method)),
            )
        else:
            self.emit(d, ev.DossierResumed, resumed_at, ev.ResumedData(due_at=d.due))

    def _withdraw(self, d: _Dossier) -> None:
        if d.status in OPEN_STATUSES:
            self.emit(d, ev.DossierWithdrawn, self.later(d, 0.5, 16), ev.WithdrawnData(reason="người nộp rút hồ sơ"))

    def _result(self, d: _Dossier) -> None:
        """Early, on time or late against the due time in effect; late ones with apology and overdue."""
        rng, due = self.rng, d.due
        if d.status not in RUNNING_STATUSES or due is None:
            return
        kind = rng.choices(["early", "on_time", "late"], weights=[40, 45, 15])[0]
        remaining = self._remaining(d)
        if kind == "early" and remaining > timedelta(hours=2):
            finished = self.calendar.add(d.now, remaining * rng.uniform(0.1, 0.9))
        elif kind in ("early", "on_time") and due > d.now:
            finished = max(d.now, due - timedelta(minutes=rng.randrange(0, 180)))
        else:
            kind = "late"
            finished = self.calendar.add(max(due, d.now), timedelta(hours=rng.uniform(8, 80)))
        finished = finished.replace(microsecond=0)
        if kind == "late":
            if rng.random() < 0.75:
                in_time = rng.random() < 0.8 and due - timedelta(hours=1) > d.now
                apology_at = (
                    due - timedelta(minutes=rng.randrange(10, 60))
                    if in_time
                    else max(due, d.now) + timedelta(minutes=rng.randrange(5, 60))
                )
                apology_at = min(apology_at, finished - timedelta(minutes=1))
                self.emit(
                    d,
                    ev.DossierApologyIssued,
                    apology_at,
                    ev.ApologyIssuedData(
                        reason="hồ sơ phức tạp",
                        new_due_at=self.calendar.add(finished, timedelta(hours=8)),
                        letter_id=f"XL-{rng.randrange(10**5):05d}",
                    ),
                )
            if due > d.now and rng.random() < 0.8:
                self.emit(d, ev.DossierOverdue, due + timedelta(minutes=1), ev.OverdueData(due_at=due))
        finished = max(finished, d.now)
        draw = self._digitisation(d, "result")
        electronic = None if draw.random() < 0.15 else draw.random() < 0.6
        roll = rng.random()
        if roll < 0.6:  # the result entered when it was finished
            self.emit(
                d,
                ev.DossierResultReady,
                finished,
                ev.ResultReadyData(result_number=self._number(), electronic_result=electronic),
            )
        else:  # entered later than it was finished; sometimes by weeks, in a later period
            lag = timedelta(days=rng.uniform(20, 70)) if roll > 0.93 else timedelta(hours=rng.uniform(0, 30))
            self.emit(
                d,
                ev.DossierResultReady,
                finished + lag,
                ev.ResultReadyData(
                    result_number=self._number(), finished_at=self._stamp(d, finished), electronic_result=electronic
                ),
            )

    def _number(self) -> str:
        return f"{self.rng.randrange(10**6):06d}/QĐ"

    @staticmethod
    def _stamp(d: _Dossier, at: datetime) -> datetime:
        return at.astimezone(UTC) if d.utc else at.astimezone(PROVINCE_TZ)

    def _cut(self, d: _Dossier) -> History:
        """The history as the topic holds it at `stop`: events after it have not happened yet."""
        self._hand_over(d, self.stop)
        return [e for e in d.events if e.occurred_at < self.stop]
