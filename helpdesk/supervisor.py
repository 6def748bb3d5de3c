"""What `helpdesk up --distributed` does once the local infrastructure runs: one run of the product's processes
on it, started, shown, watched until Ctrl-C, SIGTERM or its terminal closing (SIGHUP), and stopped."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

from helpdesk.cluster import Cluster, NotReady, service_of

ROOT = Path(__file__).resolve().parent.parent
# What ends a run: Ctrl-C, a `kill`, and the terminal closing. The processes run in sessions of their own (so a
# Ctrl-C reaches only this supervisor, which stops them in order): nothing else would stop them.
STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
READY_TIMEOUT_SECONDS = 120.0
# Lower case, as OpenSearch wants its indices' names; nothing Kafka or MongoDB would refuse in a name.
RUN_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def local_run(run_id: str, replicas: dict[str, int], seed: bool) -> Cluster:
    """A run on deploy/local's infrastructure, at the ports its script reads (KAFKA_PORT, MONGO_PORT, SMTP_PORT,
    OPENSEARCH_PORT), with its logs and e-mail secret in <HELPDESK_INFRA_DIR>/distributed/<run id>/. EMAIL_SECRET
    and GATEWAY_DEMO_SIGNING_KEY are taken from the environment when set there."""
    if not RUN_ID.fullmatch(run_id):
        raise ValueError(f"a run id is 1 to 32 lower-case letters, digits, '-' or '_', not {run_id!r}")
    home = run_home(run_id)
    env = os.environ.get
    run = Cluster(kafka=f"127.0.0.1:{env('KAFKA_PORT', '9092')}",
                  mongo=f"mongodb://127.0.0.1:{env('MONGO_PORT', '27017')}/?directConnection=true",
                  run_id=run_id, logs=home, opensearch=f"http://127.0.0.1:{env('OPENSEARCH_PORT', '9200')}",
                  smtp=f"127.0.0.1:{env('SMTP_PORT', '8025')}", replicas=replicas, seed=seed,
                  email_secret=os.environ.get("EMAIL_SECRET") or stored_secret(home / "email-secret"))
    if os.environ.get("GATEWAY_DEMO_SIGNING_KEY"):
        run.demo_signing_key = os.environ["GATEWAY_DEMO_SIGNING_KEY"]
    return run


def run_home(run_id: str) -> Path:
    """Where a local run keeps its processes' logs and its e-mail secret, beside the infrastructure's state."""
    return Path(os.environ.get("HELPDESK_INFRA_DIR") or ROOT / ".infra") / "distributed" / run_id


def stored_secret(path: Path) -> str:
    """The run's EMAIL_SECRET, made once and kept beside its logs, so a restart still reads the codes and mail
    that the last one sealed."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        out.write(secret)
    return secret


def supervise(cluster: Cluster, echo: Callable[[str], None]) -> int:
    """Start every process, say where each listens and logs, wait until all are ready, then run until Ctrl-C,
    SIGTERM or SIGHUP (0) or until a process fails (1); every process is stopped before this returns."""
    # Explicitly: a shell starting this in the background leaves SIGINT ignored. A SIGHUP ignored as it starts
    # (`nohup`) stays ignored: the run is to outlive its terminal.
    stopping = [sig for sig in STOPPING if not (sig == signal.SIGHUP and signal.getsignal(sig) == signal.SIG_IGN)]
    previous = {sig: signal.signal(sig, _interrupt) for sig in stopping}
    for name in cluster.names:  # each start's logs on their own
        cluster.log_path(name).unlink(missing_ok=True)
    try:
        cluster.start_all()
        echo(table(cluster))
        echo(f"Waiting until every process is ready (at most {READY_TIMEOUT_SECONDS:.0f} s)…")
        cluster.wait_ready(timeout=READY_TIMEOUT_SECONDS)
        echo(ready_note(cluster))
        ended = cluster.watch()
        echo(f"{ended} exited with code {cluster.processes[ended].returncode}; stopping the others. "
             f"The end of {cluster.log_path(ended)}:\n{cluster.log_tail(ended)}")
        return 1
    except NotReady as error:
        echo(f"Not ready: {error}\nStopping the others.")
        return 1
    except KeyboardInterrupt:
        _say(echo, "Stopping every process…")
        return 0
    finally:
        with _uninterrupted():
            cluster.stop_all()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _say(echo, "Stopped. The infrastructure keeps running: `helpdesk infra down` stops it.")


def table(cluster: Cluster) -> str:
    """One line per process: its name, pid, URL and log file."""
    rows = [("process", "pid", "url", "log")]
    rows += [(name, str(cluster.processes[name].pid), cluster.url(name), _shown(cluster.log_path(name)))
             for name in cluster.names]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return "\n".join(f"{name:<{widths[0]}}  {pid:<{widths[1]}}  {url:<{widths[2]}}  {log}"
                     for name, pid, url, log in rows)


def ready_note(cluster: Cluster) -> str:
    gateways = [cluster.url(name) for name in cluster.names if service_of(name) == "gateway"]
    lines = [f"Ready: open {gateways[0]}/  API: {gateways[0]}/docs"]
    if len(gateways) > 1:
        lines.append(f"Gateway replicas: {', '.join(gateways)}. No load balancer is in front of them: each is a whole "
                     "gateway, any of them serves the console and the API.")
    if any(count > 1 for service, count in cluster.replicas.items() if service != "gateway"):
        lines.append("The gateways call each service's first replica (nothing balances those calls); the other "
                     "replicas answer on their own URLs and take their share of the service's Kafka partitions.")
    lines.append("Ctrl-C stops these processes; the infrastructure keeps running (`helpdesk infra down` stops it).")
    return "\n".join(lines)


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _say(echo: Callable[[str], None], text: str) -> None:
    """Tell the terminal, if there still is one: after SIGHUP writing to it may fail, and stopping goes on."""
    with contextlib.suppress(OSError):
        echo(text)


@contextlib.contextmanager
def _uninterrupted() -> Iterator[None]:
    """A second Ctrl-C must not leave processes behind halfway through stopping them."""
    handlers = {sig: signal.signal(sig, signal.SIG_IGN) for sig in STOPPING}
    try:
        yield
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
