"""Contract tests run once per storage adapter: in memory, and MongoDB on the real FerretDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeVar

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from runtime.versioned import VersionedStore
from tests.conftest import scratch_database

ADAPTERS = [pytest.param("memory", marks=pytest.mark.unit), pytest.param("mongo", marks=pytest.mark.integration)]


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database(adapter: str, request: pytest.FixtureRequest) -> AsyncIterator[AsyncDatabase[dict[str, Any]] | None]:
    """None for the in-memory adapter; a scratch database on FerretDB for the MongoDB one."""
    if adapter == "memory":
        yield None
        return
    async with scratch_database(request.getfixturevalue("mongo_url")) as db:
        yield db


Store = TypeVar("Store", bound=VersionedStore[Any])


async def versioned_store(kind: type[Store], database: AsyncDatabase[dict[str, Any]] | None) -> Store:
    """A service's store on the adapter under test: in memory, or on `database` with its indexes."""
    made = kind.memory() if database is None else kind.mongo(database)
    await made.create_indexes()
    return made
