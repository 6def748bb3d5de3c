"""What deploy/ describes is what Kubernetes and Compose accept: every rendered object, and the compose file, checked
offline against the JSON Schemas vendored in deploy/schemas."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs among the dev dependencies

from tests.unit.deploy.kustomize import DEPLOY, K8S, OVERLAYS, render
from tests.unit.deploy.schemas import compose_problems, kubernetes_problems

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_an_overlay_renders_is_valid_for_kubernetes(overlay: str) -> None:
    manifests = render(K8S / "overlays" / overlay)
    assert manifests
    assert [problem for manifest in manifests for problem in kubernetes_problems(manifest)] == []


def test_the_example_secrets_are_valid_for_kubernetes() -> None:
    secrets = [d for d in yaml.safe_load_all((K8S / "secrets.example.yaml").read_text()) if d is not None]
    assert [problem for secret in secrets for problem in kubernetes_problems(secret)] == []


def test_a_misspelt_field_or_a_wrong_type_fails_the_kubernetes_check() -> None:
    deployment = next(m for m in render(K8S / "overlays" / "production") if m["kind"] == "Deployment")
    broken = copy.deepcopy(deployment)
    container = broken["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    broken["spec"]["template"]["spec"]["securityContext"]["runAsUser"] = "10001"
    problems = kubernetes_problems(broken)
    assert len(problems) == 2, problems
    assert "readinesProbe" in problems[0] + problems[1]


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def test_the_compose_file_is_valid_for_compose() -> None:
    assert compose_problems(_compose()) == []


def test_a_misspelt_field_fails_the_compose_check() -> None:
    compose = _compose()
    compose["services"]["kafka"]["healthcheck"]["intervall"] = compose["services"]["kafka"]["healthcheck"]["interval"]
    compose["services"]["mongo"]["depends_on"] = {"kafka": {"condition": "service_started_ok"}}
    problems = compose_problems(compose)
    assert [p for p in problems if p.startswith("services/kafka/healthcheck") and "'intervall'" in p], problems
    assert [p for p in problems if p.startswith("services/mongo")], problems
    assert not [p for p in problems if not p.startswith(("services/kafka", "services/mongo"))], problems
