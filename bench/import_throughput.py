"""Import throughput of the embedded product: stream a generated NDJSON file to POST /api/v1/operator/import.

    python -m bench.import_throughput --users 130000     # about 100 MB, 290,000 records

Starts `helpdesk up` on a free port, signs in as the operator, streams the file in 64 KiB chunks, and reports
records/s of the import request, the server's peak memory, and how long until the last user is searchable.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from services.identity.generator import Scale, records

DATA = Path(__file__).parent / ".data"


def dataset(users: int, seed: int) -> Path:
    """The NDJSON file for this scale, generated once and kept under bench/.data/."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"identity-{users}-{seed}.ndjson"
    if not path.exists():
        partial = path.with_suffix(".partial")
        with partial.open("w") as out:
            for record in records(users, seed):
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        partial.rename(path)
    return path


def chunks(path: Path, size: int = 65536) -> Iterator[bytes]:
    with path.open("rb") as source:
        while block := source.read(size):
            yield block


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def last_user(path: Path) -> tuple[str, str]:
    """The e-mail of the file's last user and the login of a help desk agent of its customer's partner."""
    with path.open("rb") as source:
        source.seek(max(0, path.stat().st_size - 2_000_000))
        tail = [json.loads(line) for line in source.read().splitlines()[1:]]
    user = [r for r in tail if r["type"] == "user"][-1]
    org = next(r for r in tail if r["type"] == "org" and r["id"] == user["org_id"])
    partner_number = int(org["partner_id"].rsplit("-", 1)[1])
    return str(user["email"]), f"helpdesk@partner{partner_number}.example"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=130_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    path = dataset(args.users, args.seed)
    size_mb = path.stat().st_size / 1e6
    expected = Scale(args.users).records
    port = 18_000 + os.getpid() % 1000
    log = tempfile.NamedTemporaryFile(prefix="helpdesk-up-", suffix=".log", delete=False)  # noqa: SIM115
    server = subprocess.Popen([sys.executable, "-m", "helpdesk.cli", "up", "--port", str(port)], stdout=log,
                              stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=None) as client:
            for _ in range(150):
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            rss_before = peak_rss_mib(server.pid)
            operator = client.post("/api/v1/auth/demo-login", json={"email": "operator@helpdesk.local"})
            token = {"Authorization": f"Bearer {operator.json()['access_token']}"}
            started = time.perf_counter()
            report = client.post("/api/v1/operator/import", content=chunks(path), headers=token).json()
            import_seconds = time.perf_counter() - started
            print(f"import request: {import_seconds:.1f} s = {report['accepted'] / import_seconds:,.0f} records/s",
                  flush=True)

            email, agent_login = last_user(path)
            agent = client.post("/api/v1/auth/demo-login", json={"email": agent_login})
            agent_token = {"Authorization": f"Bearer {agent.json()['access_token']}"}
            deadline = time.perf_counter() + 600
            while not client.get("/api/v1/search", params={"q": email}, headers=agent_token).json()["users"]:
                if time.perf_counter() > deadline:
                    raise SystemExit(f"{email} was not searchable 10 minutes after the import")
                time.sleep(0.05)
            searchable_seconds = time.perf_counter() - started
            rss_after = peak_rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"file: {path.name}, {size_mb:.0f} MB, {expected:,} records")
    print(f"accepted {report['accepted']:,}, rejected {report['rejected_total']:,}")
    print(f"last user searchable after {searchable_seconds:.1f} s")
    print(f"server peak RSS: {rss_before:.0f} MiB before, {rss_after:.0f} MiB after")


if __name__ == "__main__":
    main()
