"""deploy/compose.yaml describes every service with settings the services really read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from helpdesk.distributed import SETTINGS

pytestmark = pytest.mark.unit

COMPOSE = Path(__file__).resolve().parents[3] / "deploy" / "compose.yaml"


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


def test_every_service_reaches_kafka_and_those_with_a_store_mongodb(compose: dict[str, Any]) -> None:
    for name, settings in SETTINGS.items():
        prefix = settings.model_config.get("env_prefix", "")
        service = compose["services"][name]
        assert service["environment"][f"{prefix}KAFKA_BOOTSTRAP"] == "kafka:9092", name
        assert "kafka" in service["depends_on"], name  # a service's own depends_on replaces the shared one
        if name != "gateway":  # the gateway keeps no data
            assert service["environment"][f"{prefix}MONGO_URL"].startswith("mongodb://mongo:"), name


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
