"""The `helpdesk` command: run the product, one service, or the local infrastructure."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError

from runtime import heap, logs

cli = typer.Typer(help="Partner Help Desk.", no_args_is_help=True, add_completion=False)
infra = typer.Typer(help="The local Kafka broker, FerretDB, SMTP server and OpenSearch node (deploy/local).",
                    no_args_is_help=True)
contracts_cli = typer.Typer(help="The event contracts' JSON Schemas.", no_args_is_help=True)
cli.add_typer(infra, name="infra")
cli.add_typer(contracts_cli, name="contracts")
search_cli = typer.Typer(help="The search read model.", no_args_is_help=True)
cli.add_typer(search_cli, name="search")

ROOT = Path(__file__).resolve().parent.parent
INFRA_SCRIPT = ROOT / "deploy" / "local" / "infra.sh"
DEMO_AUTH_WARNING = (
    "WARNING: GATEWAY_AUTH_MODE=demo: anyone who can reach this gateway signs in as any user by naming their "
    "e-mail, with no password. Use it only for a demo or local development, never with real data.")


@cli.command()
def up(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the web UI and API.")] = 8000,
    seed: Annotated[bool, typer.Option(help="Load the demo dataset.")] = True,
) -> None:
    """Run everything in one process, in memory, with demo data (for trying and developing)."""
    from helpdesk import embedded
    from services.identity.demo import DEMO_LOGINS

    logs.configure("embedded")
    product = embedded.build(seed=seed)
    typer.echo("Partner Help Desk, embedded mode: one process, data in memory, lost at exit. Not for production.")
    typer.echo(f"Open http://{host}:{port}/  API: http://{host}:{port}/docs")
    if seed:
        typer.echo("Demo logins (any e-mail of an existing user works with POST /api/v1/auth/demo-login):")
        for role, email in DEMO_LOGINS.items():
            typer.echo(f"  {role:<18} {email}")
    uvicorn.run(product.app, host=host, port=port, log_config=None)


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
    if getattr(settings, "auth_mode", None) == "demo":
        typer.echo(DEMO_AUTH_WARNING, err=True)
        logging.getLogger("helpdesk.gateway").warning(DEMO_AUTH_WARNING)
    app = distributed.build(service, settings)  # type: ignore[arg-type]
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None)


def _infra(action: str) -> None:
    result = subprocess.run(["bash", str(INFRA_SCRIPT), action], env=os.environ.copy(), check=False)
    raise typer.Exit(result.returncode)


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
    """Write the current JSON Schema of every event to contracts/schemas/ (after a compatible change)."""
    from contracts.compat import write_schemas

    for path in write_schemas():
        typer.echo(path.relative_to(ROOT))


@contracts_cli.command("check")
def contracts_check() -> None:
    """Fail when an event changed in a way that breaks consumers of its stored schema."""
    from contracts.compat import breaking_changes, current_schemas, stored_schemas

    stored, current = stored_schemas(), current_schemas()
    problems = [f"{name}: removed" for name in stored if name not in current]
    problems += [f"{name}: {p}" for name in stored if name in current
                 for p in breaking_changes(stored[name], current[name])]
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


def main() -> None:
    gc.set_threshold(*heap.THRESHOLDS)
    cli(prog_name="helpdesk")


if __name__ == "__main__":
    main()
