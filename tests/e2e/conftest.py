"""The embedded product as most end-to-end tests use it: seeded with the demo data, default settings."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.product import Product, running


@pytest.fixture
async def product() -> AsyncIterator[Product]:
    async with running() as started:
        yield started
