"""The per-agent rate limit: a burst, then one request per refill interval."""

from __future__ import annotations

import pytest

from gateway.limits import RateLimit
from runtime.web import ApiError

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_refused_with_the_wait_until_the_next_token() -> None:
    clock = Clock()
    limit = RateLimit(burst=2, per_minute=6, clock=clock, name="search")
    limit.take("u-agent")
    limit.take("u-agent")

    with pytest.raises(ApiError) as refused:
        limit.take("u-agent")

    assert (refused.value.status, refused.value.code) == (429, "rate_limited")
    assert refused.value.headers["Retry-After"] == "10"


def test_tokens_come_back_with_time() -> None:
    clock = Clock()
    limit = RateLimit(burst=1, per_minute=6, clock=clock, name="search")
    limit.take("u-agent")

    clock.now += 10
    limit.take("u-agent")

    with pytest.raises(ApiError):
        limit.take("u-agent")


def test_each_agent_has_their_own_bucket() -> None:
    limit = RateLimit(burst=1, per_minute=1, clock=Clock(), name="search")
    limit.take("u-agent")

    limit.take("u-advanced")

    with pytest.raises(ApiError):
        limit.take("u-agent")
