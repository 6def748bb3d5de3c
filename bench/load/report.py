"""The load test's Markdown report, from its results (bench/load/__main__.py writes both)."""

from __future__ import annotations

import math
from typing import Any

from bench.load import workload
from bench.load.figures import BUSY_CORES, GENERATOR, HELD, INFRASTRUCTURE, SEARCHES, WARM_UP_SECONDS, busiest

CORES = 2


def _ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _load(values: list[float]) -> str:
    return " / ".join(f"{v:.1f}" for v in values)


def _spread(values: list[float]) -> str:
    return f"{min(values):.1f} to {max(values):.1f}" if values else "not sampled"


def markdown(results: dict[str, Any]) -> str:
    lines = ["# Load: the agent mix against the distributed deployment", "",
             f"Made by `{results['command']}` on {results['date']}, commit {results['commit']}, {results['machine']}.",
             f"Load average (1 / 5 / 15 min) at the start {_load(results['load_average_start'])}, at the end "
             f"{_load(results['load_average_end'])}.", ""]
    if max(results["load_average_start"][0], results["load_average_end"][0]) > CORES:
        lines += [f"**The machine was shared with other work: a load average above {CORES} on its {CORES} cores. "
                  "Every latency and rate below is what was left to the product, not what it can do alone.**", ""]
    lines += [*_setup(results), ""]
    if results.get("run"):
        lines += [*_run(results["run"], results["charts"]), ""]
    if results.get("ceiling"):
        lines += [*_ceiling(results["ceiling"]), ""]
    return "\n".join(lines).rstrip() + "\n"


def _setup(results: dict[str, Any]) -> list[str]:
    data = results["dataset"]
    store = "OpenSearch (the local node)" if results["opensearch"] else "memory (the replica's own index)"
    return [
        "## Setup", "",
        f"- **Deployment**: every service its own `helpdesk serve` process on the local Kafka and FerretDB, started "
        f"as `helpdesk up --distributed` starts them (helpdesk/cluster.py), with **two gateway replicas**; search "
        f"in {store}; mail to the local SMTP server. Topics, databases and indices of the run's own "
        f"(`{results['run_id']}`), deleted at the end with the {results['mails_deleted']} mails it sent.",
        f"- **Data**: the demo data, and `helpdesk seed`'s generator at {data['users']:,} users through the "
        f"operator's import, with the run's {data['agents']:,} agents and {data['callers']:,} callers: "
        f"{data['records']:,} records, imported in {data['import_seconds']:.0f} s.",
        f"- **Agents** (bench/load/agents.py, Locust {results['locust']}): each Locust user is one Help Desk agent "
        f"with its own token, on one gateway replica (dealt in turn). It makes one request a tick, "
        f"{results['pace']:g} a second (`constant_throughput`), so **the arrival rate is agents x "
        f"{results['pace']:g}/s**. Each request goes on a greenlet of its own, so a slow answer does not hold back "
        "the next tick: the rate holds whatever the latency (an open loop), and the rate sent is measured, not "
        "assumed.",
        "- **The mix** (bench/load/workload.py), call after call: a search as the agent enters what the caller gives "
        f"(a name {workload.KINDS['name']:.0%}, an e-mail {workload.KINDS['e-mail']:.0%}, a phone number "
        f"{workload.KINDS['phone']:.0%}, a device's MAC or serial {workload.KINDS['device']:.0%}), searched every 1 to "
        "3 characters typed (e-mails and device ids pasted whole half of the time); the user's view (a device "
        f"without an owner: its customer's); the customer's view ({workload.CUSTOMER_VIEW:.0%} of calls) and the "
        f"user's e-mail status, the suppression read ({workload.EMAIL_STATUS:.0%}). "
        f"{results['verification_calls']:.0%} of calls are verification calls: the caller's e-mail, their view, a code "
        "sent, and **the code checked**, read from the SMTP server's mailbox once the mail arrives.",
        f"- **Figures**: every request's time as Locust measured it (client side, so the generator's own delays are "
        f"in it), from {WARM_UP_SECONDS:g} s after the first request to the last; quantiles by nearest rank. "
        "Outcomes: 2xx; 429, the documented limits (per agent and replica, 30 searches at once then 60 a minute; "
        "codes, 3 per user in 15 minutes and 30 per agent an hour); anything else is an error. CPU: each process's "
        "user + system time (/proc/PID/stat), the machine's from /proc/stat; consumer lag: each process's "
        "`helpdesk_consumer_lag` on /metrics (refreshed by it every 5 s), sampled every "
        f"{results['sample_seconds']:g} s. Kafka and FerretDB also serve other work on this machine: their CPU is "
        "not the product's alone.",
    ]


