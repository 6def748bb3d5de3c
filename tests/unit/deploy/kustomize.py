"""deploy/k8s's overlays rendered as `kubectl apply -k` would send them, offline: by kubectl's own kustomize, or by a
kustomize binary where kubectl is missing (scripts/ensure-kustomize.sh builds one into .infra/bin)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs among the dev dependencies

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = sorted(path.parent.name for path in (K8S / "overlays").glob("*/kustomization.yaml"))

Manifest = dict[str, Any]


def _renderer() -> list[str] | None:
    if kubectl := shutil.which("kubectl"):
        return [kubectl, "kustomize"]
    built = Path(os.environ.get("HELPDESK_INFRA_DIR") or ROOT / ".infra") / "bin" / "kustomize"
    kustomize = shutil.which("kustomize") or (str(built) if built.is_file() else None)
    return [kustomize, "build"] if kustomize else None


def render(directory: Path) -> list[Manifest]:
    """The objects a kustomization directory renders to; a kustomization that does not build fails the test."""
    command = _renderer()
    if command is None:
        message = "neither kubectl nor kustomize is installed: run scripts/ensure-kustomize.sh"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run([*command, str(directory)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{directory.relative_to(ROOT)} does not build:\n{result.stderr}"
    return [document for document in yaml.safe_load_all(result.stdout) if document is not None]
