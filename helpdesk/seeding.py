"""`helpdesk seed`: the synthetic dataset as NDJSON, written out or streamed into a running product."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.identity.demo import OPERATOR_EMAIL
from services.identity.generator import Scale, records


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    transient=False)


def _lines(scale: int, seed: int, progress: Progress) -> Iterator[str]:
    task = progress.add_task("records", total=Scale(scale).records)
    for record in records(scale, seed):
        yield json.dumps(record, ensure_ascii=False) + "\n"
        progress.advance(task)


def write(target: TextIO, scale: int, seed: int) -> None:
    with _progress() as progress:
        for line in _lines(scale, seed, progress):
            target.write(line)


def import_into(url: str, scale: int, seed: int) -> dict[str, Any]:
    """Stream the records to POST /api/v1/operator/import, signed in as the platform operator."""
    with httpx.Client(base_url=url, timeout=httpx.Timeout(30.0, read=None)) as client:
        login = client.post("/api/v1/auth/demo-login", json={"email": OPERATOR_EMAIL})
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}",
                   "Content-Type": "application/x-ndjson"}
        with _progress() as progress:
            body = (line.encode() for line in _lines(scale, seed, progress))
            response = client.post("/api/v1/operator/import", content=body, headers=headers)
        response.raise_for_status()
        report: dict[str, Any] = response.json()
        return report
