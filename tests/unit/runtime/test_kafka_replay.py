"""A replaying consumer never skips a record, even when setting a bad one aside fails for a while."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from contracts import Event
from runtime import kafka
from runtime.bus import Subscription
from runtime.kafka import KafkaBus, _Replay
from tests.factories import user_upserted

pytestmark = pytest.mark.unit


def _record(offset: int, value: bytes | None) -> Any:
    return SimpleNamespace(topic="identity.users", partition=0, offset=offset, key=f"k{offset}".encode(), value=value)


async def test_a_record_that_cannot_be_set_aside_holds_the_replay_until_it_can(monkeypatch: pytest.MonkeyPatch
                                                                                ) -> None:
    handled: list[str] = []

    async def handler(event: Event) -> None:
        handled.append(event.key())

    async def no_wait(_: float) -> None:
        return None

    bus = KafkaBus("127.0.0.1:1", client_id="test")  # never connected: the batch is handed over directly
    attempts: list[bytes | None] = []

    async def dead_letter(group: str, raw: Any, body: bytes | None, error: str) -> None:
        attempts.append(raw.key)
        if len(attempts) < 3:
            raise ConnectionError("Kafka refuses writes")

    monkeypatch.setattr(bus, "_dead_letter", dead_letter)
    monkeypatch.setattr(kafka.asyncio, "sleep", no_wait)
    replay = _Replay(("identity.users",))
    records = [_record(0, user_upserted(id="u0").to_json()), _record(1, b"not an event"),
               _record(2, user_upserted(id="u2").to_json())]

    await bus._replay_batch(Subscription("search", ("identity.users",), handler, replay=True), replay, records)

    assert handled == ["u0", "u2"]
    assert attempts == [b"k1", b"k1", b"k1"]  # the bad record, until it was set aside; nothing skipped
    assert replay.handled == {("identity.users", 0): 2}
