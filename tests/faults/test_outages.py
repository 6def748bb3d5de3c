"""A dependency down while agents work: the Kafka broker restarted, FerretDB stopped for 30 s.

The product runs as its own processes on a private broker, FerretDB and SMTP server (private_infra.py), which the
tests stop and start while a client keeps sending what agents send: searches, user views, verification codes, and an
operator's imports. Every answer must be a success or a clear 503 with Retry-After, in time; once the dependency is
back, without anyone restarting a process, every acknowledged write must be there exactly once: each imported user
searchable, each acknowledged action in the audit log, each acknowledged code mailed."""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import queue
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.faults.private_infra import FaultCluster, PrivateInfra, private_product, settles, until

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(300)]

CLIENT_TIMEOUT = 12.0  # what an agent's browser waits; the gateway gives a service 10 s, the bus 5 s
PAUSE = 0.25  # between one worker's requests: a few agents' pace, on a machine the tests share
WORKERS = 2
KAFKA_DOWN_SECONDS = 15.0  # beyond the client's timeout, so a request waiting for the broker would show
FERRETDB_DOWN_SECONDS = 30.0
RECOVERY_SECONDS = 90.0
RECIPIENTS = 40  # users imported beforehand, one verification code each (three per user in 15 minutes)
AUDITED = {"search": "search", "view": "user.viewed", "code": "user.code_sent"}  # kind of request -> its action


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PrivateInfra, FaultCluster]]:
    """One private infrastructure and one set of processes for the module: both take tens of seconds to start."""
    with private_product(tmp_path_factory.mktemp("outages"), uuid.uuid4().hex[:10]) as running:
        yield running


@dataclass(frozen=True)
class Answer:
    """What one request got: its status (None: no answer within the client's timeout, or no connection)."""

    kind: str
    correlation_id: str
    began: float
    ended: float
    status: int | None
    retry_after: str | None = None
    error_code: str | None = None
    failure: str | None = None
    subjects: tuple[str, ...] = ()  # the users an import carried, or the user a code was sent to
    token: str = ""  # an import's word, shared by its users' names and by nothing else

    @property
    def acknowledged(self) -> bool:
        return self.status in (200, 202)

    def within(self, window: Window) -> bool:
        return window.began <= self.began and self.ended <= window.ended


@dataclass
class Window:
    began: float = 0.0
    ended: float = float("inf")


def _letters(number: int, width: int) -> str:
    """A number as lowercase letters of a fixed width: a word no other of them starts with, and no order number."""
    word = ""
    for _ in range(width):
        number, digit = divmod(number, 26)
        word = chr(ord("a") + digit) + word
    return word


class Agents:
    """The people the traffic is made of, signed in once: an agent, an operator who imports, a partner admin who
    reads the audit log."""

    def __init__(self, cluster: FaultCluster) -> None:
        self.url = cluster.url("gateway")
        self.run_word = _letters(uuid.uuid4().int, 8)  # each test's own: the tests share the processes
        self._batches = itertools.count()
        with self.client() as client:
            self.agent = self._login(client, "agent@northwind.example")
            self.operator = self._login(client, "operator@helpdesk.local")
            self.partner_admin = self._login(client, "admin@northwind.example")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=CLIENT_TIMEOUT)

    @staticmethod
    def _login(client: httpx.Client, email: str) -> dict[str, str]:
        response = client.post("/api/v1/auth/demo-login", json={"email": email})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def new_users(self, count: int) -> tuple[str, list[dict[str, Any]]]:
        """Users of Acme (a customer of the agent's partner) named with a word of their own."""
        token = f"q{self.run_word}{_letters(next(self._batches), 3)}"
        return token, [{"type": "user", "id": f"u-{token}-{n}", "org_id": "o-acme",
                        "email": f"{token}.{n}@acme.example", "first_name": f"Caller{_letters(n, 2)}",
                        "last_name": token} for n in range(count)]

    def import_users(self, client: httpx.Client, users: list[dict[str, Any]], correlation_id: str) -> httpx.Response:
        body = "".join(json.dumps(user) + "\n" for user in users)
        return client.post("/api/v1/operator/import", content=body,
                           headers={**self.operator, "X-Correlation-ID": correlation_id})

    def found(self, client: httpx.Client, token: str) -> list[str]:
        """The users whose name has the word, sorted, each as often as search answers it (other batches' words are
        one letter away: search offers them too, as typos)."""
        response = client.get("/api/v1/search", params={"q": token, "limit": 100}, headers=self.agent)
        assert response.status_code == 200, response.text
        return sorted(hit["id"] for hit in response.json()["users"] if hit["match"] == "exact")

    def audit_log(self, client: httpx.Client, since: datetime) -> list[dict[str, Any]]:
        """Every entry of the agent's since `since`, as the partner's admin reads them."""
        entries: list[dict[str, Any]] = []
        params: dict[str, Any] = {"agent": "u-agent", "since": since.isoformat(), "limit": 200}
        while True:
            response = client.get("/api/v1/partner/audit", params=params, headers=self.partner_admin)
            assert response.status_code == 200, response.text
            page = response.json()
            entries += page["entries"]
            if page["next_cursor"] is None:
                return entries
            params["cursor"] = page["next_cursor"]


