"""The in-memory documents' indexes hold only what live documents have: a value nobody has any more is gone."""

from __future__ import annotations

import pytest

from runtime.documents import MemoryDocuments

pytestmark = pytest.mark.unit


async def test_an_index_forgets_values_no_document_has_and_unshares_values_one_document_has() -> None:
    docs = MemoryDocuments("users", indexes=("org_id",))
    await docs.save({"_id": "u1", "version": 1, "org_id": "o1"}, expected_version=None)
    await docs.save({"_id": "u2", "version": 1, "org_id": "o1"}, expected_version=None)

    await docs.save({"_id": "u1", "version": 2, "org_id": "o2"}, expected_version=1)
    assert docs._indexes["org_id"] == {"o1": "u2", "o2": "u1"}

    await docs.save({"_id": "u2", "version": 2, "org_id": "o2"}, expected_version=1)
    await docs.save({"_id": "u1", "version": 3, "org_id": "o3"}, expected_version=2)
    await docs.save({"_id": "u2", "version": 3, "org_id": "o3"}, expected_version=2)
    assert docs._indexes["org_id"] == {"o3": {"u1", "u2"}}
    assert [d["_id"] for d in await docs.find({"org_id": "o2"})] == []
    assert sorted(d["_id"] for d in await docs.find({"org_id": "o3"})) == ["u1", "u2"]
