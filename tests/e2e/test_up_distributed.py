"""`helpdesk up --distributed` runs every service as its own process on the real Kafka, FerretDB, OpenSearch and
SMTP server, answers a search through its gateway, and stops every process it started on Ctrl-C."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from helpdesk.cluster import Cluster, free_port
from helpdesk.supervisor import run_home
from tests.conftest import KAFKA, MONGO, OPENSEARCH_URL, SMTP, require_infra
from tests.e2e.test_distributed_slice import login, search_until_found

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

READY_SECONDS = 180  # the infrastructure's check, then every process's start
ROW = re.compile(r"^(?P<name>[a-z]+(?:-\d+)?)\s+(?P<pid>\d+)\s+(?P<url>http://\S+)\s+(?P<log>\S+)$", re.MULTILINE)


def test_up_distributed_serves_a_search_from_its_own_processes_and_stops_them_all_on_ctrl_c(tmp_path: Path) -> None:
    require_infra("Kafka", KAFKA)
    require_infra("FerretDB", MONGO.split("//", 1)[1].split("/", 1)[0])
    require_infra("OpenSearch", OPENSEARCH_URL.split("//", 1)[1])
    require_infra("The SMTP server", SMTP)
    run_id = f"up{uuid.uuid4().hex[:8]}"
    port = free_port()
    output = tmp_path / "up.log"
    with output.open("wb") as out:  # a file, not a pipe: nobody reads it while the command runs
        command = subprocess.Popen(
            [sys.executable, "-m", "helpdesk.cli", "up", "--distributed", "--replicas", "search=2",
             "--port", str(port), "--run-id", run_id], stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_ready_line(command, output)
        processes = {row["name"]: (int(row["pid"]), row["url"]) for row in ROW.finditer(output.read_text())}
        search_ready = [httpx.get(f"{processes[name][1]}/readyz", timeout=10).status_code
                        for name in ("search", "search-2")]
        with httpx.Client(base_url=processes["gateway"][1], timeout=30) as client:
            found = search_until_found(client, login(client, "agent@northwind.example"), "jane")

        command.send_signal(signal.SIGINT)
        returned = command.wait(timeout=60)
        still_running = [name for name, (pid, _) in processes.items() if _running(pid)]
    finally:
        if command.poll() is None:
            command.terminate()
            command.wait(timeout=60)
        Cluster(KAFKA, MONGO, run_id, tmp_path, opensearch=OPENSEARCH_URL).forget()

    assert sorted(processes) == ["access", "email", "gateway", "identity", "search", "search-2"]
    assert processes["gateway"][1] == f"http://127.0.0.1:{port}"
    assert search_ready == [200, 200]
    assert processes["search"][0] != processes["search-2"][0]
    assert [hit["id"] for hit in found["users"]] == ["u-jane"]  # type: ignore[attr-defined]
    assert returned == 0, output.read_text()
    assert still_running == []
    assert "`helpdesk infra down` stops it" in output.read_text()
    shutil.rmtree(run_home(run_id))  # kept for a look when the test failed


def _wait_for_ready_line(command: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while not re.search(r"^Ready: ", output.read_text(errors="replace"), re.MULTILINE):
        if command.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"`helpdesk up --distributed` did not get ready:\n{output.read_text()}")
        time.sleep(0.2)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
