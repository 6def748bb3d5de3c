"""The load test's own logic: the calls its agents make, the codes it reads from the mailbox, and the figures and
verdicts it draws from what Locust logged and what the sampler saw."""

from __future__ import annotations

import math
import random
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from bench.load import figures, mailroom, workload
from bench.load.drive import agents_for
from bench.load.sampler import Sample, lag_of
from services.identity.generator import records

pytestmark = pytest.mark.unit


def test_typing_searches_at_each_pause_and_ends_with_the_whole_text() -> None:
    searched = workload.typed("jane doe", random.Random(1))

    assert searched[-1] == "jane doe"
    assert all("jane doe".startswith(text) and len(text) >= workload.FIRST_SEARCHED_AT for text in searched)
    assert [len(text) for text in searched] == sorted({len(text) for text in searched})
    assert "jane " not in searched  # what the console trims away asks nothing new


def _books(users: int = 200, callers: int = 20) -> dict[str, workload.Book]:
    generated = list(records(users))
    return workload.books(generated, workload.callers(generated, callers, "run1"))


def test_every_partners_book_has_its_own_customers_users_devices_and_callers() -> None:
    generated = list(records(200))
    partner_of = {r["id"]: r["partner_id"] for r in generated if r["type"] == "org"}

    books = workload.books(generated, workload.callers(generated, 20, "run1"))

    assert sorted(books) == ["partner-0001", "partner-0002"]
    for partner, book in books.items():
        assert (len(book.users) > 0, len(book.devices) > 0, len(book.callers) > 0) == (True, True, True)
        assert {partner_of[entry["org_id"]] for entry in book.users + book.devices + book.callers} == {partner}
        assert all("run1" in caller["email"] for caller in book.callers)


def test_a_call_searches_then_views_what_it_found_and_only_the_whole_text_expects_a_hit() -> None:
    book = _books()["partner-0001"]
    rng = random.Random(3)

    calls = [workload.call(book, rng) for _ in range(300)]

    for steps in calls:
        searches = [step for step in steps if step.path == "/api/v1/search"]
        assert searches == steps[:len(searches)]
        assert [bool(step.expect) for step in searches] == [False] * (len(searches) - 1) + [True]
        assert steps[len(searches)].name in ("user view", "customer view")
    names = {step.name for steps in calls for step in steps}
    assert names == {"search name", "search e-mail", "search phone", "search device", "user view", "customer view",
                     "e-mail status", "code send"}
    assert all(steps[-1].mails for steps in calls if any(step.name == "code send" for step in steps))


def test_agents_are_dealt_to_the_partners_in_turn_as_their_own_staff() -> None:
    agents = workload.agents(["p1", "p2"], 5, "run1")

    assert [agent["org_id"] for agent in agents] == ["p1", "p2", "p1", "p2", "p1"]
    assert all(agent["roles"] == ["helpdesk"] for agent in agents)
    assert len({agent["email"] for agent in agents}) == 5


def test_so_many_agents_that_their_pace_makes_the_rate() -> None:
    assert agents_for(40, 1.0) == 40
    assert agents_for(25, 2.0) == 13
    assert agents_for(0.1, 1.0) == 1


def _mail(folder: Path, name: str, to: str, text: str) -> None:
    message = EmailMessage()
    message["X-RcptTo"] = to
    message.set_content(text)
    (folder / "new").mkdir(parents=True, exist_ok=True)
    (folder / "new" / name).write_bytes(message.as_bytes())


def test_the_mailroom_reads_the_runs_codes_and_forgets_only_the_runs_mails(tmp_path: Path) -> None:
    _mail(tmp_path, "1", "caller1.run1@acme.example", "Your code is 731904. It is valid for 10 minutes.")
    _mail(tmp_path, "2", "someone@acme.example", "Your code is 111111.")
    room = mailroom.Mailroom(tmp_path, "run1")

    found = room.code_for("Caller1.run1@acme.example", sent_after=0.0)
    later = room.code_for("caller1.run1@acme.example", sent_after=found.at + 60 if found else 0.0)
    others = room.code_for("someone@acme.example", sent_after=0.0)
    deleted = mailroom.forget(tmp_path, "run1")

    assert found is not None
    assert found.code == "731904"
    assert later is None  # a mail from before the code was sent is not its mail
    assert others is None
    assert deleted == 1
    assert [path.name for path in (tmp_path / "new").iterdir()] == ["2"]


