"""The `helpdesk` command: run the product, one service, or the local infrastructure."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import subprocess
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from pydantic import ValidationError

from runtime import heap, logs, tracing

cli = typer.Typer(help="Partner Help Desk.", no_args_is_help=True, add_completion=False)
infra = typer.Typer(help="The local Kafka broker, FerretDB, SMTP server and OpenSearch node (deploy/local); the "
                         "topics of any Kafka cluster.",
                    no_args_is_help=True)
contracts_cli = typer.Typer(help="The event contracts' JSON Schemas and AsyncAPI document.", no_args_is_help=True)
cli.add_typer(infra, name="infra")
cli.add_typer(contracts_cli, name="contracts")
search_cli = typer.Typer(help="The search read model.", no_args_is_help=True)
cli.add_typer(search_cli, name="search")
dlq_cli = typer.Typer(help="The dead-letter topics: messages a consumer group could not handle.", no_args_is_help=True)
cli.add_typer(dlq_cli, name="dlq")

ROOT = Path(__file__).resolve().parent.parent
INFRA_SCRIPT = ROOT / "deploy" / "local" / "infra.sh"
# How every process serves HTTP: the C parser (httptools) and event loop (uvloop) rather than the pure-Python ones
# (11 to 16% less CPU per request through the gateway); logging as `runtime.logs` configures it.
# timeout_keep_alive: uvicorn's default, named because the gateway's clients close idle connections sooner
# (helpdesk.distributed.IDLE_CONNECTION_SECONDS).
SERVER: dict[str, Any] = {"http": "httptools", "loop": "uvloop", "log_config": None, "timeout_keep_alive": 5}
DEMO_AUTH_WARNING = (
    "WARNING: GATEWAY_AUTH_MODE=demo: anyone who can reach this gateway signs in as any user by naming their "
    "e-mail, with no password. Use it only for a demo or local development, never with real data.")


@cli.command()
def up(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(
        help="Port of the web UI and API (distributed: the first gateway's, or a free one when it is taken).")] = 8000,
    seed: Annotated[bool, typer.Option(help="Load the demo dataset.")] = True,
    distributed: Annotated[bool, typer.Option(
        help="Start the local infrastructure, then every service as its own process on it.")] = False,
    replicas: Annotated[str, typer.Option(help="Distributed: processes per service, e.g. search=2,gateway=2.")] = "",
    run_id: Annotated[str, typer.Option(
        help="Distributed: names the run's topics, databases and search indices; the same id finds its data again.")
    ] = "local",
    fresh: Annotated[bool, typer.Option(
        help="Distributed: delete the run's topics, databases and search indices before starting.")] = False,
) -> None:
    """Run everything in one process, in memory, with demo data (for trying and developing); with --distributed,
    every service as its own process on Kafka, FerretDB, OpenSearch and SMTP (for trying the distributed mode)."""
    if distributed:
        _up_distributed(host, port, seed, replicas, run_id, fresh)
        return
    if replicas or fresh or run_id != "local":
        raise typer.BadParameter("--replicas, --run-id and --fresh go with --distributed")
    from helpdesk import embedded

    logs.configure("embedded")
    tracing.configure("embedded")
    product = embedded.build(seed=seed)
    typer.echo("Partner Help Desk, embedded mode: one process, data in memory, lost at exit. Not for production.")
    typer.echo(f"Open http://{host}:{port}/  API: http://{host}:{port}/docs")
    if seed:
        _echo_demo_logins()
    uvicorn.run(product.app, host=host, port=port, **SERVER)


def _up_distributed(host: str, port: int, seed: bool, replicas: str, run_id: str, fresh: bool) -> None:
    from helpdesk import cluster, supervisor

    if host != "127.0.0.1":
        raise typer.BadParameter("the distributed mode listens on 127.0.0.1 only, as its infrastructure does",
                                 param_hint="--host")
    try:
        counts = cluster.parse_replicas(replicas)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--replicas") from None
    try:
        run = supervisor.local_run(run_id, counts, seed)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--run-id") from None
    typer.echo(f"Partner Help Desk, distributed mode, run {run_id!r}: topics {run.topic_prefix}*, databases "
               f"<service>_{run_id}, search indices {run.search_index}-*.")
    if _run_infra("up") != 0:
        raise typer.Exit(1)
    if fresh:
        run.forget()
    run.ports["gateway"] = port if cluster.port_is_free(port) else cluster.free_port()
    if run.ports["gateway"] != port:
        typer.echo(f"Port {port} is taken: the first gateway listens on {run.ports['gateway']}.")
    typer.echo(DEMO_AUTH_WARNING, err=True)
    if seed:
        _echo_demo_logins()
    raise typer.Exit(supervisor.supervise(run, typer.echo))


def _echo_demo_logins() -> None:
    from services.identity.demo import DEMO_LOGINS

    typer.echo("Demo logins (any e-mail of an existing user works with POST /api/v1/auth/demo-login):")
    for role, email in DEMO_LOGINS.items():
        typer.echo(f"  {role:<18} {email}")


@cli.command()
def serve(service: Annotated[str, typer.Argument(help="gateway, identity, search, email or access")]) -> None:
    """Run one service on Kafka and MongoDB, configured by its environment variables."""
    from helpdesk import distributed

    if service not in distributed.SETTINGS:
        raise typer.BadParameter(f"choose one of {', '.join(distributed.SETTINGS)}")
    try:
        settings = distributed.settings_for(service)  # type: ignore[arg-type]
    except ValidationError as error:
        typer.echo(f"{service}: cannot start, its configuration is incomplete or wrong:", err=True)
        for problem in error.errors():
            name = f"{service.upper()}_{'_'.join(str(p) for p in problem['loc']).upper()}"
            typer.echo(f"  {name}: {problem['msg']}" if problem["loc"] else f"  {problem['msg']}", err=True)
        raise typer.Exit(2) from None
    logs.configure(service, settings.log_level)
    tracing.configure(service)
    if getattr(settings, "auth_mode", None) == "demo":
        typer.echo(DEMO_AUTH_WARNING, err=True)
        logging.getLogger("helpdesk.gateway").warning(DEMO_AUTH_WARNING)
    app = distributed.build(service, settings)  # type: ignore[arg-type]
    uvicorn.run(app, host=settings.host, port=settings.port, **SERVER)


def _run_infra(action: str) -> int:
    return subprocess.run(["bash", str(INFRA_SCRIPT), action], env=os.environ.copy(), check=False).returncode


def _infra(action: str) -> None:
    raise typer.Exit(_run_infra(action))


@infra.command("up")
def infra_up() -> None:
    """Fetch, build and start Kafka, FerretDB, the SMTP server and OpenSearch on loopback; wait until healthy."""
    _infra("up")


@infra.command("down")
def infra_down() -> None:
    """Stop Kafka, FerretDB, the SMTP server and OpenSearch."""
    _infra("down")


@infra.command("status")
def infra_status() -> None:
    """Say whether Kafka, FerretDB, the SMTP server and OpenSearch are running and healthy."""
    _infra("status")


T = TypeVar("T")
Bootstrap = Annotated[str | None, typer.Option(
    help="Kafka's bootstrap servers. Default: HELPDESK_KAFKA_BOOTSTRAP, else the local broker.")]
TopicPrefix = Annotated[str | None, typer.Option(
    "--prefix", help="Put before every topic's name, as the services' *_TOPIC_PREFIX. Default: HELPDESK_TOPIC_PREFIX.")]


def _kafka(bootstrap: str | None, prefix: str | None) -> tuple[str, str]:
    """The Kafka cluster and topic prefix given, or else those of the environment (HELPDESK_*)."""
    from runtime.settings import CommonSettings

    settings = CommonSettings()
    return bootstrap or settings.kafka_bootstrap, settings.topic_prefix if prefix is None else prefix


def _on_kafka(address: str, work: Coroutine[Any, Any, T]) -> T:
    """Run `work`; a Kafka that cannot be reached, or refuses, is said in one line and the command fails."""
    import asyncio

    from aiokafka.errors import KafkaError

    try:
        return asyncio.run(work)
    except (KafkaError, OSError) as error:
        typer.echo(f"Kafka at {address}: {error}", err=True)
        raise typer.Exit(1) from None


@infra.command("topics")
def infra_topics(
    bootstrap: Bootstrap = None,
    prefix: TopicPrefix = None,
    replication_factor: Annotated[int | None, typer.Option(
        min=1, help="Copies of every partition. Default: 3, or the number of brokers when the cluster has fewer.")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Say what would change, and change nothing.")] = False,
) -> None:
    """Create or update every topic on any Kafka cluster as contracts/topics.py declares it (partitions, replication,
    retention, compaction, the dead-letter topics), saying each change; fails when a change fails."""
    from runtime import topics

    address, named = _kafka(bootstrap, prefix)
    try:
        outcome = _on_kafka(address, topics.ensure(address, prefix=named, factor=replication_factor, dry_run=dry_run))
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--replication-factor") from None
    for line in outcome.lines():
        typer.echo(line)
    for failure in outcome.errors:
        typer.echo(failure, err=True)
    raise typer.Exit(1 if outcome.errors else 0)


@cli.command()
def seed(
    scale: Annotated[int, typer.Option(help="Number of users; customers, devices and orders follow from it.")] = 1000,
    out: Annotated[Path | None, typer.Option(help="Write the NDJSON records to this file.")] = None,
    url: Annotated[str | None, typer.Option(help="Import into the product running at this URL instead.")] = None,
    random_seed: Annotated[int, typer.Option("--seed", help="Same seed, same data.")] = 7,
) -> None:
    """Generate a deterministic synthetic dataset: to a file, to stdout, or into a running product."""
    from helpdesk import seeding

    if out is not None and url is not None:
        raise typer.BadParameter("give --out or --url, not both")
    if url is not None:
        report = seeding.import_into(url, scale, random_seed)
        typer.echo(f"accepted {report['accepted']:,}, rejected {report['rejected_total']:,}", err=True)
        for rejection in report["rejected"][:20]:
            typer.echo(f"  line {rejection['line']}: {rejection['error']}", err=True)
        raise typer.Exit(1 if report["rejected_total"] else 0)
    with out.open("w", encoding="utf-8") if out is not None else contextlib.nullcontext(sys.stdout) as target:
        seeding.write(target, scale, random_seed)


@contracts_cli.command("write")
def contracts_write() -> None:
    """Write the current JSON Schema of every event to contracts/schemas/ (after a compatible change), and the
    AsyncAPI document of them all to contracts/asyncapi.json."""
    from contracts import asyncapi
    from contracts.compat import write_schemas

    for path in [*write_schemas(), asyncapi.write()]:
        typer.echo(path.relative_to(ROOT))


@contracts_cli.command("check")
def contracts_check() -> None:
    """Fail when an event changed in a way that breaks consumers of its stored schema, or when
    contracts/asyncapi.json is not the document the events make now."""
    from contracts import asyncapi
    from contracts.compat import breaking_changes, current_schemas, stored_schemas

    stored, current = stored_schemas(), current_schemas()
    problems = [f"{name}: removed" for name in stored if name not in current]
    problems += [f"{name}: {p}" for name in stored if name in current
                 for p in breaking_changes(stored[name], current[name])]
    if asyncapi.stale():
        problems.append(f"{asyncapi.PATH.relative_to(ROOT)}: stale, not the document the events make now; run "
                        "`helpdesk contracts write`")
    for problem in problems:
        typer.echo(problem, err=True)
    raise typer.Exit(1 if problems else 0)


@search_cli.command("rebuild")
def search_rebuild(
    store: Annotated[str | None, typer.Option(
        help="opensearch: rebuild the shared read model beside the live one and swap it in; memory: build an index "
             "in memory, as each replica does at start, and report what it costs. Default: SEARCH_STORE.")] = None,
) -> None:
    """Rebuild the search read model from identity's Kafka topics alone, showing progress."""
    import asyncio

    from services.search.config import SearchSettings
    from services.search.rebuild import describe, rebuild_configured

    settings = SearchSettings()
    if store is not None:
        if store not in ("opensearch", "memory"):
            raise typer.BadParameter("choose opensearch or memory")
        settings = settings.model_copy(update={"store": store})
    logs.configure("search-rebuild", settings.log_level)
    summary = asyncio.run(rebuild_configured(settings, lambda p: typer.echo(describe(p), err=True)))
    typer.echo(summary)


