"""Contract tests run once per storage adapter: in memory, and MongoDB on the real FerretDB."""

from __future__ import annotations

import pytest

ADAPTERS = [pytest.param("memory", marks=pytest.mark.unit), pytest.param("mongo", marks=pytest.mark.integration)]


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> str:
    return str(request.param)
