"""deploy/k8s's overlays run every service with settings it really reads, on the port it really listens on, locked
down, scraped by Prometheus, and reachable from outside only through the gateway."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs among the dev dependencies

from gateway.config import GatewaySettings
from helpdesk.distributed import SETTINGS
from runtime.settings import CommonSettings
from services.search.config import SearchSettings
from tests.unit.deploy.kustomize import DEPLOY, K8S, OVERLAYS, Manifest, render

pytestmark = pytest.mark.unit

EXAMPLE_SECRETS = K8S / "secrets.example.yaml"  # a template for the Secrets, never applied
WITHOUT_MONGODB = {"gateway", "search"}  # the gateway keeps no data; search keeps its read model in OpenSearch
AUTOSCALED = {"gateway", "search"}  # in production, by a HorizontalPodAutoscaler each
SERVICES_BEHIND_THE_GATEWAY = {"identity", "search", "email", "access"}
IMAGE = "partner-helpdesk"
NAMESPACE_NAME = "kubernetes.io/metadata.name"  # the label Kubernetes gives every namespace: its name
INGRESS_CONTROLLER = {NAMESPACE_NAME: "ingress-nginx"}
MONITORING = {NAMESPACE_NAME: "monitoring"}


def _documents(path: Path) -> list[Manifest]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document is not None]


@cache
def rendered(overlay: str) -> list[Manifest]:
    return render(K8S / "overlays" / overlay)


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def manifests(overlay: str) -> list[Manifest]:
    return rendered(overlay)


@pytest.fixture(scope="module")
def example_secrets() -> dict[str, dict[str, str]]:
    return {document["metadata"]["name"]: document["stringData"]
            for document in _documents(EXAMPLE_SECRETS) if document["kind"] == "Secret"}


def _one(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    found = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"{len(found)} {kind} named {name!r}"
    return found[0]


def _all(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind]


def _container(deployment: Manifest) -> Manifest:
    containers: list[Manifest] = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, deployment["metadata"]["name"]
    return containers[0]


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A Kubernetes label selector's verdict on these labels (the empty selector selects everything)."""
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if not {"In": key in labels and labels[key] in values, "NotIn": labels.get(key) not in values,
                "Exists": key in labels, "DoesNotExist": key not in labels}[operator]:
            return False
    return True


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and _selects({"matchLabels": selector}, labels)


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
    config_maps = {m["metadata"]["name"]: m.get("data", {}) for m in _all(manifests, "ConfigMap")}
    environment: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            assert name in config_maps, f"no ConfigMap {name}"
            environment.update(config_maps[name])
        else:
            name = source["secretRef"]["name"]
            assert name in secrets, f"no Secret {name} in {EXAMPLE_SECRETS.name}"
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


@pytest.fixture
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


def _kustomization_directories() -> list[Path]:
    return sorted(path.parent for path in K8S.rglob("kustomization.yaml"))


def test_every_manifest_is_used_by_its_kustomization_and_every_overlay_builds_on_the_base() -> None:
    assert set(OVERLAYS) == {"dev", "production"}
    for directory in _kustomization_directories():
        kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
        used = [entry for entry in kustomization.get("resources", []) if entry.endswith(".yaml")]
        used += [patch["path"] for patch in kustomization.get("patches", [])]
        on_disk = {path.name for path in directory.glob("*.yaml")} - {"kustomization.yaml"}
        assert sorted(used) == sorted(on_disk), directory
        if directory.parent.name == "overlays":
            assert "../../base" in kustomization["resources"], directory
    assert not (K8S / "kustomization.yaml").exists(), "one applies an overlay, which builds on base/"


