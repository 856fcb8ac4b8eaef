"""The load driver (motcua_stack.load) retries a step whose answer was lost. An apology changes no
status, so when the service died after applying it and before keeping its answer, the retry is told
409 `apology_already_issued`: that is the step done, but only after a lost answer; without one the
same 409 is a life that failed (CI of 3 December: the fault test's processing kill hit that window)."""

from collections.abc import Callable

import httpx
import pytest
from motcua_stack.load import Driver, LifeFailed, Tokens

ALREADY = httpx.Response(409, json={"error": {"code": "apology_already_issued", "message": "đã có thư xin lỗi"}})


def driver_over(answers: list[Callable[[httpx.Request], httpx.Response]]) -> Driver:
    driver = Driver("http://intake", "http://processing", Tokens("s" * 32), patience_seconds=5)

    def answer(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)(request)

    driver._client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return driver


def lost(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


async def apologise(driver: Driver) -> object:
    return await driver._request(
        "apology", "http://processing/v1/dossiers/X/apology", {}, {}, then=None, applied="apology_already_issued"
    )


async def test_already_issued_after_a_lost_answer_is_the_step_done() -> None:
    driver = driver_over([lost, lambda _: ALREADY])
    assert await apologise(driver) == {}
    assert driver.stats.retries == 1


async def test_already_issued_with_no_lost_answer_fails_the_life() -> None:
    driver = driver_over([lambda _: ALREADY])
    with pytest.raises(LifeFailed, match="apology_already_issued"):
        await apologise(driver)
