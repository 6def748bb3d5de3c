"""The product in subprocesses for the end-to-end tests: its distributed processes (`helpdesk.cluster`, the same
way `helpdesk up --distributed` runs them) and the embedded `helpdesk up`."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from helpdesk.cluster import SERVICES, Cluster, free_port, terminate, wait_for

__all__ = ["SERVICES", "Cluster", "embedded_product", "free_port", "terminate", "wait_for"]


STARTUP_DEADLINE_SECONDS = 15


@contextlib.contextmanager
def embedded_product(log_dir: Path) -> Iterator[str]:
    """`helpdesk up` in a subprocess; yields its URL once /healthz answers, within the 15 s the README promises."""
    port = free_port()
    log_path = log_dir / "helpdesk-up.log"
    with log_path.open("wb") as log:  # a file, not a pipe: nobody reads the output while the tests run
        process = subprocess.Popen([sys.executable, "-m", "helpdesk.cli", "up", "--port", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_for(f"{url}/healthz", process, time.monotonic() + STARTUP_DEADLINE_SECONDS):
            output = log_path.read_text(errors="replace")
            raise AssertionError(f"`helpdesk up` did not answer /healthz within {STARTUP_DEADLINE_SECONDS}s:\n{output}")
        yield url
    finally:
        terminate(process)
