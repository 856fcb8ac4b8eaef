"""Intake's copy of the catalogue (adapters/catalogue_snapshot.py): no submission waits for it to be
taken again while it is young enough, and a change this instance folded is checked at once."""

import asyncio
import time
from decimal import Decimal

import pytest
from motcua_intake.adapters.catalogue_snapshot import CatalogueSnapshot
from motcua_shared import events as ev
from motcua_shared.catalogue import Agency, Procedure, Succession

pytestmark = pytest.mark.unit

MAX_AGE = 0.4


def procedure(name: str) -> Procedure:
    return Procedure(
        code="1.001",
        name=name,
        agency_code="STP",
        admin_level=ev.AdminLevel.PROVINCIAL,
        online_level=4,
        processing_time=ev.ProcessingTime(value=Decimal(5), unit=ev.TimeUnit.WORKING_DAYS),
    )


class SlowStore:
    """A CatalogueStore whose every read takes 50 ms; `loads` counts whole copies taken."""

    def __init__(self) -> None:
        self.name = "Cấp phiếu lý lịch tư pháp"
        self.loads = 0

    async def agencies(self) -> list[Agency]:
        self.loads += 1
        await asyncio.sleep(0.05)
        return [Agency(code="STP", name="Sở Tư pháp", admin_level=ev.AdminLevel.PROVINCIAL)]

    async def procedures(self, *, agency_code: str | None = None, include_retired: bool = False) -> list[Procedure]:
        return [procedure(self.name)]

    async def successions(self) -> dict[str, Succession]:
        return {}

    async def apply(self, event: ev.Envelope) -> None:
        self.name = "Cấp phiếu lý lịch tư pháp (trực tuyến)"


async def timed(snapshot: CatalogueSnapshot) -> tuple[str, float]:
    started = time.monotonic()
    found = await snapshot.procedure("1.001")
    assert found is not None
    return found.name, time.monotonic() - started


async def test_a_copy_past_half_its_age_is_taken_again_behind_the_requests_and_a_fold_at_once() -> None:
    store = SlowStore()
    snapshot = CatalogueSnapshot(store, max_age=MAX_AGE)  # type: ignore[arg-type]
    await timed(snapshot)
    assert store.loads == 1

    await asyncio.sleep(MAX_AGE * 0.6)  # past half its age: answered from the copy, taken again behind
    _, waited = await timed(snapshot)
    assert waited < 0.03
    await asyncio.sleep(0.1)
    assert store.loads == 2
    _, waited = await timed(snapshot)
    assert waited < 0.03 and store.loads == 2  # the new copy is young: nothing read

    # A catalogue event this instance folds is checked by the very next request.
    retired = ev.ProcedureRetired(
        occurred_at=ev.now(), source="test", data=ev.ProcedureRetiredData(procedure_code="1.001")
    )
    await snapshot.apply(retired)
    name, waited = await timed(snapshot)
    assert name.endswith("(trực tuyến)") and waited >= 0.05 and store.loads == 3

    await asyncio.sleep(MAX_AGE * 1.2)  # nobody asked for a while: an old copy is not used
    _, waited = await timed(snapshot)
    assert waited >= 0.05 and store.loads == 4
