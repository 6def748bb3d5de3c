"""Connecting to MongoDB (or FerretDB) with PyMongo's async client."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure

Client = AsyncMongoClient[dict[str, Any]]
Database = AsyncDatabase[dict[str, Any]]

# The server cannot be reached: no server selected in time, a connection refused or lost, a network timeout. A handler
# failing so waits for the server to come back (runtime.bus.Subscription.unreachable).
UNREACHABLE: tuple[type[Exception], ...] = (ConnectionFailure,)


def connect(url: str, database: str, app_name: str) -> tuple[Client, Database]:
    """A client that fails fast when the server is down, so requests answer 503 instead of hanging."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        url, appname=app_name, serverSelectionTimeoutMS=3000, connectTimeoutMS=3000, tz_aware=True
    )
    return client, client[database]


async def ping(db: Database) -> bool:
    try:
        await db.command("ping")
    except Exception:
        return False
    return True
