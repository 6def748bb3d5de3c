"""What the simulated agents work with, and the calls they take.

The book is drawn from the records imported for the run: for each partner, some of its customers' users and
devices to look up, the run's own callers (users whose mail belongs to this run alone, for verification codes)
and the run's agents. It goes to the Locust process as one JSON file.

A call is the requests an agent makes for one caller, one per tick of the agent's pace:
- a search as the agent enters what the caller gives (a name, an e-mail, a phone number, a device's MAC or
  serial): typed, it is searched at each pause, every 1 to 3 characters (the console searches 250 ms after the
  last keystroke) from the second character on; an e-mail or a device id is pasted whole half of the time;
- the user's view (a device without an owner: its customer's view instead);
- then, some of the time, the customer's view and the user's e-mail status (the suppression read);
- a share of the calls are verification calls: the caller's e-mail, their view, and a code sent. The agent checks
  the code once its mail is in the SMTP server's mailbox (bench/load/agents.py).
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

KINDS = {"name": 0.40, "e-mail": 0.25, "phone": 0.20, "device": 0.15}
SAMPLED_PER_PARTNER = 2000
FIRST_SEARCHED_AT = 2  # characters typed before the first search
PASTED = 0.5  # of e-mails and device ids
CUSTOMER_VIEW = 0.5
EMAIL_STATUS = 0.4
VERIFICATION_CALLS = 0.10


@dataclass(frozen=True)
class Step:
    """One request of a call. `expect`: the id the search, once complete, must find in `group`."""

    name: str
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    expect: str = ""
    group: str = ""
    mails: str = ""  # a code send: the address its mail goes to


@dataclass
class Book:
    """One partner's: users `{id, org_id, name, email, phones}`, devices `{id, org_id, ids, owner}`, callers
    `{id, org_id, email}`."""

    users: list[dict[str, Any]] = field(default_factory=list)
    devices: list[dict[str, Any]] = field(default_factory=list)
    callers: list[dict[str, Any]] = field(default_factory=list)


def books(records: list[dict[str, Any]], run_callers: list[dict[str, Any]], sampled: int = SAMPLED_PER_PARTNER,
          seed: int = 11) -> dict[str, Book]:
    """Each partner's book: up to `sampled` users and devices of its customers from the generated records, and
    the run's callers among them."""
    partner_of = {r["id"]: r["partner_id"] for r in records if r["type"] == "org" and r["partner_id"] != r["id"]}
    found: dict[str, Book] = {}
    for caller in run_callers:
        found.setdefault(partner_of[caller["org_id"]], Book()).callers.append(
            {"id": caller["id"], "org_id": caller["org_id"], "email": caller["email"]})
    for record in records:
        partner = partner_of.get(record.get("org_id", ""))
        if partner is None:
            continue
        book = found.setdefault(partner, Book())
        if record["type"] == "user" and not record.get("roles"):
            book.users.append({"id": record["id"], "org_id": record["org_id"],
                               "name": f"{record['first_name']} {record['last_name']}", "email": record["email"],
                               "phones": record.get("phone_numbers", [])})
        elif record["type"] == "device":
            book.devices.append({"id": record["id"], "org_id": record["org_id"], "owner": record.get("owner_user_id"),
                                 "ids": [record["mac"], record["serial"]]})
    rng = random.Random(seed)
    for book in found.values():
        book.users = rng.sample(book.users, min(sampled, len(book.users)))
        book.devices = rng.sample(book.devices, min(sampled, len(book.devices)))
    return found


def agents(partners: list[str], count: int, run_id: str) -> list[dict[str, Any]]:
    """`count` Help Desk agents, dealt to the partners in turn: import records of each partner's own staff."""
    dealt = [(n, partners[n % len(partners)]) for n in range(count)]
    return [{"type": "user", "id": f"{partner}-load-agent-{n}", "org_id": partner,
             "email": f"agent{n}.{run_id}@{partner}.example", "first_name": "Load", "last_name": f"Agent {n}",
             "roles": ["helpdesk"]} for n, partner in dealt]


