"""Waiting out a dependency that is down: tried until it works, longer between tries, each failure said."""

from __future__ import annotations

import logging

import pytest

from runtime import retry

pytestmark = pytest.mark.unit


async def test_an_attempt_is_tried_until_it_works_waiting_longer_each_time(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    waits: list[float] = []
    cleanups: list[int] = []
    failures = iter([ConnectionError("down")] * 5)

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def attempt() -> str:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return "connected"

    async def clean_up() -> None:
        cleanups.append(1)

    monkeypatch.setattr(retry.asyncio, "sleep", sleep)
    with caplog.at_level(logging.WARNING, logger=retry.__name__):
        answer = await retry.until_it_works(attempt, "store unavailable, retrying", {"step": "seed"},
                                            after_failure=clean_up)

    assert answer == "connected"
    assert waits == [0.5, 1.0, 2.0, 4.0, 5.0]
    assert len(cleanups) == 5
    assert [(r.message, r.step) for r in caplog.records] == [("store unavailable, retrying", "seed")] * 5
