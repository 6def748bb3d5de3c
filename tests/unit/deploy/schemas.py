"""The JSON Schemas vendored in deploy/schemas (scripts/vendor-deploy-schemas.py), as functions that list what is
wrong with an object: no network, no tool beyond the venv."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema_rs

from tests.unit.deploy.kustomize import DEPLOY

SCHEMAS = DEPLOY / "schemas"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


@cache
def _kubernetes() -> dict[str, Any]:
    (bundle,) = SCHEMAS.glob("kubernetes-*-strict.json")
    loaded: dict[str, Any] = json.loads(bundle.read_text())
    return loaded


@cache
def _kubernetes_validator(api_version_kind: str) -> jsonschema_rs.Validator:
    bundle = _kubernetes()
    assert api_version_kind in bundle["kinds"], (
        f"no schema for {api_version_kind}: add it to KINDS in scripts/vendor-deploy-schemas.py and run that")
    schema = {"$schema": DRAFT_2020_12, "$defs": bundle["$defs"], **bundle["kinds"][api_version_kind]}
    return jsonschema_rs.validator_for(schema, offline=True)


@cache
def _compose_validator() -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(json.loads((SCHEMAS / "compose-spec.json").read_text()), offline=True)


def _described(errors: list[jsonschema_rs.ValidationError]) -> list[str]:
    return [f"{'/'.join(str(step) for step in error.instance_path) or '(top)'}: {error.message}" for error in errors]


def kubernetes_problems(manifest: dict[str, Any]) -> list[str]:
    """What the API server would refuse in this object, by the Kubernetes schema of its kind (strict: no unknown
    field), each prefixed with the object's kind and name."""
    validator = _kubernetes_validator(f"{manifest['apiVersion']} {manifest['kind']}")
    name = f"{manifest['kind']} {manifest.get('metadata', {}).get('name')}"
    return [f"{name}: {problem}" for problem in _described(list(validator.iter_errors(manifest)))]


def compose_problems(compose: dict[str, Any]) -> list[str]:
    """What `docker compose` would refuse in this file, by the Compose Specification's schema."""
    return _described(list(_compose_validator().iter_errors(compose)))