@dlq_cli.command("list")
def dlq_list(
    show: Annotated[int, typer.Option(
        min=0, help="Show each topic's last N messages: where each came from and why it failed.")] = 0,
    bootstrap: Bootstrap = None,
    prefix: TopicPrefix = None,
) -> None:
    """Every dead-letter topic, with how many messages it holds and how many came after the last replay."""
    from runtime import dead_letters

    address, named = _kafka(bootstrap, prefix)
    found = _on_kafka(address, dead_letters.held(address, named, show))
    if not found:
        typer.echo(f"no dead-letter topic under the prefix {named!r}: `helpdesk infra topics` creates them")
    for topic in found:
        typer.echo(f"{topic.topic}: {topic.messages} message{'s' * (topic.messages != 1)}, {topic.since_replay} "
                   "since the last replay")
        for letter in topic.last:
            for line in letter.describe():
                typer.echo(line)


@dlq_cli.command("replay")
def dlq_replay(
    group: Annotated[str, typer.Argument(help="The consumer group whose dead letters to put back, e.g. search.")],
    limit: Annotated[int | None, typer.Option(min=1, help="Put back at most this many messages.")] = None,
    bootstrap: Bootstrap = None,
    prefix: TopicPrefix = None,
) -> None:
    """Put a group's dead letters back on the topics they came from, with their keys, once the cause is fixed. Each
    is replayed once: the progress is kept in the consumer group dlq-replay.<group>."""
    from runtime import dead_letters

    address, named = _kafka(bootstrap, prefix)
    try:
        replayed = _on_kafka(address, dead_letters.replay(address, group, named, limit))
    except LookupError as error:
        typer.echo(error.args[0], err=True)
        raise typer.Exit(2) from None
    total = sum(replayed.put_back.values())
    where = ", ".join(f"{count} to {topic}" for topic, count in sorted(replayed.put_back.items()))
    if total:
        typer.echo(f"replayed {total} message{'s' * (total != 1)} from {replayed.topic}: {where}")
    elif not replayed.skipped:
        typer.echo(f"nothing to replay in {replayed.topic}: no message came after the last replay")
    for skipped in replayed.skipped:
        typer.echo(f"not replayed, {skipped}", err=True)


def main() -> None:
    gc.set_threshold(*heap.THRESHOLDS)
    cli(prog_name="helpdesk")


if __name__ == "__main__":
    main()
