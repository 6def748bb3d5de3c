"""Shared fixtures: the real infrastructure from deploy/local, which CI must have and development may lack."""

from __future__ import annotations

import contextlib
import mailbox
import os
import socket
import uuid
from collections.abc import AsyncIterator
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
KAFKA = os.environ.get("HELPDESK_TEST_KAFKA", "127.0.0.1:9092")
MONGO = os.environ.get("HELPDESK_TEST_MONGO", "mongodb://127.0.0.1:27017/?directConnection=true")
SMTP = os.environ.get("HELPDESK_TEST_SMTP", "127.0.0.1:8025")
OPENSEARCH_URL = os.environ.get("HELPDESK_TEST_OPENSEARCH", "http://127.0.0.1:9200")
# Where deploy/local's SMTP server keeps what it receives.
MAILDIR = Path(os.environ.get("HELPDESK_TEST_MAILDIR") or Path(
    os.environ.get("HELPDESK_INFRA_DIR") or Path(__file__).resolve().parents[1] / ".infra") / "mail")


def _reachable(host_port: str) -> bool:
    host, port = host_port.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1.0):
            return True
    except OSError:
        return False


def require_infra(name: str, host_port: str) -> None:
    """Under CI a missing broker or database fails the run; on a laptop the real-infra tests are skipped."""
    if _reachable(host_port):
        return
    message = f"{name} is not reachable at {host_port}; start it with `helpdesk infra up`"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def kafka_bootstrap() -> str:
    require_infra("Kafka", KAFKA)
    return KAFKA


@pytest.fixture
def mongo_url() -> str:
    require_infra("FerretDB", MONGO.split("//", 1)[1].split("/", 1)[0])
    return MONGO


@pytest.fixture
def opensearch_url() -> str:
    """The local OpenSearch node: plain HTTP, no authentication."""
    address = urlsplit(OPENSEARCH_URL)
    require_infra("OpenSearch", f"{address.hostname}:{address.port or 9200}")
    return OPENSEARCH_URL


@pytest.fixture
def smtp_server() -> tuple[str, int]:
    """The local SMTP server's host and port; what it receives is read back with `received`."""
    require_infra("The SMTP server", SMTP)
    host, port = SMTP.rsplit(":", 1)
    return host, int(port)


def received(recipient: str) -> list[Message]:
    """The mails the local SMTP server received for `recipient` (each test uses an address of its own)."""
    return [message for message in mailbox.Maildir(MAILDIR, create=False)
            if message.get("X-RcptTo", "").lower() == recipient.lower()]


@contextlib.asynccontextmanager
async def scratch_database(mongo_url: str) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    """A database of its own for one test, dropped afterwards."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, serverSelectionTimeoutMS=5000)
    name = f"test_{uuid.uuid4().hex[:12]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture
async def mongo_db(mongo_url: str) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    async with scratch_database(mongo_url) as db:
        yield db


@pytest.fixture
def unique() -> str:
    """A suffix that keeps one test's topics, groups and databases apart from every other run's."""
    return uuid.uuid4().hex[:10]
