"""The gateway benchmark's own arithmetic: what it reads from the load generators and py-spy, the gateway's cost it
derives, and the one app that answers both the gateway and the search service in the embedded product."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from bench.gateway.load import hey_answers, vegeta_answers
from bench.gateway.profile import summarise
from bench.gateway.report import overhead
from bench.gateway.serve import beside_search

pytestmark = pytest.mark.unit


def test_hey_answers_count_other_statuses_as_failed_and_span_to_the_last_answer() -> None:
    encoded = ("response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset\n"
               "0.0020,0.0001,0,0,0.0019,0,200,0.0000\n"
               "0.0040,0,0,0,0.0039,0,429,0.0021\n"
               "0.0010,0,0,0,0.0009,0,200,0.9990\n")

    answers = hey_answers(encoded, cpu=0.5)

    assert (answers.sent, answers.failed, answers.generator_cpu) == (3, 1, 0.5)
    assert answers.seconds == pytest.approx(1.0)
    assert answers.quantile(0.5) == pytest.approx(2.0)
    assert answers.per_second == pytest.approx(2.0)


def test_vegeta_answers_keep_requests_without_an_answer_out_of_the_latencies() -> None:
    second = 1_000_000_000
    start = 1_700_000_000 * second
    encoded = (f"{start},200,{second // 1000},0,10,,,,0,GET,http://a/,\n"
               f"{start + second // 2},0,{second // 100},0,0,connection refused,,,1,GET,http://a/,\n"
               f"{start + second},200,{3 * second // 1000},0,10,,,,2,GET,http://a/,\n")

    answers = vegeta_answers(encoded, cpu=0.1)

    assert (answers.sent, answers.failed) == (3, 1)
    assert answers.latencies == [0.001, 0.003]
    assert answers.sending_seconds == pytest.approx(1.0)
    assert answers.seconds == pytest.approx(1.003)


def _run(target: str, number: int, p50: float, p99: float, per_second: float) -> dict[str, Any]:
    return {"target": target, "connections": 1, "round": number, "p50_ms": p50, "p99_ms": p99,
            "per_second": per_second}


def test_the_gateways_cost_pairs_each_round_with_the_services_own() -> None:
    runs = [_run("search_service", 1, 1.0, 3.0, 800.0), _run("search_gateway", 1, 5.0, 9.0, 200.0),
            _run("search_service", 2, 2.0, 4.0, 500.0), _run("search_gateway", 2, 4.0, 12.0, 250.0),
            _run("hello", 1, 0.1, 0.2, 9000.0)]

    assert overhead(runs) == {("connections", 1): {"p50_ms": [4.0, 2.0], "p99_ms": [6.0, 8.0],
                                                  "share": [0.25, 0.5]}}


def test_a_profile_is_summarised_from_the_serving_thread_by_own_time_and_by_the_products_functions() -> None:
    frames = [{"name": "main", "file": "/srv/helpdesk/helpdesk/cli.py", "line": 1},
              {"name": "search", "file": "/srv/helpdesk/gateway/routes/search.py", "line": 2},
              {"name": "verify", "file": "/venv/lib/python3.11/site-packages/jwt/api_jws.py", "line": 3},
              {"name": "wait", "file": "/usr/lib/python3.11/threading.py", "line": 4}]
    recording = {"shared": {"frames": frames}, "profiles": [
        {"name": 'Thread 1 "MainThread"', "samples": [[0, 1, 2], [0, 1, 2], [0, 1], [0]], "weights": [1, 1, 1, 1]},
        {"name": 'Thread 2 "AnyIO worker thread"', "samples": [[3]], "weights": [5]}]}

    summary = summarise(recording)

    assert summary["own"] == [{"function": "verify (jwt/api_jws.py:3)", "share": 0.5},
                              {"function": "search (gateway/routes/search.py:2)", "share": 0.25},
                              {"function": "main (helpdesk/cli.py:1)", "share": 0.25}]
    assert summary["own_by_package"] == [{"package": "jwt", "share": 0.5}, {"package": "gateway", "share": 0.25},
                                         {"package": "helpdesk", "share": 0.25}]
    # The library's time goes to the product's function that called it; `main`, under every sample, is no answer.
    assert summary["product_innermost"] == [{"function": "search (gateway/routes/search.py:2)", "share": 0.75}]
    assert summary["outside_product"] == 0.25
    assert (summary["serving_samples"], summary["other_threads_samples"]) == (4, 5)


async def test_the_embedded_search_is_answered_beside_the_gateway() -> None:
    answered: list[str] = []

    def app(name: str) -> Any:
        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            answered.append(f"{name} {scope['type']} {scope.get('path', '')}")
        return answer

    both = beside_search(app("gateway"), app("search"))

    async def nothing() -> Any:
        return {}

    async def ignore(message: Any) -> None:
        return None

    for scope in ({"type": "http", "path": "/internal/search"}, {"type": "http", "path": "/api/v1/search"},
                  {"type": "lifespan"}):
        await both(scope, nothing, ignore)
    assert answered == ["search http /internal/search", "gateway http /api/v1/search", "gateway lifespan "]
