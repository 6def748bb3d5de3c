"""Reading import lines, on another core when the import is big: parsing and validating is half the work."""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import TypeGuard

from runtime.documents import Doc
from services.identity import domain, records
from services.identity.store import document_of

MAX_LINE_BYTES = 1 << 20
BATCH_LINES = 2000
IN_FLIGHT = 3


@dataclass
class Parsed:
    """One line, read: the entity it describes with the document that stores it, or the record when the entity
    needs more context to build (a deletion, a user or a device with lines whose customer's country is not known
    yet), or why it was rejected.

    Not frozen only so that the line a worker did not send back is put back in place, not copied with the rest."""

    number: int
    line: bytes
    entity: domain.Entity | None = None
    record: records.Record | None = None
    error: str | None = None
    country: str | None = None  # the country a user's or device's national phone numbers were read in
    document: Doc | None = None  # the entity as stored at its first version


def _read(number: int, line: bytes, entity: domain.Entity, country: str | None = None) -> Parsed:
    return Parsed(number, line, entity=entity, country=country, document=document_of(entity))


# The countries of the customers this process has read, to read the national phone numbers of their users and
# devices. It is a guess that the importer checks: it rebuilds the user or device when the customer's country turns
# out to be another.
_countries: dict[str, str] = {}


def _read_in_country(record: records.Upsert) -> TypeGuard[records.UserRecord | records.DeviceRecord]:
    """Whether a record's phone numbers are read in its customer's country: a user's always, and a device's when
    it has lines (most have none, and are built without waiting for their customer's country)."""
    return isinstance(record, records.UserRecord) or (isinstance(record, records.DeviceRecord)
                                                      and bool(record.phone_numbers))


def parse_line(number: int, line: bytes) -> Parsed:
    if len(line) > MAX_LINE_BYTES:
        return Parsed(number, line, error="line is longer than 1 MiB")
    try:
        record = records.parse_record(line)
        if isinstance(record, records.DeletionRecord):
            return Parsed(number, line, record=record)
        if isinstance(record, records.OrgRecord):
            _countries[record.id] = record.country.upper()
        if not _read_in_country(record):
            return _read(number, line, domain.entity_from(record, 1, None))
        if record.org_id in _countries:
            country = _countries[record.org_id]
            return _read(number, line, domain.entity_from(record, 1, country), country)
        return Parsed(number, line, record=record)
    except records.InvalidRecord as error:
        return Parsed(number, line, error=str(error))


# What travels back from a worker. An entity goes as its document, plain data (record type, document, country): pickling
# and unpickling pydantic models, and dumping each entity again to store it, cost this process more than
# validating the document back into its model. The rest (rejections, records) goes as it is, without the line.
_Sent = tuple[str, Doc, str | None] | Parsed
_TYPES = {entity: record_type for record_type, entity in domain.ENTITIES.items()}


def parse_batch(lines: list[tuple[int, bytes]]) -> list[_Sent]:
    """Runs in a worker process; the lines stay with the caller, so they are not sent back."""
    sent: list[_Sent] = []
    for number, line in lines:
        parsed = parse_line(number, line)
        if parsed.entity is not None and parsed.document is not None:
            sent.append((_TYPES[type(parsed.entity)], parsed.document, parsed.country))
        else:
            parsed.line = b""
            sent.append(parsed)
    return sent


def _received(sent: _Sent, number: int, line: bytes) -> Parsed:
    if isinstance(sent, Parsed):
        sent.line = line
        return sent
    kind, document, country = sent
    return Parsed(number, line, entity=domain.ENTITIES[kind].model_validate(document), country=country,
                  document=document)


def _start_worker(parent: int, thresholds: tuple[int, ...]) -> None:
    """In each worker as it starts. It leaves when the process that started it is gone, however that ended
    (a worker waiting for work would otherwise outlive a killed service). It collects garbage with that
    process's thresholds: a spawned interpreter has the defaults, and parsing allocates many short-lived objects."""
    gc.set_threshold(*thresholds)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class LineParser:
    """Parses the lines of an import in order. A small import is parsed in place; a big one batch by batch in
    worker processes (started on first use and kept), while this process applies the batches already read."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Executor | None = None

    def _executor(self) -> Executor | None:
        if self.workers <= 0:
            return None
        if self._pool is None:
            context = multiprocessing.get_context("spawn")  # no fork of a process running an event loop
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start_worker,
                                             initargs=(os.getpid(), gc.get_threshold()))
        return self._pool

    async def parse(self, lines: AsyncIterator[tuple[int, bytes]]) -> AsyncIterator[Parsed]:
        loop = asyncio.get_running_loop()
        in_flight: deque[tuple[list[tuple[int, bytes]], asyncio.Future[list[_Sent]]]] = deque()
        batch: list[tuple[int, bytes]] = []
        async for numbered in lines:
            if numbered[1].strip():
                batch.append(numbered)
            if len(batch) >= BATCH_LINES and (pool := self._executor()) is not None:
                in_flight.append((batch, loop.run_in_executor(pool, parse_batch, batch)))
                batch = []
                while len(in_flight) >= IN_FLIGHT:
                    for parsed in await _with_lines(*in_flight.popleft()):
                        yield parsed
        while in_flight:
            for parsed in await _with_lines(*in_flight.popleft()):
                yield parsed
        for number, line in batch:
            yield parse_line(number, line)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


async def _with_lines(batch: list[tuple[int, bytes]], future: asyncio.Future[list[_Sent]]) -> list[Parsed]:
    return [_received(sent, number, line) for sent, (number, line) in zip(await future, batch, strict=True)]


INLINE = LineParser(workers=0)