def test_every_object_lands_in_the_overlays_own_restricted_namespace(manifests: list[Manifest]) -> None:
    (namespace,) = _all(manifests, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for manifest in manifests:
        if manifest["kind"] != "Namespace":
            assert manifest["metadata"]["namespace"] == namespace["metadata"]["name"], manifest["metadata"]["name"]


def test_the_overlays_do_not_share_a_namespace() -> None:
    names = [_all(rendered(overlay), "Namespace")[0]["metadata"]["name"] for overlay in OVERLAYS]
    assert len(set(names)) == len(OVERLAYS), names


def test_every_service_has_a_deployment_running_it_and_a_service(manifests: list[Manifest]) -> None:
    kustomization = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    assert IMAGE in [image["name"] for image in kustomization["images"]]
    assert yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["search"]["image"].split(":")[0] == IMAGE
    assert {d["metadata"]["name"] for d in _all(manifests, "Deployment")} == set(SETTINGS)
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


def test_production_spreads_the_index_over_the_opensearch_nodes_and_survives_losing_one() -> None:
    data = _one(rendered("production"), "ConfigMap", "helpdesk-search")["data"]
    assert int(data["SEARCH_OPENSEARCH_SHARDS"]) > 1
    assert int(data["SEARCH_OPENSEARCH_REPLICAS"]) >= 1  # every partner still searchable with one node down


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


def test_prometheus_scrapes_every_pod_at_metrics_on_the_port_it_listens_on(
        manifests: list[Manifest], settings_of: dict[str, CommonSettings]) -> None:
    for name, settings in settings_of.items():
        annotations = _one(manifests, "Deployment", name)["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert annotations["prometheus.io/path"] == "/metrics", name
        assert int(annotations["prometheus.io/port"]) == settings.port, name


def test_selectors_match_their_own_pods_and_no_others(manifests: list[Manifest]) -> None:
    deployments = _all(manifests, "Deployment")
    for deployment in deployments:
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert _matches(selector, _pod_labels(deployment)), deployment["metadata"]["name"]
        assert [d for d in deployments if _matches(selector, _pod_labels(d))] == [deployment]
    for service in _all(manifests, "Service"):
        selected = [d["metadata"]["name"] for d in deployments if _matches(service["spec"]["selector"], _pod_labels(d))]
        assert selected == [service["metadata"]["name"]]


def test_the_gateway_reaches_each_service_at_its_service_and_port(
        manifests: list[Manifest], settings_of: dict[str, CommonSettings]) -> None:
    gateway = settings_of["gateway"]
    assert isinstance(gateway, GatewaySettings)
    for name in SERVICES_BEHIND_THE_GATEWAY:
        url = urlsplit(getattr(gateway, f"{name}_url"))
        assert url.hostname == name, url
        ports = {p["port"]: p["targetPort"] for p in _one(manifests, "Service", name)["spec"]["ports"]}
        assert url.port in ports, url
        container = _container(_one(manifests, "Deployment", name))
        assert _container_port(container, ports[url.port]) == settings_of[name].port, url


def test_production_keeps_two_pods_of_every_service_through_a_node_drain() -> None:
    manifests = rendered("production")
    autoscalers = {a["spec"]["scaleTargetRef"]["name"]: a["spec"] for a in _all(manifests, "HorizontalPodAutoscaler")}
    assert set(autoscalers) == AUTOSCALED
    budgets = _all(manifests, "PodDisruptionBudget")
    for name in SETTINGS:
        deployment = _one(manifests, "Deployment", name)
        if name in AUTOSCALED:
            autoscaler = autoscalers[name]
            assert autoscaler["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
            assert 2 <= autoscaler["minReplicas"] < autoscaler["maxReplicas"], name
            assert [m["resource"]["name"] for m in autoscaler["metrics"]] == ["cpu"], name
            assert "replicas" not in deployment["spec"], f"{name}: an apply would reset its autoscaler"
            fewest = autoscaler["minReplicas"]
        else:
            fewest = deployment["spec"]["replicas"]
            assert fewest >= 2, name
        pods = _pod_labels(deployment)
        covering = [b["spec"] for b in budgets if _matches(b["spec"]["selector"]["matchLabels"], pods)]
        assert len(covering) == 1, name
        # A drain must be able to evict a pod (else no node could ever be emptied) and never the last one.
        budget = covering[0]
        assert budget.get("maxUnavailable", fewest - budget.get("minAvailable", fewest)) == 1, name


def test_every_deployment_spreads_its_replicas_over_the_nodes(manifests: list[Manifest]) -> None:
    """Two replicas on one node go down together with it; the scheduler's own default spread allows that."""
    deployments = _all(manifests, "Deployment")
    assert {d["metadata"]["name"] for d in deployments} == set(SETTINGS)
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        constraints = deployment["spec"]["template"]["spec"].get("topologySpreadConstraints", [])
        by_node = [c for c in constraints if c["topologyKey"] == "kubernetes.io/hostname"]
        assert len(by_node) == 1, name
        spread = by_node[0]
        assert spread["maxSkew"] == 1, name
        # A preference: a full or cordoned node must not leave a replica pending, nor stall a rollout.
        assert spread["whenUnsatisfiable"] == "ScheduleAnyway", name
        spread_over = [d["metadata"]["name"] for d in deployments if _selects(spread["labelSelector"], _pod_labels(d))]
        assert spread_over == [name]
        assert spread.get("matchLabelKeys") == ["pod-template-hash"], name  # a rollout spreads its own new pods


def test_dev_runs_one_pod_of_each_service_with_the_demo_logins() -> None:
    manifests = rendered("dev")
    assert not _all(manifests, "HorizontalPodAutoscaler")
    assert not _all(manifests, "PodDisruptionBudget")
    assert not _all(manifests, "Ingress")  # reached with kubectl port-forward
    for name in SETTINGS:
        assert _one(manifests, "Deployment", name)["spec"]["replicas"] == 1, name
    # One replica: demo tokens need no signing key shared between replicas.
    assert _one(manifests, "ConfigMap", "helpdesk-gateway")["data"]["GATEWAY_AUTH_MODE"] == "demo"


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
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == int(users[-1]), name
        container = _container(_one(manifests, "Deployment", name))
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name
        resources = container["resources"]
        for resource in ("cpu", "memory"):
            assert 0 < _quantity(resources["requests"][resource]) <= _quantity(resources["limits"][resource]), name


def test_the_ingress_sends_everything_to_the_gateway_service_over_tls_for_a_host_it_answers() -> None:
    manifests = rendered("production")
    service_ports = _one(manifests, "Service", "gateway")["spec"]["ports"]
    ingress = _one(manifests, "Ingress", "gateway")["spec"]
    allowed_hosts = yaml.safe_load(_one(manifests, "ConfigMap", "helpdesk-gateway")["data"]["GATEWAY_ALLOWED_HOSTS"])
    assert ingress["rules"]
    for rule in ingress["rules"]:
        assert rule["host"] in allowed_hosts, rule["host"]  # else the gateway refuses every request with 400
        assert [tls for tls in ingress["tls"] if rule["host"] in tls["hosts"]], rule["host"]
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] == "gateway"
            assert [p for p in service_ports if backend["port"] in ({"name": p.get("name")}, {"number": p["port"]})]


def _denied(ingress: Manifest) -> set[str]:
    """The addresses ingress-nginx refuses every path of this Ingress to."""
    denylist = ingress["metadata"].get("annotations", {}).get("nginx.ingress.kubernetes.io/denylist-source-range", "")
    return {address.strip() for address in denylist.split(",")}


def test_the_ingress_refuses_the_metrics_to_every_address_on_every_host_it_publishes() -> None:
    """Defence in depth: the gateway itself refuses a scrape that came through a proxy (gateway/edge.py)."""
    ingresses = _all(rendered("production"), "Ingress")
    published = {rule["host"] for ingress in ingresses for rule in ingress["spec"]["rules"]}
    refusing = [ingress for ingress in ingresses if {"0.0.0.0/0", "::/0"} <= _denied(ingress)]
    assert len(refusing) == 1
    refused = refusing[0]["spec"]
    assert refused["ingressClassName"] == _one(ingresses, "Ingress", "gateway")["spec"]["ingressClassName"]
    assert {rule["host"] for rule in refused["rules"]} == published
    for rule in refused["rules"]:  # the annotation refuses every path of its Ingress: /metrics alone
        assert [(path["path"], path["pathType"]) for path in rule["http"]["paths"]] == [("/metrics", "Exact")]


def _admitted(policies: list[Manifest], pod: dict[str, str], port: dict[str, Any],
              source_namespace: dict[str, str], source_pod: dict[str, str], own_namespace: dict[str, str]) -> bool:
    """Whether NetworkPolicy lets a connection from the source pod in to this pod's port (Kubernetes semantics: a
    pod that no Ingress policy selects takes everything; one that some select takes what any of their rules admit)."""
    selecting = [p["spec"] for p in policies
                 if "Ingress" in p["spec"].get("policyTypes", ["Ingress"]) and _selects(p["spec"]["podSelector"], pod)]
    if not selecting:
        return True

    def peer_matches(peer: dict[str, Any]) -> bool:
        if "ipBlock" in peer:
            return False  # the sources here are pods, not addresses
        namespace_ok = (_selects(peer["namespaceSelector"], source_namespace) if "namespaceSelector" in peer
                        else source_namespace == own_namespace)
        return namespace_ok and _selects(peer.get("podSelector", {}), source_pod)

    for spec in selecting:
        for rule in spec.get("ingress", []):
            ports_ok = not rule.get("ports") or any(p.get("port") in (port["name"], port["containerPort"])
                                                     for p in rule["ports"])
            if ports_ok and (not rule.get("from") or any(peer_matches(peer) for peer in rule["from"])):
                return True
    return False


def test_only_the_gateway_is_reachable_from_outside_and_the_services_only_from_the_gateway(
        manifests: list[Manifest]) -> None:
    policies = _all(manifests, "NetworkPolicy")
    (namespace,) = _all(manifests, "Namespace")
    own = {**namespace["metadata"].get("labels", {}), NAMESPACE_NAME: namespace["metadata"]["name"]}
    pods = {d["metadata"]["name"]: d for d in _all(manifests, "Deployment")}
    sources = {
        "the ingress controller": (INGRESS_CONTROLLER, {"app.kubernetes.io/name": "ingress-nginx"}),
        "another namespace": ({NAMESPACE_NAME: "default"}, {"app": "anything"}),
        "a stray pod in this namespace": (own, {"app": "debug"}),
        **{name: (own, _pod_labels(deployment)) for name, deployment in pods.items()},
    }
    expected = {"the ingress controller": {"gateway"}, "gateway": SERVICES_BEHIND_THE_GATEWAY}
    for source, (source_namespace, source_pod) in sources.items():
        reached = {name for name, deployment in pods.items()
                   if any(_admitted(policies, _pod_labels(deployment), port, source_namespace, source_pod, own)
                          for port in _container(deployment)["ports"])}
        assert reached == expected.get(source, set()), source
    for name, deployment in pods.items():  # Prometheus, for /metrics on the HTTP port
        (port,) = _container(deployment)["ports"]
        assert _admitted(policies, _pod_labels(deployment), port, MONITORING, {"app": "prometheus"}, own), name


def test_every_pod_of_the_namespace_refuses_what_no_policy_admits(manifests: list[Manifest]) -> None:
    default_deny = [p["spec"] for p in _all(manifests, "NetworkPolicy")
                    if p["spec"]["podSelector"] == {} and p["spec"]["policyTypes"] == ["Ingress"]]
    assert default_deny == [{"podSelector": {}, "policyTypes": ["Ingress"]}]
