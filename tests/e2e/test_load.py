"""The load test (`python -m bench.load`) for 30 s at a modest rate: the real distributed deployment with two gateway
replicas on the local Kafka, FerretDB and SMTP server, Locust and the agents' whole mix. What it asserts is what the
run did, never how fast: every route asked, no error but the documented 429s, both replicas used, codes read from
the mail and verified, the report and its charts written, and nothing of the run left behind."""

from __future__ import annotations

import asyncio
import json
import mailbox
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import MongoClient

from bench.load.figures import SEARCHES
from tests.conftest import KAFKA, MAILDIR, MONGO, SMTP, require_infra

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
ROUTES = {SEARCHES, "search name", "search e-mail", "search phone", "search device", "user view", "customer view",
          "e-mail status", "code send", "code check"}
CHARTS = ("latency.png", "throughput.png", "lag.png", "cpu.png")


@pytest.fixture(scope="module")
def load_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """One 30-second run for the module: it starts six processes and imports a dataset."""
    require_infra("Kafka", KAFKA)
    require_infra("FerretDB", MONGO.split("//", 1)[1].split("/", 1)[0])
    require_infra("The SMTP server", SMTP)
    out = tmp_path_factory.mktemp("load")
    # A third of the calls send a code, so that a short run checks several.
    command = [sys.executable, "-m", "bench.load", "--seconds", "30", "--rate", "10", "--users", "100",
               "--callers", "20", "--verification-calls", "0.3", "--kafka", KAFKA, "--mongo", MONGO, "--smtp", SMTP,
               "--maildir", str(MAILDIR), "--out", str(out)]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=840, check=False)
    assert finished.returncode == 0, finished.stderr[-4000:]
    return out, json.loads((out / "results.json").read_text())


def test_every_route_of_the_agents_mix_is_asked_on_both_gateway_replicas(
        load_run: tuple[Path, dict[str, Any]]) -> None:
    _, results = load_run
    run = results["run"]

    assert set(run["routes"]) == ROUTES
    assert all(route["requests"] > 0 for route in run["routes"].values())
    assert set(run["replicas"]) == {"1", "2"}


def test_no_request_fails_but_for_the_documented_429s(load_run: tuple[Path, dict[str, Any]]) -> None:
    _, results = load_run
    run = results["run"]

    assert run["errors"] == 0, run["error_kinds"]
    assert {name: route["ok"] + route["refused"] for name, route in run["routes"].items()} == {
        name: route["requests"] for name, route in run["routes"].items()}


def test_the_codes_sent_reach_the_mailbox_and_the_codes_read_there_are_verified(
        load_run: tuple[Path, dict[str, Any]]) -> None:
    _, results = load_run
    found = results["run"]["findings"]["found"]

    assert found.get("code check: verified", 0) > 0
    assert found.get("code check: refused", 0) == 0
    assert found.get("code mail: missing", 0) == 0


def test_complete_e_mail_searches_find_their_user(load_run: tuple[Path, dict[str, Any]]) -> None:
    _, results = load_run
    found = results["run"]["findings"]["found"]

    assert found.get("search e-mail: found", 0) > 0
    assert found.get("search e-mail: missed", 0) == 0


def test_the_report_and_its_charts_are_written(load_run: tuple[Path, dict[str, Any]]) -> None:
    out, results = load_run
    report = (out / "report.md").read_text()

    assert report.startswith("# Load: the agent mix against the distributed deployment")
    assert "## 30-second run at 10 requests/s" in report
    assert results["command"] in report
    for chart in CHARTS:
        assert (out / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", chart
        assert f"({chart})" in report
    assert results["run"]["cpu"]["processes"].keys() >= {"gateway", "gateway-2", "identity", "search", "email",
                                                         "access", "locust"}
    assert results["run"]["lag_peaks"]  # the consumers' lag was sampled, whatever it was


def test_the_run_leaves_no_topics_databases_or_mails_behind(load_run: tuple[Path, dict[str, Any]]) -> None:
    _, results = load_run
    run_id = results["run_id"]

    with MongoClient[dict[str, Any]](MONGO, serverSelectionTimeoutMS=10_000) as client:
        databases = [name for name in client.list_database_names() if name.endswith(f"_{run_id}")]
    topics = asyncio.run(_topics(f"t{run_id}."))

    assert databases == []
    assert topics == []
    assert results["mails_deleted"] > 0
    assert [mail for mail in _recipients() if run_id in mail] == []


async def _topics(prefix: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        return [topic for topic in await admin.list_topics() if topic.startswith(prefix)]
    finally:
        await admin.close()


def _recipients() -> list[str]:
    return [message.get("X-RcptTo", "").lower() for message in mailbox.Maildir(MAILDIR, create=False)]
