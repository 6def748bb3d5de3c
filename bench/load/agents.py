"""Help Desk agents as Locust users (the locustfile `python -m bench.load` runs Locust with).

Each Locust user is one agent of the workload (bench/load/workload.py): signed in with its own token, working for
its partner, on one gateway replica (the agents are dealt to the replicas in turn, as a load balancer would give
each its connection). It takes calls, one request a tick, and ticks at the workload's pace with Locust's
`constant_throughput`: so many agents at so many requests a second make the arrival rate. Each request is sent on a
greenlet of its own, so that one answered late does not hold back the next tick: the rate stays the one asked
however slow the answers get (an open loop), and a slow route shows as its own latency rather than as fewer
requests of every route.

A code sent is checked on a later tick, the first after its mail reached the SMTP server's mailbox (that tick
makes no other request); a mail not there within MAIL_WAIT_SECONDS is counted missing.

Written for the run: every request (start, route, milliseconds, status, replica) to `--requests-log`, and what
the agents saw beyond the statuses (complete searches that found or missed their target, the codes' mail delays,
mails missing, checks refused) to `--findings`.
"""

from __future__ import annotations

import csv
import itertools
import json
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import gevent
from locust import FastHttpUser, constant_throughput, events, task
from locust.env import Environment

from bench.load.mailroom import Mailroom
from bench.load.workload import Step, Workload, call

MAIL_WAIT_SECONDS = 120.0


@dataclass
class _Run:
    """What the agents of this process share."""

    workload: Workload
    mailroom: Mailroom
    log: TextIO
    rows: Any  # a csv writer
    findings_path: Path
    found: Counter[str]
    mail_delays_ms: list[float]
    numbers: Any  # itertools.count(): each new user takes the next agent


RUN: _Run | None = None


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--workload", help="the workload's JSON (bench/load/workload.py)")
    parser.add_argument("--requests-log", help="CSV of every request, written here")
    parser.add_argument("--findings", help="JSON of what the agents found, written here at the end")


@events.init.add_listener
def _start(environment: Environment, **_: Any) -> None:
    global RUN
    options = environment.parsed_options
    if options is None or not options.workload:
        return
    workload = Workload.read(Path(options.workload))
    log = Path(options.requests_log).open("w", newline="")  # noqa: SIM115  # closed at quitting
    rows = csv.writer(log)
    rows.writerow(["start", "route", "ms", "status", "replica"])
    RUN = _Run(workload, Mailroom(Path(workload.maildir), workload.marker), log, rows, Path(options.findings),
               Counter(), [], itertools.count())
    Agent.wait_time = constant_throughput(workload.pace)


@events.request.add_listener
def _logged(name: str, start_time: float, response_time: float, response: Any, context: dict[str, Any],
            **_: Any) -> None:
    if RUN is not None and not RUN.log.closed:  # an answer may come after the end, when the log is closed
        status = getattr(response, "status_code", 0) or 0
        RUN.rows.writerow([f"{start_time:.3f}", name, f"{response_time:.2f}", status, context.get("replica", "")])


@events.quitting.add_listener
def _finish(**_: Any) -> None:
    if RUN is not None:
        RUN.log.close()
        RUN.findings_path.write_text(json.dumps({"found": RUN.found, "mail_delays_ms": RUN.mail_delays_ms}))


@dataclass
class _SentCode:
    path: str  # the code's check
    address: str
    sent_at: float


class Agent(FastHttpUser):
    host = "http://127.0.0.1"  # each agent's own gateway is set when it starts
    network_timeout = 30.0
    connection_timeout = 10.0

    def __init__(self, environment: Environment) -> None:
        assert RUN is not None, "run with --workload"
        number = next(RUN.numbers)
        agent = RUN.workload.agents[number % len(RUN.workload.agents)]
        self.replica = number % len(RUN.workload.gateways)
        self.host = RUN.workload.gateways[self.replica]
        super().__init__(environment)
        self.headers = {"Authorization": f"Bearer {agent['token']}"}
        self.book = RUN.workload.books[agent["partner"]]
        self.rng = random.Random(number)
        self.steps: list[Step] = []
        self.sent: _SentCode | None = None

    def context(self) -> dict[str, Any]:
        return {"replica": self.replica + 1}

    def on_start(self) -> None:
        # Agents start at different moments of their tick, so that the rate is spread over it, not sent in bursts.
        assert RUN is not None
        time.sleep(self.rng.uniform(0, 1 / RUN.workload.pace))

    @task
    def tick(self) -> None:
        assert RUN is not None
        if self.sent is not None and self._checked(self.sent):
            return
        if not self.steps:
            self.steps = call(self.book, self.rng, RUN.workload.verification_calls)
        gevent.spawn(self._ask, self.steps.pop(0))

    def _ask(self, step: Step) -> None:
        assert RUN is not None
        sent_at = time.time()
        response = self.client.request(step.method, step.path, name=step.name, params=step.params or None,
                                       headers=self.headers)
        if step.expect and response.status_code == 200:
            hits = [hit["id"] for hit in response.json()[step.group]]
            RUN.found[f"{step.name}: {'found' if step.expect in hits else 'missed'}"] += 1
        if step.mails and response.status_code == 202:
            code_id = response.json()["code_id"]
            self.sent = _SentCode(f"{step.path}/{code_id}/check", step.mails, sent_at)

    def _checked(self, sent: _SentCode) -> bool:
        """Check the code if its mail has come (True: this tick's request is made)."""
        assert RUN is not None
        mail = RUN.mailroom.code_for(sent.address, sent.sent_at - 1.0)
        if mail is None:
            if time.time() - sent.sent_at > MAIL_WAIT_SECONDS:
                RUN.found["code mail: missing"] += 1
                self.sent = None
            return False
        RUN.mail_delays_ms.append(max(0.0, mail.at - sent.sent_at) * 1000)
        self.sent = None
        gevent.spawn(self._check, sent.path, mail.code)
        return True

    def _check(self, path: str, code: str) -> None:
        assert RUN is not None
        response = self.client.request("POST", path, name="code check", json={"code": code}, headers=self.headers)
        verified = response.status_code == 200 and response.json().get("verified") is True
        RUN.found[f"code check: {'verified' if verified else 'refused'}"] += 1
