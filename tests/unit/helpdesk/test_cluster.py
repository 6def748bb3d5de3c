"""How `helpdesk up --distributed` and the tests configure the product's processes: replicas, names and settings."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from helpdesk import supervisor
from helpdesk.cluster import Cluster, parse_replicas
from helpdesk.supervisor import local_run, supervise

pytestmark = pytest.mark.unit


def test_replicas_are_read_per_service() -> None:
    assert parse_replicas("search=2, gateway=3") == {"search": 2, "gateway": 3}
    assert parse_replicas("") == {}


@pytest.mark.parametrize("text", ["searc=2", "search=0", "search=two", "search", "search=17"])
def test_replicas_of_an_unknown_service_or_a_wrong_count_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="search"):
        parse_replicas(text)


def test_the_replicas_of_a_service_share_its_data_and_each_listens_on_a_port_of_its_own(tmp_path: Path) -> None:
    cluster = Cluster("127.0.0.1:9092", "mongodb://db", "r1", tmp_path, opensearch="http://os:9200",
                      replicas={"search": 2, "gateway": 2})
    cluster.ports["gateway"] = 8000
    for name in cluster.names:
        cluster.ports.setdefault(name, 9000 + len(cluster.ports))

    first, second = cluster.env("search"), cluster.env("search-2")
    gateway, gateway_2 = cluster.env("gateway"), cluster.env("gateway-2")

    assert cluster.names == ["identity", "search", "search-2", "email", "access", "gateway", "gateway-2"]
    assert first["SEARCH_PORT"] != second["SEARCH_PORT"]
    for key in ("SEARCH_MONGO_DATABASE", "SEARCH_TOPIC_PREFIX", "SEARCH_STORE", "SEARCH_OPENSEARCH_INDEX"):
        assert first[key] == second[key]
    assert (first["SEARCH_MONGO_DATABASE"], first["SEARCH_TOPIC_PREFIX"]) == ("search_r1", "tr1.")
    assert gateway["GATEWAY_DEMO_SIGNING_KEY"] == gateway_2["GATEWAY_DEMO_SIGNING_KEY"]
    assert gateway["GATEWAY_SEARCH_URL"] == gateway_2["GATEWAY_SEARCH_URL"] == cluster.url("search")
    assert (gateway["GATEWAY_PORT"], gateway["GATEWAY_AUTH_MODE"]) == ("8000", "demo")


def test_email_sends_real_mail_to_the_given_server_and_the_demo_seeds_follow_the_seed_flag(tmp_path: Path) -> None:
    seeded = Cluster("k:9092", "mongodb://db", "r1", tmp_path, smtp="127.0.0.1:2525", ports={"email": 1, "access": 2})
    unseeded = Cluster("k:9092", "mongodb://db", "r1", tmp_path, seed=False, ports={"access": 2})

    email = seeded.env("email")

    assert (email["EMAIL_MAILER"], email["EMAIL_SMTP_HOST"], email["EMAIL_SMTP_PORT"]) == ("smtp", "127.0.0.1", "2525")
    assert len(email["EMAIL_SECRET"]) >= 16
    assert seeded.env("access")["ACCESS_SEED"] == "demo"
    assert unseeded.env("access")["ACCESS_SEED"] == "none"


def test_a_run_id_that_cannot_name_an_index_is_refused_before_anything_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_INFRA_DIR", str(tmp_path))

    with pytest.raises(ValueError, match="run id"):
        local_run("Mine", {}, seed=True)

    assert list(tmp_path.iterdir()) == []


def test_a_local_run_keeps_its_email_secret_across_restarts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_INFRA_DIR", str(tmp_path))
    monkeypatch.delenv("EMAIL_SECRET", raising=False)

    first, again, other = local_run("a", {}, True), local_run("a", {}, True), local_run("b", {}, True)

    assert first.email_secret == again.email_secret != other.email_secret
    assert first.logs == tmp_path / "distributed" / "a"


class _Quiet(Cluster):
    """A run whose processes are only pretended: it records being stopped, and its watch ends by a signal."""

    def __init__(self, tmp_path: Path, *ending: signal.Signals) -> None:
        super().__init__("k:9092", "mongodb://db", "r1", tmp_path)
        self.ending = ending
        self.stopped = False

    def start_all(self) -> None:
        self.processes = {name: subprocess.Popen(["sleep", "60"]) for name in self.names}
        self.ports = {name: 9000 + n for n, name in enumerate(self.names)}

    def wait_ready(self, names: tuple[str, ...] | None = None, timeout: float = 90.0) -> None:
        pass

    def watch(self) -> str:
        for sig in self.ending:  # the first that is not ignored ends the watch
            os.kill(os.getpid(), sig)
            time.sleep(0.5)
        time.sleep(5)
        raise AssertionError("no signal ended the watch")

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.kill()
            process.wait()
        self.stopped = True


@pytest.mark.parametrize("ending", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_ctrl_c_a_kill_or_the_terminal_closing_stops_every_process(tmp_path: Path, ending: signal.Signals) -> None:
    run, said = _Quiet(tmp_path, ending), []

    def terminal(text: str) -> None:
        said.append(text)
        if ending == signal.SIGHUP and text.startswith("Stopping"):
            raise OSError(5, "Input/output error")  # the terminal is gone

    code = supervise(run, terminal)

    assert code == 0
    assert run.stopped
    assert all(process.poll() is not None for process in run.processes.values())
    assert signal.getsignal(ending) is not supervisor._interrupt  # the handlers before the run are back


def test_a_run_started_with_nohup_outlives_its_terminal(tmp_path: Path) -> None:
    run = _Quiet(tmp_path, signal.SIGHUP, signal.SIGINT)  # the terminal closes; later, someone stops it
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        code = supervise(run, lambda text: None)
        after = signal.getsignal(signal.SIGHUP)
    finally:
        signal.signal(signal.SIGHUP, before)

    assert code == 0
    assert run.stopped
    assert after == signal.SIG_IGN
