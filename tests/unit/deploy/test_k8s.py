"""deploy/k8s/ runs every service with settings it really reads, on the port it really listens on, locked down."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs among the dev dependencies

from gateway.config import GatewaySettings
from helpdesk.distributed import SETTINGS
from runtime.settings import CommonSettings
from services.search.config import SearchSettings

pytestmark = pytest.mark.unit

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
K8S = DEPLOY / "k8s"
EXAMPLES = "*.example.yaml"  # Secrets shown as templates, never applied
SCALED = {"gateway": 2, "search": 2}  # at least two replicas, each with a PodDisruptionBudget
WITHOUT_MONGODB = {"gateway", "search"}  # the gateway keeps no data; search keeps its read model in OpenSearch
IMAGE = "partner-helpdesk"

Manifest = dict[str, Any]


def _documents(path: Path) -> list[Manifest]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document is not None]


@pytest.fixture(scope="module")
def manifests() -> list[Manifest]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [document for name in kustomization["resources"] for document in _documents(K8S / name)]


@pytest.fixture(scope="module")
def example_secrets() -> dict[str, dict[str, str]]:
    return {document["metadata"]["name"]: document["stringData"]
            for path in K8S.glob(EXAMPLES) for document in _documents(path) if document["kind"] == "Secret"}


def _one(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    found = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"{len(found)} {kind} named {name!r}"
    return found[0]


def _container(deployment: Manifest) -> Manifest:
    containers: list[Manifest] = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, deployment["metadata"]["name"]
    return containers[0]


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def _pod_labels(deployment: Manifest) -> dict[str, str]:
    labels: dict[str, str] = deployment["spec"]["template"]["metadata"]["labels"]
    return labels


def _container_port(container: Manifest, port: int | str) -> int:
    """A probe's or Service's port, by number or by name, as the container port it reaches (0 if none)."""
    for declared in container.get("ports", []):
        if port in (declared["containerPort"], declared.get("name")):
            return int(declared["containerPort"])
    return 0


def _environment(container: Manifest, manifests: list[Manifest],
                 secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    """The variables the container gets, resolved from ConfigMaps and (example) Secrets; a dangling reference fails."""
    config_maps = {m["metadata"]["name"]: m.get("data", {}) for m in manifests if m["kind"] == "ConfigMap"}
    environment: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            assert name in config_maps, f"no ConfigMap {name}"
            environment.update(config_maps[name])
        else:
            name = source["secretRef"]["name"]
            assert name in secrets, f"no Secret {name} in {EXAMPLES}"
            environment.update(secrets[name])
    for variable in container.get("env", []):
        if "value" in variable:
            environment[variable["name"]] = str(variable["value"])
            continue
        reference = variable["valueFrom"]
        if "configMapKeyRef" in reference:
            ref, values = reference["configMapKeyRef"], config_maps
        else:
            ref, values = reference["secretKeyRef"], secrets
        assert ref["key"] in values.get(ref["name"], {}), f"{variable['name']}: no key {ref['key']} in {ref['name']}"
        environment[variable["name"]] = str(values[ref["name"]][ref["key"]])
    return environment


@pytest.fixture(scope="module")
def environments(manifests: list[Manifest], example_secrets: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {name: _environment(_container(_one(manifests, "Deployment", name)), manifests, example_secrets)
            for name in SETTINGS}


@pytest.fixture
def settings_of(environments: dict[str, dict[str, str]]) -> dict[str, CommonSettings]:
    """Each service's settings as its settings class reads them from the container's environment."""
    loaded: dict[str, CommonSettings] = {}
    with pytest.MonkeyPatch.context() as patch:
        for name, settings in SETTINGS.items():
            prefix = settings.model_config.get("env_prefix", "")
            for variable in [v for v in os.environ if v.upper().startswith(prefix)]:
                patch.delenv(variable)
            for variable, value in environments[name].items():
                patch.setenv(variable, value)
            loaded[name] = settings()
    return loaded


def test_every_manifest_parses_and_is_listed_in_the_kustomization() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"} - {p.name for p in K8S.glob(EXAMPLES)}
    assert sorted(kustomization["resources"]) == sorted(on_disk)
    for path in K8S.glob("*.yaml"):
        for document in _documents(path):
            assert document["apiVersion"], path.name
            assert document["kind"], path.name
            if document["kind"] != "Kustomization":
                assert document["metadata"]["name"], path.name


def test_every_service_has_a_deployment_running_it_and_a_service(manifests: list[Manifest]) -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert IMAGE in [image["name"] for image in kustomization["images"]]
    assert yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["search"]["image"].split(":")[0] == IMAGE
    for name in SETTINGS:
        container = _container(_one(manifests, "Deployment", name))
        assert container["image"].split(":")[0] == IMAGE, name
        assert container["command"] == ["helpdesk", "serve", name]
        _one(manifests, "Service", name)


def test_every_variable_is_a_setting_of_that_service(environments: dict[str, dict[str, str]]) -> None:
    for name, settings in SETTINGS.items():
        prefix = settings.model_config.get("env_prefix", "")
        assert environments[name], name
        for variable in environments[name]:
            assert variable.startswith(prefix), f"{name}: {variable}"
            assert variable.removeprefix(prefix).lower() in settings.model_fields, f"{name}: {variable}"


def test_services_share_one_kafka_and_topic_prefix_and_those_with_documents_mongodb(
        settings_of: dict[str, CommonSettings], environments: dict[str, dict[str, str]],
        example_secrets: dict[str, dict[str, str]]) -> None:
    defaults = CommonSettings.model_fields
    for name, settings in settings_of.items():
        assert settings.host == "0.0.0.0", name
        assert settings.kafka_bootstrap != defaults["kafka_bootstrap"].default, name
        assert settings.kafka_bootstrap == settings_of["gateway"].kafka_bootstrap, name
        assert settings.topic_prefix == settings_of["gateway"].topic_prefix, name
        if name in WITHOUT_MONGODB:
            assert not [v for v in environments[name] if v.endswith("_MONGO_URL")], name
        else:
            assert settings.mongo_url == example_secrets["helpdesk-mongo"]["url"], name


def test_search_replicas_share_a_read_model_on_opensearch(
        manifests: list[Manifest], settings_of: dict[str, CommonSettings]) -> None:
    search = settings_of["search"]
    assert isinstance(search, SearchSettings)
    assert search.store == "opensearch"
    infra = _one(manifests, "ConfigMap", "helpdesk-infra")["data"]
    assert search.opensearch_url == infra["opensearch-url"]
    url = urlsplit(search.opensearch_url)
    assert url.hostname != urlsplit(SearchSettings.model_fields["opensearch_url"].default).hostname, url
    assert url.password is None, "a URL with credentials belongs in a Secret, not a ConfigMap"
    assert search.opensearch_shards > 1  # spread over the nodes
    assert search.opensearch_replicas >= 1  # every partner still searchable with one node down


def test_probes_and_services_target_the_port_each_service_listens_on(
        manifests: list[Manifest], settings_of: dict[str, CommonSettings]) -> None:
    for name, settings in settings_of.items():
        container = _container(_one(manifests, "Deployment", name))
        readiness, liveness = container["readinessProbe"]["httpGet"], container["livenessProbe"]["httpGet"]
        assert (readiness["path"], liveness["path"]) == ("/readyz", "/healthz"), name
        assert _container_port(container, readiness["port"]) == settings.port, name
        assert _container_port(container, liveness["port"]) == settings.port, name
        for port in _one(manifests, "Service", name)["spec"]["ports"]:
            assert _container_port(container, port["targetPort"]) == settings.port, name


def test_selectors_match_their_own_pods_and_no_others(manifests: list[Manifest]) -> None:
    deployments = [m for m in manifests if m["kind"] == "Deployment"]
    for deployment in deployments:
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert _matches(selector, _pod_labels(deployment)), deployment["metadata"]["name"]
        assert [d for d in deployments if _matches(selector, _pod_labels(d))] == [deployment]
    for service in [m for m in manifests if m["kind"] == "Service"]:
        selected = [d["metadata"]["name"] for d in deployments if _matches(service["spec"]["selector"], _pod_labels(d))]
        assert selected == [service["metadata"]["name"]]


def test_the_gateway_reaches_each_service_at_its_service_and_port(
        manifests: list[Manifest], settings_of: dict[str, CommonSettings]) -> None:
    gateway = settings_of["gateway"]
    assert isinstance(gateway, GatewaySettings)
    for name in ("identity", "search", "email", "access"):
        url = urlsplit(getattr(gateway, f"{name}_url"))
        assert url.hostname == name, url
        ports = {p["port"]: p["targetPort"] for p in _one(manifests, "Service", name)["spec"]["ports"]}
        assert url.port in ports, url
        container = _container(_one(manifests, "Deployment", name))
        assert _container_port(container, ports[url.port]) == settings_of[name].port, url


def test_replicas_disruption_budgets_and_autoscaling(manifests: list[Manifest]) -> None:
    for name in SETTINGS:
        replicas = _one(manifests, "Deployment", name)["spec"]["replicas"]
        assert replicas == SCALED.get(name, replicas), name
        assert 1 <= replicas <= 2, name
    budgets = [m for m in manifests if m["kind"] == "PodDisruptionBudget"]
    for name, replicas in SCALED.items():
        pods = _pod_labels(_one(manifests, "Deployment", name))
        covering = [b for b in budgets if _matches(b["spec"]["selector"]["matchLabels"], pods)]
        assert len(covering) == 1, name
        assert 1 <= covering[0]["spec"]["minAvailable"] < replicas, name  # else no node could ever be drained
    autoscaler = _one(manifests, "HorizontalPodAutoscaler", "gateway")["spec"]
    assert autoscaler["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway"}
    assert SCALED["gateway"] <= autoscaler["minReplicas"] < autoscaler["maxReplicas"]


def test_search_replicas_are_stateless_so_probes_start_early_and_memory_stays_small(
        manifests: list[Manifest]) -> None:
    """Nothing is replayed at start: a replica is ready once OpenSearch and Kafka answer, and holds no index."""
    deployment = _one(manifests, "Deployment", "search")
    container = _container(deployment)
    assert container["readinessProbe"]["initialDelaySeconds"] <= 10
    assert container["livenessProbe"]["initialDelaySeconds"] <= 30
    assert _quantity(container["resources"]["limits"]["memory"]) <= _quantity("1Gi")
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


_UNITS = {"": 1, "m": 0.001, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9}


def _quantity(value: str | int) -> float:
    match = re.fullmatch(r"([0-9.]+)(m|Ki|Mi|Gi|k|M|G)?", str(value))
    assert match, value
    return float(match[1]) * _UNITS[match[2] or ""]


def test_containers_run_as_the_image_user_locked_down_and_bounded(manifests: list[Manifest]) -> None:
    users = re.findall(r"^USER\s+(\d+)\s*$", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE)
    assert users, "deploy/Dockerfile should name its user by number, as runAsNonRoot can only check a number"
    for name in SETTINGS:
        pod = _one(manifests, "Deployment", name)["spec"]["template"]["spec"]
        assert pod["enableServiceLinks"] is False, name  # a Service "search" would set SEARCH_PORT=tcp://...
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == int(users[-1]), name
        container = _container(_one(manifests, "Deployment", name))
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name
        resources = container["resources"]
        for resource in ("cpu", "memory"):
            assert 0 < _quantity(resources["requests"][resource]) <= _quantity(resources["limits"][resource]), name


def test_the_ingress_sends_everything_to_the_gateway_service(manifests: list[Manifest]) -> None:
    service_ports = _one(manifests, "Service", "gateway")["spec"]["ports"]
    rules = _one(manifests, "Ingress", "gateway")["spec"]["rules"]
    assert rules
    for rule in rules:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] == "gateway"
            assert [p for p in service_ports if backend["port"] in ({"name": p.get("name")}, {"number": p["port"]})]
