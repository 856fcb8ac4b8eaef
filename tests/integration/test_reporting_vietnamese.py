"""Vietnamese that reads as Vietnamese: the narrative writes 1.009 and 99,41% (English keeps 1,009 and
99.41%), and the CSV/XLSX exports carry the labels an official files (Vietnamese, English beside; one
language on request), over a quarter folded from the real broker into the real store."""

import csv
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from motcua_shared.topics import Topics
from openpyxl import load_workbook
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_reporting_support import (
    OFFICIAL,
    History,
    create_topics,
    folded,
    publish,
    reporting_settings,
    running_reporting,
    scenario_catalogue,
    scenario_histories,
    vn,
)

Q1 = {"from": "2020-01-01", "to": "2020-03-31"}


@asynccontextmanager
async def quarter(
    infrastructure: Infrastructure, run_id: str, db: AsyncDatabase[Any], extra_online: int = 0
) -> AsyncIterator[httpx.AsyncClient]:
    """The hand-computed quarter (test_reporting_summary.py) plus `extra_online` online submissions to
    STNMT in February, published to the real broker and folded by the real consumer."""
    kafka = infrastructure.kafka_bootstrap_servers
    topics: Topics = await create_topics(kafka, run_id)
    histories = list(scenario_histories().values())
    histories += [
        History(f"VI{i:04d}", "STNMT", "1.001", "online", vn(2020, 2, 3 + i % 20, 8 + i % 9))
        for i in range(extra_online)
    ]
    events = [e for h in histories for e in h.events]
    await publish(kafka, topics, scenario_catalogue())
    await publish(kafka, topics, events)
    async with running_reporting(reporting_settings(kafka, infrastructure.mongodb_url, db.name, topics)) as client:
        await folded(db, dossier_events=len(events), agencies=4, procedures=5)
        yield client


async def test_the_vietnamese_narrative_writes_vietnamese_numbers(
    infrastructure: Infrastructure, run_id: str, mongo_db: AsyncDatabase[Any]
) -> None:
    async with quarter(infrastructure, run_id, mongo_db, extra_online=1000) as client:
        response = await client.get("/v1/reports/narrative", params=Q1, headers=OFFICIAL)
    assert response.status_code == 200, response.text
    words = response.json()
    # 9 + 1,000 received: 5 direct, 1,003 online, 1 by post; STNMT received 1,004 of them.
    assert words["vi"].startswith(
        "Trong quý I năm 2020, Trung tâm đã tiếp nhận 1.009 hồ sơ: 5 trực tiếp (0,50%), 1.003 trực tuyến "
        "(99,41%) và 1 qua dịch vụ bưu chính công ích (0,10%)."
    )
    assert "Các đơn vị tiếp nhận nhiều hồ sơ nhất là Sở Tài nguyên và Môi trường (1.004 hồ sơ)" in words["vi"]
    # Nowhere an English thousands separator or decimal point in the Vietnamese text.
    assert not re.search(r"\d,\d{3}(?!\d)|\d\.\d{2}%", words["vi"]), words["vi"]
    # English keeps its own way.
    assert words["en"].startswith(
        "In the first quarter of 2020, the centre received 1,009 dossiers: 5 directly (0.50%), 1,003 online "
        "(99.41%) and 1 by post (0.10%)."
    )
    assert "Sở Tài nguyên và Môi trường (1,004 dossiers)" in words["en"]


def csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    return [[c.value for c in row] for row in sheet.iter_rows()]


async def test_exports_carry_vietnamese_labels_with_english_beside(
    infrastructure: Infrastructure, run_id: str, mongo_db: AsyncDatabase[Any]
) -> None:
    async with quarter(infrastructure, run_id, mongo_db) as client:
        answers = {
            (kind, lang): await client.get(
                f"/v1/reports/agencies.{kind}", params={**Q1, **({"lang": lang} if lang else {})}, headers=OFFICIAL
            )
            for kind in ("csv", "xlsx")
            for lang in (None, "vi", "en")
        }
        bad = await client.get("/v1/reports/agencies.csv", params={**Q1, "lang": "fr"}, headers=OFFICIAL)
    assert bad.status_code == 422, bad.text

    for kind, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        both, vi, en = (read(answers[kind, lang]) for lang in (None, "vi", "en"))
        # The same table in each language: only the header row differs.
        assert both[1:] == vi[1:] == en[1:] and len(both) == 5, kind
        header = dict(zip(both[0], both[1], strict=True))
        assert (header["Mã đơn vị · Agency code"], header["Tên đơn vị · Agency name"]) == (
            "STNMT",
            "Sở Tài nguyên và Môi trường",
        ), kind
        stnmt = dict(zip(vi[0], vi[1], strict=True))
        assert str(stnmt["Tổng số hồ sơ tiếp nhận"]) == "4" and str(stnmt["Giải quyết trước hạn"]) == "2", kind
        assert float(stnmt["Tỷ lệ đúng hạn (%)"]) == 75.0, kind
        english = dict(zip(en[0], en[1], strict=True))
        assert str(english["Received"]) == "4" and float(english["On-time rate (%)"]) == 75.0, kind
        # No snake_case left for a person to read.
        for row in (both[0], vi[0], en[0]):
            assert not any(re.fullmatch(r"[a-z_]+", str(label)) for label in row), (kind, row)
        assert all(" · " in str(label) for label in both[0]), kind