def callers(records: list[dict[str, Any]], count: int, run_id: str) -> list[dict[str, Any]]:
    """`count` users of the generated customers, dealt to them in turn, whose mail names the run: a code mailed to
    one of them is this run's, and nobody else's."""
    orgs = [r for r in records if r["type"] == "org" and r["partner_id"] != r["id"] and r.get("domains")]
    return [{"type": "user", "id": f"caller-{run_id}-{n}", "org_id": orgs[n % len(orgs)]["id"],
             "email": f"caller{n}.{run_id}@{orgs[n % len(orgs)]['domains'][0]['name']}", "first_name": "Caller",
             "last_name": f"Number {n}"} for n in range(count)]


@dataclass
class Workload:
    """Everything the Locust process needs: where the gateways are, the agents' tokens (each with its partner),
    the books, the pace of each agent (requests/s), the share of calls that send a code, and where the run's code
    mails arrive."""

    gateways: list[str]
    agents: list[dict[str, str]]
    books: dict[str, Book]
    pace: float
    verification_calls: float
    maildir: str
    marker: str

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def read(cls, path: Path) -> Workload:
        data = json.loads(path.read_text())
        data["books"] = {partner: Book(**book) for partner, book in data["books"].items()}
        return cls(**data)


def typed(text: str, rng: random.Random) -> list[str]:
    """What is searched while `text` is typed: at each pause, every 1 to 3 characters, the whole text last."""
    searched, at = [], FIRST_SEARCHED_AT
    while at < len(text):
        if not text[:at].endswith(" "):  # the console trims: "jane " asks what "jane" asked
            searched.append(text[:at])
        at += rng.randint(1, 3)
    return [*searched, text]


def call(book: Book, rng: random.Random, verification_calls: float = VERIFICATION_CALLS) -> list[Step]:
    """The requests of one caller's call; `verification_calls`: the share of calls that send a code."""
    if book.callers and rng.random() < verification_calls:
        caller = rng.choice(book.callers)
        return [*_search("e-mail", [caller["email"]], caller["id"], "users"), _user_view(caller["id"]),
                Step("code send", "POST", f"/api/v1/users/{caller['id']}/verification-codes", mails=caller["email"])]
    kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
    if kind == "device" and book.devices:
        device = rng.choice(book.devices)
        text = rng.choice(device["ids"])
        return [*_search(kind, _entered(text, rng), device["id"], "devices"),
                *_follow_up(device["owner"], device["org_id"], rng)]
    users = [u for u in book.users if u["phones"]] if kind == "phone" else book.users
    user = rng.choice(users or book.users)
    text = {"name": user["name"], "e-mail": user["email"]}.get(kind) or rng.choice(user["phones"])
    entered = typed(text, rng) if kind in ("name", "phone") else _entered(text, rng)
    return [*_search(kind, entered, user["id"], "users"), *_follow_up(user["id"], user["org_id"], rng)]


def _entered(text: str, rng: random.Random) -> list[str]:
    return [text] if rng.random() < PASTED else typed(text, rng)


def _search(kind: str, entered: list[str], expect: str, group: str) -> list[Step]:
    """One request per text searched; only the complete text expects its hit."""
    *prefixes, whole = entered
    name = f"search {kind}"
    return [*(Step(name, "GET", "/api/v1/search", {"q": prefix}) for prefix in prefixes),
            Step(name, "GET", "/api/v1/search", {"q": whole}, expect, group)]


def _user_view(user_id: str) -> Step:
    return Step("user view", "GET", f"/api/v1/users/{user_id}")


def _follow_up(user_id: str | None, org_id: str, rng: random.Random) -> list[Step]:
    follow = [_user_view(user_id)] if user_id else [Step("customer view", "GET", f"/api/v1/customers/{org_id}")]
    if user_id and rng.random() < CUSTOMER_VIEW:
        follow.append(Step("customer view", "GET", f"/api/v1/customers/{org_id}"))
    if user_id and rng.random() < EMAIL_STATUS:
        follow.append(Step("e-mail status", "GET", f"/api/v1/users/{user_id}/email"))
    return follow
