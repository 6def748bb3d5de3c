"""The gateway benchmark's figures as the Markdown of docs/benchmarks.md: per mode, each row at each load point
(the median of the rounds, their lowest to highest in brackets), then the gateway's own cost, then the
profiles."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

BUSY_LOAD_AVERAGE = 3.0  # on 2 cores: other work took a core's worth or more
SHOWN_CPU_MS = 0.01  # processes that spent less per request are left out of a row's CPU


def _ms(value: float) -> str:
    return f"{value:,.2f}" if value < 10 else f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _median(runs: list[dict[str, Any]], pick: Callable[[dict[str, Any]], float]) -> float:
    return statistics.median(pick(run) for run in runs)


def _spread(runs: list[dict[str, Any]], pick: Callable[[dict[str, Any]], float], show: Callable[[float], str]
            ) -> str:
    values = [pick(run) for run in runs]
    if len(values) == 1:
        return show(values[0])
    return f"{show(statistics.median(values))} ({show(min(values))} to {show(max(values))})"


def _point(run: dict[str, Any]) -> tuple[str, int]:
    return ("connections", run["connections"]) if "connections" in run else ("rate", run["rate"])


def _load(point: tuple[str, int]) -> str:
    kind, value = point
    return f"{value} connection{'s' * (value != 1)}" if kind == "connections" else f"{value:,}/s"


def _grouped(runs: list[dict[str, Any]]) -> dict[tuple[str, tuple[str, int]], list[dict[str, Any]]]:
    """Runs by (row, load point), in the order they were measured."""
    groups: dict[tuple[str, tuple[str, int]], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["target"], _point(run)), []).append(run)
    return groups


def markdown(results: dict[str, Any]) -> str:
    start = results["load_average"]
    lines = [f"`{results['command']}` — {results['date']}, commit {results['commit']}, {results['machine']}; "
             f"load average at the start {start[0]:.1f} / {start[1]:.1f} / {start[2]:.1f} (1 / 5 / 15 min); "
             f"{results['seconds_per_point']:g} s of load a point, {results['rounds']} round"
             f"{'s' * (results['rounds'] != 1)}; {results['seconds'] / 60:.0f} min in all.", ""]
    for mode, measured in results["modes"].items():
        lines += [*_mode(mode, measured), ""]
    lines += [*_overhead(results["modes"]), ""]
    for mode, measured in results["modes"].items():
        if "profile" in measured:
            lines += [*_profile(mode, measured["profile"]), ""]
    return "\n".join(lines).rstrip() + "\n"


def _mode(mode: str, measured: dict[str, Any]) -> list[str]:
    busiest = max(run["load_average"] for run in measured["runs"])
    first, last = measured["load_average"]
    note = (f" **Load average above {BUSY_LOAD_AVERAGE:g} during these runs (up to {busiest:.1f}): other work "
            "shared the 2 cores.**" if busiest > BUSY_LOAD_AVERAGE else "")
    lines = [f"**{mode}** — load average {first:.1f} at the start, {last:.1f} at the end.{note}", "",
             "| row | load | requests/s | p50 ms | p99 ms | failed | server CPU ms/request (by process) | "
             "load generator CPU ms/request |", "|---|---|---:|---:|---:|---:|---|---:|"]
    for (target, point), runs in _grouped(measured["runs"]).items():
        rate = _spread(runs, lambda r: r["per_second"], lambda v: f"{v:,.0f}")
        if point[0] == "rate" and (sent := _median(runs, lambda r: r["sent_per_second"])) < 0.95 * point[1]:
            rate += f"; sent {sent:,.0f}/s"
        sent_in_all = sum(r["sent"] for r in runs)
        failed = sum(r["failed"] for r in runs)
        lines.append(
            f"| {measured['targets'][target]} | {_load(point)} | {rate} | {_spread(runs, lambda r: r['p50_ms'], _ms)} "
            f"| {_spread(runs, lambda r: r['p99_ms'], _ms)} | "
            f"{f'{failed / sent_in_all:.1%}' if failed else '0'} | {_cpu(runs)} | "
            f"{_ms(_median(runs, lambda r: r['generator_cpu_ms_per_request']))} |")
    if measured["behind"]:
        lines += ["", "Not asked the higher rates, having fallen behind this one in the first round (sent less than "
                  "90% of it, with 64 requests in flight): " + ", ".join(
                      f"{measured['targets'][target]} at {rate:,}/s" for target, rate in measured["behind"].items())
                  + "."]
    return lines


def _cpu(runs: list[dict[str, Any]]) -> str:
    """The median CPU per request of every process that spent any, and their sum."""
    spent = {name: statistics.median(run["cpu_ms_per_request"][name] for run in runs)
             for name in runs[0]["cpu_ms_per_request"]}
    shown = sorted(((name, ms) for name, ms in spent.items() if ms >= SHOWN_CPU_MS), key=lambda item: -item[1])
    if len(shown) == 1:
        return f"{_ms(shown[0][1])} ({shown[0][0]})"
    return f"{_ms(sum(spent.values()))} (" + ", ".join(f"{name} {_ms(ms)}" for name, ms in shown) + ")"


def overhead(runs: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, list[float]]]:
    """Per load point, round by round: search through the gateway minus the service's own (p50 and p99, ms), and
    the gateway's requests/s as a share of the service's."""
    by_round = {(run["target"], _point(run), run["round"]): run for run in runs}
    found: dict[tuple[str, int], dict[str, list[float]]] = {}
    for (target, point, number), gateway in by_round.items():
        service = by_round.get(("search_service", point, number))
        if target != "search_gateway" or service is None:
            continue
        cost = found.setdefault(point, {"p50_ms": [], "p99_ms": [], "share": []})
        cost["p50_ms"].append(gateway["p50_ms"] - service["p50_ms"])
        cost["p99_ms"].append(gateway["p99_ms"] - service["p99_ms"])
        cost["share"].append(gateway["per_second"] / service["per_second"] if service["per_second"] else 0.0)
    return found


def _overhead(modes: dict[str, Any]) -> list[str]:
    lines = ["The gateway's own cost: the same searches through the gateway minus asked of the search service "
             "directly, round by round (median of the rounds, lowest to highest):", "",
             "| mode | load | p50, gateway - service (ms) | p99, gateway - service (ms) | "
             "requests/s through the gateway, of the service's |", "|---|---|---:|---:|---:|"]
    for mode, measured in modes.items():
        for point, cost in overhead(measured["runs"]).items():
            rounds = [{"p50": p50, "p99": p99, "share": share}
                      for p50, p99, share in zip(cost["p50_ms"], cost["p99_ms"], cost["share"], strict=True)]
            lines.append(f"| {mode} | {_load(point)} | {_spread(rounds, lambda r: r['p50'], _signed)} | "
                         f"{_spread(rounds, lambda r: r['p99'], _signed)} | "
                         f"{_spread(rounds, lambda r: r['share'], lambda v: f'{v:.0%}')} |")
    return lines


def _signed(value: float) -> str:
    return ("-" if value < 0 else "+") + _ms(abs(value))


def _profile(mode: str, recorded: dict[str, Any]) -> list[str]:
    lines = [f"Profile, {mode}: py-spy on the gateway's process while searches came through 8 connections "
             f"({recorded['requests_per_second']:,.0f} requests/s; {recorded['file']}). The serving thread "
             f"(the event loop's), by own time:", "", "| function | own |", "|---|---:|"]
    lines += [f"| `{line['function']}` | {line['share']:.1%} |" for line in recorded["own"]]
    lines += ["", "Own time by package: " + ", ".join(f"{line['package']} {line['share']:.0%}"
                                                     for line in recorded["own_by_package"]) + ".",
              "", "Each sample given to the innermost of the product's functions on its stack, with what the "
              "libraries under it did for it (a middleware's share is then the framework's work inside it); "
              f"{recorded['outside_product']:.1%} of the samples had none (the server and the event loop alone):",
              "", "| function | share |", "|---|---:|"]
    lines += [f"| `{line['function']}` | {line['share']:.1%} |" for line in recorded["product_innermost"]]
    if recorded["other_threads_samples"]:
        where = ", ".join(f"`{line['function']}` {line['share']:.0%}" for line in recorded["other_threads_own"])
        lines += ["", f"Other threads (the pool that runs blocking calls): {recorded['other_threads_samples']:.1f} s "
                  f"of samples against the serving thread's {recorded['serving_samples']:.1f} s, in {where}."]
    return lines
