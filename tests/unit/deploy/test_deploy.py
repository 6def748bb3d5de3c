"""deploy/compose.yaml describes every service with settings the services really read."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs among the dev dependencies

from helpdesk.distributed import SETTINGS
from services.search.config import SearchSettings

pytestmark = pytest.mark.unit

COMPOSE = Path(__file__).resolve().parents[3] / "deploy" / "compose.yaml"
WITHOUT_MONGODB = {"gateway", "search"}  # the gateway keeps no data; search keeps its read model in OpenSearch


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_every_service_runs_in_its_own_container(compose: dict[str, Any]) -> None:
    for name in SETTINGS:
        assert compose["services"][name]["command"] == [name]


def test_every_environment_variable_is_a_setting_of_that_service(compose: dict[str, Any]) -> None:
    for name, settings in SETTINGS.items():
        prefix = settings.model_config.get("env_prefix", "")
        for variable in compose["services"][name]["environment"]:
            if variable == "PROBE_PORT":
                continue
            assert variable.startswith(prefix), variable
            assert variable.removeprefix(prefix).lower() in settings.model_fields, variable


def test_every_service_reaches_kafka_and_those_with_documents_mongodb(compose: dict[str, Any]) -> None:
    for name, settings in SETTINGS.items():
        prefix = settings.model_config.get("env_prefix", "")
        service = compose["services"][name]
        assert service["environment"][f"{prefix}KAFKA_BOOTSTRAP"] == "kafka:9092", name
        assert "kafka" in service["depends_on"], name  # a service's own depends_on replaces the shared one
        if name in WITHOUT_MONGODB:
            assert f"{prefix}MONGO_URL" not in service["environment"], name
            assert "mongo" not in service["depends_on"], name
        else:
            assert service["environment"][f"{prefix}MONGO_URL"].startswith("mongodb://mongo:"), name
            assert service["depends_on"]["mongo"] == {"condition": "service_healthy"}, name


def test_search_keeps_its_read_model_in_opensearch_once_that_is_healthy(
        compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    search = compose["services"]["search"]
    for variable in [v for v in os.environ if v.upper().startswith("SEARCH_")]:
        monkeypatch.delenv(variable)
    for variable, value in search["environment"].items():
        monkeypatch.setenv(variable, str(value))
    settings = SearchSettings()
    assert settings.store == "opensearch"
    url = urlsplit(settings.opensearch_url)
    assert (url.scheme, url.hostname, url.port) == ("http", "opensearch", 9200)
    assert search["depends_on"]["opensearch"] == {"condition": "service_healthy"}


def test_opensearch_is_one_pinned_node_that_says_when_it_is_healthy(compose: dict[str, Any]) -> None:
    opensearch = compose["services"]["opensearch"]
    assert re.fullmatch(r"opensearchproject/opensearch:2\.19\.\d+", opensearch["image"]), opensearch["image"]
    environment = opensearch["environment"]
    assert environment["discovery.type"] == "single-node"
    assert environment["DISABLE_SECURITY_PLUGIN"] == "true"  # the URL above is plain HTTP without credentials
    assert "/_cluster/health" in " ".join(opensearch["healthcheck"]["test"])
    volume = opensearch["volumes"][0].split(":")[0]
    assert volume in compose["volumes"], volume  # a named volume: the read model outlives the container


def test_probes_target_the_port_each_service_listens_on(compose: dict[str, Any]) -> None:
    for name, settings in SETTINGS.items():
        service = compose["services"][name]
        assert int(service["environment"]["PROBE_PORT"]) == settings.model_fields["port"].default
        assert "/readyz" in " ".join(service["healthcheck"]["test"])


def test_application_containers_are_locked_down(compose: dict[str, Any]) -> None:
    for name in SETTINGS:
        service = compose["services"][name]
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert service["deploy"]["resources"]["limits"]["memory"]