@dataclass
class Traffic:
    """Workers sending the agents' requests in turn until stopped, each answer recorded."""

    agents: Agents
    recipients: queue.SimpleQueue[str]
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for number in range(WORKERS):
            thread = threading.Thread(target=self._work, args=(number,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> list[Answer]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=CLIENT_TIMEOUT * 2)
        return list(self.answers)

    def settled(self) -> bool:
        """Whether the latest answer of each kind of request is a success."""
        latest = {answer.kind: answer for answer in list(self.answers)}
        return set(latest) == {"search", "view", "code", "import"} and all(a.acknowledged for a in latest.values())

    def _work(self, number: int) -> None:
        kinds = ("search", "view", "code", "import")
        with self.agents.client() as client:
            for kind in itertools.islice(itertools.cycle(kinds), number, None):
                if self._stop.is_set():
                    return
                answer = self._send(client, kind)
                if answer is not None:
                    self.answers.append(answer)
                time.sleep(PAUSE)

    def _send(self, client: httpx.Client, kind: str) -> Answer | None:
        correlation_id = uuid.uuid4().hex
        headers = {**self.agents.agent, "X-Correlation-ID": correlation_id}
        subjects: tuple[str, ...] = ()
        token = ""
        began = time.monotonic()
        try:
            if kind == "search":
                response = client.get("/api/v1/search", params={"q": "jane"}, headers=headers)
            elif kind == "view":
                response = client.get("/api/v1/users/u-jane", headers=headers)
            elif kind == "code":
                try:
                    recipient = self.recipients.get_nowait()
                except queue.Empty:
                    return None
                subjects = (recipient,)
                response = client.post(f"/api/v1/users/{recipient}/verification-codes", headers=headers)
            else:
                token, users = self.agents.new_users(2)
                subjects = tuple(user["id"] for user in users)
                response = self.agents.import_users(client, users, correlation_id)
        except httpx.HTTPError as error:
            return Answer(kind, correlation_id, began, time.monotonic(), None, failure=repr(error),
                          subjects=subjects, token=token)
        ended = time.monotonic()
        error_code = None
        if response.status_code >= 400:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                error_code = response.json()["error"]["code"]
        return Answer(kind, correlation_id, began, ended, response.status_code, response.headers.get("Retry-After"),
                      error_code, subjects=subjects, token=token)


def prepare_recipients(agents: Agents) -> queue.SimpleQueue[str]:
    """Users imported before the fault, each to be sent one verification code."""
    _, users = agents.new_users(RECIPIENTS)
    with agents.client() as client:
        imported = agents.import_users(client, users, uuid.uuid4().hex)
    assert imported.json()["accepted"] == RECIPIENTS, imported.text
    recipients: queue.SimpleQueue[str] = queue.SimpleQueue()
    for user in users:
        recipients.put(user["id"])
    return recipients


def address_of(user_id: str) -> str:
    token, number = user_id.removeprefix("u-").rsplit("-", 1)
    return f"{token}.{number}@acme.example"


def assert_every_answer_clear(answers: list[Answer]) -> None:
    """A success, or 503 `service_unavailable` with Retry-After: never a 500, another error, or no answer in time."""
    unclear = [a for a in answers if not a.acknowledged and not (
        a.status == 503 and a.error_code == "service_unavailable" and a.retry_after)]
    assert not unclear, f"{len(unclear)} of {len(answers)} answers were neither a success nor a clear 503: {unclear}"


def assert_all_there_once(infra: PrivateInfra, agents: Agents, answers: list[Answer], since: datetime) -> None:
    """Every acknowledged import searchable with exactly its users, every acknowledged action audited once (and no
    action twice), every acknowledged code mailed once (and no code twice)."""
    imports = [a for a in answers if a.kind == "import" and a.acknowledged]
    audited = [a for a in answers if a.kind in AUDITED]
    expected = {(a.correlation_id, AUDITED[a.kind]) for a in audited if a.acknowledged}
    with agents.client() as client:
        def searchable() -> bool:
            return all(agents.found(client, a.token) == sorted(a.subjects) for a in imports)

        def recorded() -> Counter[tuple[str, str]]:
            return Counter((e["correlation_id"], e["action"]) for e in agents.audit_log(client, since))

        settles(searchable, RECOVERY_SECONDS)
        found = {a.token: agents.found(client, a.token) for a in imports}
        settles(lambda: expected <= set(recorded()), RECOVERY_SECONDS)
        entries = recorded()
    assert found == {a.token: sorted(a.subjects) for a in imports}
    assert not expected - set(entries), f"acknowledged but not in the audit log: {expected - set(entries)}"
    ours = {a.correlation_id for a in audited}
    doubled = {key: count for key, count in entries.items() if count > 1 and key[0] in ours}
    assert not doubled, f"audited more than once: {doubled}"

    codes = [a for a in answers if a.kind == "code"]
    mailed = {a.subjects[0] for a in codes if a.acknowledged}
    settles(lambda: all(infra.received(address_of(user)) for user in mailed), RECOVERY_SECONDS)
    time.sleep(3)  # a mail sent twice would follow the first closely
    counts = {a.subjects[0]: len(infra.received(address_of(a.subjects[0]))) for a in codes}
    assert {user: counts[user] for user in mailed} == dict.fromkeys(mailed, 1)
    assert max(counts.values(), default=0) <= 1, f"a code mailed more than once: {counts}"


def assert_nothing_restarted(cluster: FaultCluster, pids: dict[str, int]) -> None:
    """Every process the one it was before the fault, and ready again."""
    assert {name: process.pid for name, process in cluster.processes.items() if process.poll() is None} == pids
    for name in cluster.processes:
        until(functools.partial(_ready, cluster, name), RECOVERY_SECONDS)


def _ready(cluster: FaultCluster, name: str) -> bool:
    return httpx.get(f"{cluster.url(name)}/readyz", timeout=5).status_code == 200


def test_a_broker_restart_under_traffic_answers_clearly_and_relays_every_acknowledged_write_once(
        product: tuple[PrivateInfra, FaultCluster]) -> None:
    infra, cluster = product
    pids = {name: process.pid for name, process in cluster.processes.items()}
    since = datetime.now(UTC)
    agents = Agents(cluster)
    traffic = Traffic(agents, prepare_recipients(agents))
    outage = Window()

    traffic.start()
    time.sleep(3)
    outage.began = time.monotonic()
    infra.down("kafka")
    time.sleep(KAFKA_DOWN_SECONDS)
    infra.up("kafka")
    outage.ended = time.monotonic()
    until(traffic.settled, RECOVERY_SECONDS)
    answers = traffic.stop()

    assert_every_answer_clear(answers)
    during = [a for a in answers if a.within(outage)]
    assert any(a.status == 503 for a in during), f"the outage went unnoticed: {during}"
    assert any(a.kind == "import" and a.acknowledged for a in during), "no import was taken while the broker was down"
    assert_all_there_once(infra, agents, answers, since)
    assert_nothing_restarted(cluster, pids)


def test_ferretdb_stopped_for_30_s_answers_503_where_needed_and_recovers_every_write_once(
        product: tuple[PrivateInfra, FaultCluster]) -> None:
    infra, cluster = product
    pids = {name: process.pid for name, process in cluster.processes.items()}
    since = datetime.now(UTC)
    agents = Agents(cluster)
    traffic = Traffic(agents, prepare_recipients(agents))
    outage = Window()

    traffic.start()
    time.sleep(3)
    infra.down("ferretdb")
    outage.began = time.monotonic()
    identity_ready = until(functools.partial(_not_ready, cluster, "identity"), FERRETDB_DOWN_SECONDS)
    gateway_ready = httpx.get(f"{cluster.url('gateway')}/readyz", timeout=5)
    time.sleep(max(0.0, FERRETDB_DOWN_SECONDS - (time.monotonic() - outage.began)))
    outage.ended = time.monotonic()
    infra.up("ferretdb")
    until(traffic.settled, RECOVERY_SECONDS)
    answers = traffic.stop()

    assert_every_answer_clear(answers)
    during = [a for a in answers if a.within(outage)]
    needing_it = {a.kind for a in during if a.status == 503}
    assert {"view", "code", "import"} <= needing_it, f"not every route that needs the store said so: {during}"
    assert any(a.kind == "search" and a.acknowledged for a in during), "search, which needs no store, stopped"
    assert identity_ready["checks"]["store"] is False
    assert gateway_ready.status_code == 200  # the gateway keeps serving what needs no store
    assert_all_there_once(infra, agents, answers, since)
    assert_nothing_restarted(cluster, pids)


def _not_ready(cluster: FaultCluster, name: str) -> dict[str, Any] | None:
    """The process's readiness while it says it is not ready; None while it says it is."""
    response = httpx.get(f"{cluster.url(name)}/readyz", timeout=10)
    body: dict[str, Any] = response.json()
    return body if response.status_code == 503 else None
