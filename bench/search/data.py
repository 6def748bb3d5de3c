"""The benchmark's events: the generator's records turned into identity's events the way identity does it,
written once to bench/.data/ as one JSON event per line (about 700 bytes each) and reused by every run."""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from contracts import Event
from contracts.identity import DeviceUpserted, OrderPlaced, OrgUpserted, UserUpserted
from services.identity import domain
from services.identity.generator import Scale, records
from services.identity.records import DeletionRecord, parse_record

DATA = Path(__file__).resolve().parent.parent / ".data"
Work = tuple[bytes, str, str]  # the record's JSON, the country of its customer, the partner managing it


def events_path(users: int, seed: int) -> Path:
    return DATA / f"search-events-{users}-{seed}.ndjson"


def events_file(users: int, seed: int = 7) -> Path:
    """The events of the dataset of `users` users, generated on first use (a few minutes for a million)."""
    path = events_path(users, seed)
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    began, written = time.monotonic(), 0
    total = Scale(users).records
    with partial.open("wb") as out, multiprocessing.Pool(2) as pool:
        for lines in pool.imap(_events_of, _chunks(records(users, seed)), chunksize=1):
            out.writelines(lines)
            written += len(lines)
            if written % 100_000 < len(lines):
                rate = written / (time.monotonic() - began)
                print(f"  events: {written:,}/~{total:,} ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    partial.rename(path)
    return path


def _chunks(source: Iterator[dict[str, Any]], size: int = 2000) -> Iterator[list[Work]]:
    orgs: dict[str, tuple[str, str]] = {}
    chunk: list[Work] = []
    for record in source:
        if record["type"] == "partner":
            continue
        if record["type"] == "org":
            orgs[record["id"]] = (record.get("country", "US"), record["partner_id"])
            country, partner = orgs[record["id"]]
        else:
            country, partner = orgs[record["org_id"]]
        chunk.append((json.dumps(record, ensure_ascii=False).encode(), country, partner))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _events_of(chunk: list[Work]) -> list[bytes]:
    lines = []
    for line, country, partner in chunk:
        record = parse_record(line)
        assert not isinstance(record, DeletionRecord)
        entity = domain.entity_from(record, 1, country)
        lines.append(_event(entity, partner).to_json() + b"\n")
    return lines


def _event(entity: Any, partner: str) -> Event:
    match record_type := type(entity).__name__:
        case "Org":
            return OrgUpserted(org=entity, partner_id=partner)
        case "User":
            return UserUpserted(user=entity, partner_id=partner)
        case "Device":
            return DeviceUpserted(device=entity, partner_id=partner)
        case "Order":
            return OrderPlaced(order=entity, partner_id=partner)
    raise TypeError(record_type)
