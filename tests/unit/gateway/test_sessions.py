"""The gateway's projection of read-only sessions: a token is known by its hash, and an end is never undone."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from contracts.access import ReadOnlySessionEnded, ReadOnlySessionStarted
from gateway.sessions import OpenSession, SessionProjection

pytestmark = pytest.mark.unit

NOON = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "ros_secret"


def started() -> ReadOnlySessionStarted:
    return ReadOnlySessionStarted(session_id="ros-1", org_id="o-acme", agent_id="u-agent", reason="Ticket 4711",
                                  expires_at=NOON + timedelta(minutes=15), partner_id="p-northwind",
                                  token_hash=hashlib.sha256(TOKEN.encode()).hexdigest())


def ended() -> ReadOnlySessionEnded:
    return ReadOnlySessionEnded(session_id="ros-1", org_id="o-acme", agent_id="u-agent", why="revoked")


async def test_a_started_session_is_found_by_its_token_and_no_other() -> None:
    sessions = SessionProjection()

    await sessions.apply(started())

    found = sessions.session(TOKEN)
    assert found is not None
    assert (found.org_id, found.agent_id, found.partner_id, found.ended_why) == (
        "o-acme", "u-agent", "p-northwind", None)
    assert sessions.session("ros_other") is None


async def test_an_ended_session_stays_ended_when_its_start_is_delivered_again() -> None:
    sessions = SessionProjection()

    await sessions.apply(started())
    await sessions.apply(ended())
    await sessions.apply(started())

    found = sessions.session(TOKEN)
    assert found is not None
    assert found.ended_why == "revoked"


async def test_a_session_opened_here_whose_end_was_read_first_opens_as_ended() -> None:
    sessions = SessionProjection()

    await sessions.apply(ended())
    sessions.opened(TOKEN, OpenSession("ros-1", "o-acme", "u-agent", "", "p-northwind", "Ticket 4711",
                                       NOON + timedelta(minutes=15)))

    found = sessions.session(TOKEN)
    assert found is not None
    assert found.ended_why == "revoked"
