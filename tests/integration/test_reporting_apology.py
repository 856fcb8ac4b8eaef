"""Issue 18, reporting's side, through the summary API against the real broker and store: late results
split by the apology letter (in time, or none: the breach; an imported letter dated after the deadline
is a breach too), and results ready but not collected at the end of the period."""

from typing import Any

from motcua_shared import events as ev
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_reporting_support import (
    OFFICIAL,
    History,
    agency,
    create_topics,
    folded,
    procedure,
    publish,
    reporting_settings,
    running_reporting,
    vn,
)

Q2 = {"from": "2021-04-01", "to": "2021-06-30"}


def _uncollected(history: History, at: Any) -> History:
    history.events.append(
        ev.DossierResultUncollected(
            occurred_at=at,
            source="processing-service",
            dossier_id=history.id,
            data=ev.ResultUncollectedData(ready_at=history.events[-1].occurred_at, after_working_days=5),
        )
    )
    return history


def _histories() -> list[History]:
    due = vn(2021, 4, 20, 17)

    def accepted(name: str, due_at: Any = due) -> History:
        return History(f"AP-{name}", "SXD", "9.001", "direct", vn(2021, 4, 5, 8)).accepted(vn(2021, 4, 5, 8, 5), due_at)

    in_time = accepted("in-time").apology(vn(2021, 4, 16), vn(2021, 4, 28, 17)).result(vn(2021, 4, 27))
    # Imported from a legacy system: its letter is dated after the deadline it apologises for.
    letter_too_late = accepted("letter-too-late").apology(vn(2021, 4, 22), vn(2021, 4, 30, 17))
    letter_too_late.result(vn(2021, 4, 29))
    no_letter = accepted("no-letter").result(vn(2021, 4, 23))
    on_time = accepted("on-time").result(vn(2021, 4, 20, 10)).returned(vn(2021, 4, 21))
    waiting = _uncollected(accepted("waiting", vn(2021, 6, 2, 17)).result(vn(2021, 6, 1)), vn(2021, 6, 8, 10))
    collected = _uncollected(accepted("collected", vn(2021, 5, 4, 17)).result(vn(2021, 5, 3)), vn(2021, 5, 10, 10))
    collected.returned(vn(2021, 5, 12))
    return [in_time, letter_too_late, no_letter, on_time, waiting, collected]


async def test_late_with_and_without_an_apology_and_results_not_collected(
    infrastructure: Infrastructure, run_id: str, mongo_db: AsyncDatabase[Any]
) -> None:
    kafka = infrastructure.kafka_bootstrap_servers
    topics: Topics = await create_topics(kafka, run_id)
    histories = _histories()
    await publish(
        kafka, topics, [agency("SXD", "Sở Xây dựng", "provincial"), procedure("9.001", "SXD", "provincial", 4, None)]
    )
    await publish(kafka, topics, [e for h in histories for e in h.events])
    settings = reporting_settings(kafka, infrastructure.mongodb_url, mongo_db.name, topics)
    async with running_reporting(settings) as client:
        await folded(mongo_db, dossier_events=sum(len(h.events) for h in histories), agencies=1, procedures=1)
        body = (await client.get("/v1/reports/summary", params=Q2, headers=OFFICIAL)).json()
        resolved = body["resolved"]
        assert resolved["total"] == 6 and resolved["late"]["count"] == 3
        assert resolved["late_with_apology"] == {"count": 1, "percent": 16.67}
        assert resolved["late_without_apology"] == {"count": 2, "percent": 33.33}
        assert body["late_without_apology"] == 2
        assert body["uncollected"] == 1  # "waiting"; "collected" was returned in May
        # At the end of May only "collected"'s announcement had passed, and it was returned by then;
        # at the end of the day the announcement came it was still waiting.
        may = (
            await client.get("/v1/reports/summary", params={"from": "2021-05-01", "to": "2021-05-31"}, headers=OFFICIAL)
        ).json()
        assert may["uncollected"] == 0
        day = (
            await client.get("/v1/reports/summary", params={"from": "2021-05-10", "to": "2021-05-10"}, headers=OFFICIAL)
        ).json()
        assert day["uncollected"] == 1
        table = (await client.get("/v1/reports/agencies", params=Q2, headers=OFFICIAL)).json()
        row = next(r for r in table["data"] if r["agency_code"] == "SXD")
        assert row["resolved"]["late_without_apology"]["count"] == 2 and row["uncollected"] == 1
