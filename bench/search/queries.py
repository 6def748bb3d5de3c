"""A realistic query mix drawn from the dataset: a quarter each names (whole, reversed, partial, unaccented, with a
typo), e-mails (in any case), phone numbers (E.164, international, national, bare digits, 00-prefixed) and device
identifiers (MAC in four notations, serial, SIP address, id). Each query knows the entity it should find and the
agent's partner, so every engine's answers are checked, not only timed."""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import phonenumbers

from services.search.domain import fold

KINDS = ("name", "email", "phone", "device")


@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    partner_id: str
    group: str  # where the expected entity must appear: users or devices
    expected: str


def queries_path(events: Path, count: int) -> Path:
    return events.with_name(events.stem + f".queries-{count}.json")


def load_or_make(events: Path, count: int, seed: int = 11) -> list[Query]:
    path = queries_path(events, count)
    if not path.exists():
        made = make(events, count, seed)
        path.write_text(json.dumps([asdict(q) for q in made], ensure_ascii=False, indent=0))
    return [Query(**q) for q in json.loads(path.read_text())]


def make(events: Path, count: int, seed: int) -> list[Query]:
    rng = random.Random(seed)
    users, phoned, devices = _sample(events, count, rng)
    per_kind = count // len(KINDS)
    made: list[Query] = []
    made += [_name(rng, e) for e in rng.sample(users, min(per_kind, len(users)))]
    made += [_email(rng, e) for e in rng.sample(users, min(per_kind, len(users)))]
    made += [_phone(rng, e) for e in rng.sample(phoned, min(per_kind, len(phoned)))]
    made += [_device(rng, e) for e in rng.sample(devices, min(per_kind, len(devices)))]
    rng.shuffle(made)
    return made


def _sample(events: Path, count: int, rng: random.Random) -> tuple[list[Any], list[Any], list[Any]]:
    """Enough users, users with a phone, and devices, read from a random part of the file."""
    users: list[Any] = []
    phoned: list[Any] = []
    devices: list[Any] = []
    rate = min(1.0, 20 * count / (events.stat().st_size / 650))
    with events.open("rb") as lines:
        for line in lines:
            if rng.random() > rate:
                continue
            if line.startswith(b'{"event_type":"UserUpserted"'):
                event = json.loads(line)
                if event["user"]["org_id"] != event["partner_id"]:  # not one of the partners' own staff
                    users.append(event)
                    if event["user"]["phone_numbers"]:
                        phoned.append(event)
            elif line.startswith(b'{"event_type":"DeviceUpserted"'):
                devices.append(json.loads(line))
    return users, phoned, devices


def _typo(rng: random.Random, word: str) -> str:
    letters = fold(word)
    at = rng.randrange(1, len(letters) - 1)
    edit = rng.randrange(4)
    if edit == 0:
        return letters[:at] + letters[at + 1:]
    if edit == 1:
        return letters[:at] + letters[at + 1] + letters[at] + letters[at + 2:]
    replacement = rng.choice([c for c in "aeioulnrst" if c != letters[at]])
    if edit == 2:
        return letters[:at] + replacement + letters[at + 1:]
    return letters[:at] + replacement + letters[at:]


def _name(rng: random.Random, event: Any) -> Query:
    user = event["user"]
    first, last = user["first_name"], user["last_name"]
    form = rng.choices(["full", "reversed", "comma", "partial", "last", "unaccented", "typo"],
                       [30, 15, 5, 15, 10, 10, 15])[0]
    if form == "typo":
        long_words = [w for w in (first, last) if len(fold(w)) >= 5 and fold(w).isalpha()]
        form = "typo" if long_words else "full"
    text = {
        "full": f"{first} {last}",
        "reversed": f"{last} {first}",
        "comma": f"{last}, {first}",
        "partial": f"{first} {last[:3]}",
        "last": last,
        "unaccented": fold(f"{first} {last}").title(),
    }.get(form, "")
    if form == "typo":
        target = rng.choice([w for w in (first, last) if len(fold(w)) >= 5 and fold(w).isalpha()])
        text = f"{first} {last}".replace(target, _typo(rng, target))
    return Query("name", text, event["partner_id"], "users", user["id"])


def _email(rng: random.Random, event: Any) -> Query:
    address = event["user"]["email"]
    text = rng.choices([address, address.lower(), address.upper()], [50, 30, 20])[0]
    return Query("email", text, event["partner_id"], "users", event["user"]["id"])


def _phone(rng: random.Random, event: Any) -> Query:
    number = phonenumbers.parse(rng.choice(event["user"]["phone_numbers"])["e164"], None)
    formats = phonenumbers.PhoneNumberFormat
    form = rng.choices(["e164", "international", "national", "digits", "idd"], [20, 25, 30, 15, 10])[0]
    national = phonenumbers.format_number(number, formats.NATIONAL)
    text = {
        "e164": phonenumbers.format_number(number, formats.E164),
        "international": phonenumbers.format_number(number, formats.INTERNATIONAL),
        "national": national,
        "digits": "".join(ch for ch in national if ch.isdigit()),
        "idd": "00 " + phonenumbers.format_number(number, formats.INTERNATIONAL)[1:],
    }[form]
    return Query("phone", text, event["partner_id"], "users", event["user"]["id"])


def _device(rng: random.Random, event: Any) -> Query:
    device = event["device"]
    mac = device["mac"]
    pairs = [mac[i:i + 2] for i in range(0, 12, 2)]
    form = rng.choices(["colons", "dashes", "dots", "bare", "serial", "sip", "id"], [20, 15, 10, 10, 25, 15, 5])[0]
    if form == "sip" and not device.get("sip_address"):
        form = "serial"
    text = {
        "colons": ":".join(pairs).upper(),
        "dashes": "-".join(pairs),
        "dots": ".".join(mac[i:i + 4] for i in range(0, 12, 4)),
        "bare": mac.upper(),
        "serial": device["serial"],
        "sip": rng.choice(["sip:", ""]) + (device.get("sip_address") or ""),
        "id": device["id"],
    }[form]
    return Query("device", text, event["partner_id"], "devices", device["id"])
