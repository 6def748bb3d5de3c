"""deploy/compose.yaml describes every service with settings the services really read."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs among the dev dependencies
from typer.core import TyperGroup
from typer.main import get_command

from helpdesk.cli import cli
from helpdesk.distributed import SETTINGS
from services.search.config import SearchSettings

pytestmark = pytest.mark.unit

COMPOSE = Path(__file__).resolve().parents[3] / "deploy" / "compose.yaml"
WITHOUT_MONGODB = {"gateway", "search"}  # the gateway keeps no data; search keeps its read model in OpenSearch
REPLICA_SET = "rs0"
OWN_IMAGE = "partner-helpdesk"


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
            url = urlsplit(service["environment"][f"{prefix}MONGO_URL"])
            assert (url.scheme, url.hostname) == ("mongodb", "mongo"), name
            assert parse_qs(url.query)["replicaSet"] == [REPLICA_SET], name  # else writes may reach no primary
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


def test_kafka_is_one_pinned_kraft_broker_keeping_its_log_in_a_volume(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert re.fullmatch(r"apache/kafka:\d+\.\d+\.\d+", kafka["image"]), kafka["image"]
    environment = kafka["environment"]
    assert set(environment["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert not [variable for variable in environment if "ZOOKEEPER" in variable]
    mounts = dict(reversed(volume.split(":")[:2]) for volume in kafka["volumes"])
    assert mounts[environment["KAFKA_LOG_DIRS"]] in compose["volumes"]  # the log outlives the container


def test_mongodb_is_a_replica_set_that_its_health_check_initiates(compose: dict[str, Any]) -> None:
    mongo = compose["services"]["mongo"]
    command = mongo["command"]
    assert command[command.index("--replSet") + 1] == REPLICA_SET
    check = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate(" in check
    assert f"_id: '{REPLICA_SET}'" in check
    assert "isWritablePrimary" in check  # healthy only once writes are accepted


def test_nothing_starts_before_what_it_needs_is_healthy_or_done(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            if dependency == "topics":
                assert condition == {"condition": "service_completed_successfully"}, name
            else:
                assert condition == {"condition": "service_healthy"}, f"{name} on {dependency}"
                assert services[dependency]["healthcheck"]["test"], dependency


def _options(*names: str) -> set[str]:
    """The options of a `helpdesk` subcommand, as its command line parser knows them."""
    command = get_command(cli)
    for name in names:
        assert isinstance(command, TyperGroup), name
        command = command.commands[name]
    return {option for parameter in command.params for option in parameter.opts}


def test_the_topics_are_created_once_before_any_service_starts(compose: dict[str, Any]) -> None:
    topics = compose["services"]["topics"]
    invocation = [*topics["entrypoint"], *topics["command"]]
    assert invocation[:3] == ["helpdesk", "infra", "topics"]
    assert {word for word in invocation if word.startswith("--")} <= _options("infra", "topics")
    assert invocation[invocation.index("--replication-factor") + 1] == "1"  # one broker
    assert invocation[invocation.index("--bootstrap") + 1] == "kafka:9092"
    assert topics["restart"] == "no"  # a one-shot: restarted, it would never complete
    assert topics["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    for name in SETTINGS:
        assert compose["services"][name]["depends_on"]["topics"] == {"condition": "service_completed_successfully"}


def test_images_are_pinned_and_data_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image, _, tag = service["image"].partition(":")
        assert tag, f"{name}: {service['image']}"
        assert tag != "latest" or image == OWN_IMAGE, f"{name}: {service['image']}"
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in compose["volumes"], f"{name}: {volume}"