def test_the_consumer_lag_is_added_up_over_partitions_by_group_and_topic() -> None:
    text = ('helpdesk_consumer_lag{group="access",partition="0",service="access",topic="gateway.audit"} 3.0\n'
            'helpdesk_consumer_lag{group="access",partition="1",service="access",topic="gateway.audit"} 4.0\n'
            'helpdesk_consumer_lag{group="access",partition="0",service="access",topic="identity.orgs"} 0.0\n'
            'helpdesk_http_requests_total{method="GET",route="/readyz",service="access",status="200"} 9.0\n')

    assert lag_of(text) == {"access gateway.audit": 7.0, "access identity.orgs": 0.0}


def _request(at: float, route: str, ms: float, status: int = 200) -> figures.Request:
    return figures.Request(at, route, ms, status, "1")


def test_routes_count_429_apart_from_errors_and_searches_also_together() -> None:
    requests = [_request(0, "search name", 10), _request(0.5, "search e-mail", 30),
                _request(1, "search name", 20, 429), _request(1.5, "user view", 40, 503),
                _request(1.8, "user view", 5, 0)]

    table = figures.routes(requests, seconds=2.0)

    assert list(table) == [figures.SEARCHES, "search e-mail", "search name", "user view"]
    assert table[figures.SEARCHES]["requests"] == 3
    assert (table[figures.SEARCHES]["ok"], table[figures.SEARCHES]["refused"]) == (2, 1)
    assert table[figures.SEARCHES]["p50_ms"] == 20
    assert table["user view"]["error"] == 2
    assert table["user view"]["p99_ms"] == 40  # an unanswered request has no latency
    assert figures.errors(requests) == {"user view 503": 1, "user view no answer": 1}


def test_quantiles_are_by_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]

    assert (figures.quantile(values, 0.5), figures.quantile(values, 0.99), figures.quantile(values, 1.0)) == (
        50.0, 99.0, 100.0)
    assert math.isnan(figures.quantile([], 0.5))


def test_the_summary_leaves_the_agents_start_out() -> None:
    requests = [_request(at, "search name", 500 if at < figures.WARM_UP_SECONDS else 10)
                for at in (0.0, 1.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0)]

    summary = figures.summary(requests, [], rate=1.0)

    assert summary["routes"][figures.SEARCHES]["requests"] == 6
    assert summary["routes"][figures.SEARCHES]["max_ms"] == 10
    assert summary["achieved_per_second"] == pytest.approx(6 / 6.0)


def _sample(at: float, cpu: dict[str, float], busy: float) -> Sample:
    return Sample(at, cpu, busy, 1.0, {})


def test_cpu_is_the_cores_each_process_used_between_samples() -> None:
    samples = [_sample(0, {"gateway": 0.0, "search": 0.0}, 0.0), _sample(2, {"gateway": 1.0, "search": 0.2}, 3.0),
               _sample(4, {"gateway": 2.8, "search": 0.4}, 6.0)]

    used = figures.cpu(samples, since=0)

    assert used["processes"]["gateway"]["mean"] == pytest.approx(0.7)
    assert used["processes"]["gateway"]["peak"] == pytest.approx(0.9)
    assert used["machine"] == pytest.approx(1.5)


def _step(rate: float, p99: float, cores: dict[str, float], errors: int = 0, search_errors: int = 0,
          sent: float | None = None) -> dict[str, Any]:
    return {"rate": rate, "achieved_per_second": rate if sent is None else sent, "errors": errors + search_errors,
            "routes": {figures.SEARCHES: {"p99_ms": p99, "error": search_errors}},
            "cpu": {"processes": {name: {"mean": value} for name, value in cores.items()}, "machine": 1.9}}


def test_the_ceiling_is_the_last_step_that_held_and_names_the_first_process_out_of_cpu() -> None:
    steps = [_step(10, 20, {"gateway": 0.3, "search": 0.2, "locust": 0.95}),
             _step(20, 40, {"gateway": 0.5, "search": 0.92, "kafka": 1.3}, errors=3),
             _step(30, 150, {"gateway": 0.6, "search": 0.97, "kafka": 1.5})]

    verdict = figures.ceiling(steps, limit_ms=100)

    assert verdict["highest_rate"] == 20  # the user views' errors at 20/s do not decide search's ceiling
    assert verdict["highest_without_errors"] == 10
    assert verdict["first_failed_rate"] == 30
    assert verdict["busiest_at_failure"] == ("kafka", 1.5)  # the generator is never the product's ceiling
    assert verdict["first_saturated"] == (20, "search", 0.92)  # a server of many threads does not count


def test_a_step_that_could_not_send_its_rate_or_failed_a_search_did_not_hold() -> None:
    assert not figures.held(_step(10, 20, {}, sent=9.0), limit_ms=100)
    assert not figures.held(_step(10, 20, {}, search_errors=1), limit_ms=100)
    assert not figures.held(_step(10, 120, {}), limit_ms=100)
    assert figures.held(_step(10, 20, {}, sent=9.6, errors=2), limit_ms=100)