def _run(run: dict[str, Any], charts: dict[str, str]) -> list[str]:
    length = f"{run['seconds'] / 60:g}-minute" if run["seconds"] >= 120 else f"{run['seconds']:g}-second"
    lines = [f"## {length} run at {run['rate']:g} requests/s", "",
             f"{run['agents']} agents; asked {run['rate']:g} requests/s, sent **{run['achieved_per_second']:.1f}/s** "
             f"over {run['measured_seconds']:.0f} s measured; **{run['errors']} errors**, {run['refused']} refused "
             f"with 429. Requests per gateway replica: "
             f"{', '.join(f'{count:,} on gateway {replica}' for replica, count in run['replicas'].items())}. "
             f"Load average during the run: {_spread(run['cpu']['load_average'])}.", "",
             *_routes(run["routes"]), ""]
    if run["error_kinds"]:
        lines += ["Errors: " + ", ".join(f"{kind}: {count}" for kind, count in run["error_kinds"].items()), ""]
    lines += [*_findings(run["findings"]), "", *_cpu(run), "", *_lags(run["lag_peaks"]), ""]
    lines += [f"![{name}]({file})" for name, file in charts.items()]
    return lines


def _routes(routes: dict[str, dict[str, float]]) -> list[str]:
    lines = ["| route | requests | per s | p50 ms | p95 ms | p99 ms | max ms | 429 | errors |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for route, row in routes.items():
        name = f"**{route}**" if route == SEARCHES else route
        lines.append(f"| {name} | {row['requests']:,} | {row['per_second']:.1f} | {_ms(row['p50_ms'])} | "
                     f"{_ms(row['p95_ms'])} | {_ms(row['p99_ms'])} | {_ms(row['max_ms'])} | {row['refused']} | "
                     f"{row['error']} |")
    return lines


def _findings(findings: dict[str, Any]) -> list[str]:
    found = findings["found"]
    searches = sorted({key.split(":")[0] for key in found if key.startswith("search ")})
    parts = []
    for kind in searches:
        hits, misses = found.get(f"{kind}: found", 0), found.get(f"{kind}: missed", 0)
        parts.append(f"{kind}: {hits:,} of {hits + misses:,}")
    delays = sorted(findings["mail_delays_ms"])
    mail = (f"{len(delays)} codes read from the mailbox, {_ms(delays[len(delays) // 2])} ms from the send to the "
            f"SMTP server's mailbox at the median, {_ms(delays[-1])} ms at most" if delays else "no code mail read")
    return ["What the agents saw: complete searches whose target was among the first 20 of its group — "
            + "; ".join(parts) + f". {mail}; {found.get('code mail: missing', 0)} mails missing; code checks "
            f"verified {found.get('code check: verified', 0)}, refused {found.get('code check: refused', 0)}."]


def _cpu(run: dict[str, Any]) -> list[str]:
    processes = run["cpu"]["processes"]
    lines = ["| process | mean cores | peak cores | CPU ms per request |", "|---|---:|---:|---:|"]
    for name, cores in sorted(processes.items(), key=lambda item: -item[1]["mean"]):
        label = (f"{name} (load generator)" if name == GENERATOR
                 else f"{name} (shared infrastructure)" if name in INFRASTRUCTURE else name)
        lines.append(f"| {label} | {cores['mean']:.2f} | {cores['peak']:.2f} | "
                     f"{cores['mean'] * 1000 / run['achieved_per_second']:.2f} |")
    lines.append(f"| whole machine (all its work) | {run['cpu']['machine']:.2f} | | |")
    return lines


def _lags(peaks: dict[str, float]) -> list[str]:
    if not peaks:
        return ["No consumer lag was shown."]
    worst = sorted(peaks.items(), key=lambda item: -item[1])
    return ["Highest consumer lag seen (messages): " + ", ".join(f"{key} {value:,.0f}" for key, value in worst
                                                                 if value > 0)
            + ("" if any(v > 0 for _, v in worst) else "none above 0 in any group or topic") + "."]


def _ceiling(ceiling: dict[str, Any]) -> list[str]:
    verdict, steps = ceiling["verdict"], ceiling["steps"]
    lines = [f"## Ceiling: search p99 under {verdict['limit_ms']:g} ms with two gateway replicas", "",
             f"The rate stepped up, {ceiling['step_seconds']:g} s a step on the same deployment, until a step did not "
             f"hold: it held when at least {HELD:.0%} of the rate asked was sent and every search was answered, all "
             f"searches together within {verdict['limit_ms']:g} ms at p99. Errors of the other routes are counted "
             "in the table; the verdict also names the highest rate without any.", "",
             "| asked /s | agents | sent /s | search p50 ms | search p99 ms | errors | 429 | busiest process (cores) "
             "| machine cores | load average (1 min) | held |",
             "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|"]
    for step in steps:
        searches = step["routes"].get(SEARCHES, {})
        name, cores = busiest(step["cpu"]["processes"])
        lines.append(f"| {step['rate']:g} | {step['agents']} | {step['achieved_per_second']:.1f} | "
                     f"{_ms(searches.get('p50_ms', math.nan))} | {_ms(searches.get('p99_ms', math.nan))} | "
                     f"{step['errors']} | {step['refused']} | {name} ({cores:.2f}) | {step['cpu']['machine']:.2f} | "
                     f"{_spread(step['cpu']['load_average'])} | {'yes' if step['held'] else 'no'} |")
    lines += ["", *_verdict(verdict), "", f"![ceiling]({ceiling['chart']})"]
    return lines


def _verdict(verdict: dict[str, Any]) -> list[str]:
    highest = verdict["highest_rate"]
    text = (f"**Highest rate that held: {highest:g} requests/s**" if highest is not None
            else "**No step held, not even the first**")
    clean = verdict.get("highest_without_errors")
    text += (f" (the highest without any error on any route: {clean:g}/s)" if clean is not None
             else " (every step had errors on some route)" if highest is not None else "")
    if verdict["first_failed_rate"] is not None:
        name, cores = verdict["busiest_at_failure"]
        text += (f"; the next, {verdict['first_failed_rate']:g}/s, did not. There the busiest process was {name} "
                 f"({cores:.2f} cores) and the whole machine was {verdict['machine_at_failure']:.2f} of its {CORES} "
                 "cores busy.")
    else:
        text += "; every step held: step higher (--ceiling-max) to find where it stops."
    saturated = verdict["first_saturated"]
    if saturated is not None:
        rate, name, cores = saturated
        text += (f" **The first process to run out of CPU was {name}**: {cores:.2f} cores at {rate:g}/s, all a "
                 f"Python process's event loop gets (one core; {BUSY_CORES:g} counted as full).")
    else:
        text += (f" No process reached {BUSY_CORES:g} of a core: what ran out first was the machine's {CORES} cores, "
                 "shared by every process (the load generator and other work included).")
    return [text]
