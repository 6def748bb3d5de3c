"""The report's charts as PNG files, drawn with matplotlib (no display needed)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # after the backend is chosen
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bench.load.figures import GENERATOR, SEARCHES

WIDTH, HEIGHT = 10.0, 4.0


def _save(figure: Figure, path: Path) -> str:
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path.name


def _legend(axes: Axes) -> None:
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))


def latency(over_time: dict[str, Any], path: Path) -> str:
    """p50 and p99 per route, window by window."""
    figure, panels = plt.subplots(2, 1, figsize=(WIDTH, HEIGHT * 1.8), sharex=True)
    for axes, key, title in ((panels[0], "p50_ms", "p50"), (panels[1], "p99_ms", "p99")):
        for route, values in over_time[key].items():
            axes.plot(over_time["t"], values, label=route, linewidth=2.2 if route == SEARCHES else 1.0)
        axes.set_ylabel(f"{title} latency (ms)")
        axes.set_yscale("log")
        axes.grid(True, which="both", alpha=0.3)
        _legend(axes)
    panels[0].set_title("Latency per route over time (through the gateways, as Locust measured it)")
    panels[1].set_xlabel("seconds since the agents started")
    return _save(figure, path)


def throughput(over_time: dict[str, Any], rate: float, path: Path) -> str:
    """Requests/s answered, by outcome, against the rate asked."""
    figure, axes = plt.subplots(figsize=(WIDTH, HEIGHT))
    series = over_time["per_second"]
    axes.stackplot(over_time["t"], series["ok"], series["refused"], series["error"],
                   labels=["2xx", "429 (documented limits)", "errors"], alpha=0.8)
    axes.axhline(rate, color="black", linestyle="--", linewidth=1, label=f"asked: {rate:g}/s")
    axes.set_xlabel("seconds since the agents started")
    axes.set_ylabel("requests/s (by when sent)")
    axes.set_title("Throughput")
    axes.grid(True, alpha=0.3)
    _legend(axes)
    return _save(figure, path)


def lag(over_time: dict[str, Any], path: Path) -> str:
    """Each process's consumer lag (all its groups and topics) over time."""
    figure, axes = plt.subplots(figsize=(WIDTH, HEIGHT))
    for name, values in over_time["lag"].items():
        axes.plot(over_time["t"], values, label=name, marker=".", linewidth=1)
    axes.set_xlabel("seconds since the agents started")
    axes.set_ylabel("messages not yet read")
    axes.set_title("Consumer lag (helpdesk_consumer_lag, summed per process)")
    axes.grid(True, alpha=0.3)
    _legend(axes)
    return _save(figure, path)


def cpu(over_time: dict[str, Any], path: Path) -> str:
    """Cores used by each process, and by the whole machine (every process on it, others' work included)."""
    figure, axes = plt.subplots(figsize=(WIDTH, HEIGHT))
    for name, values in over_time["cores"].items():
        axes.plot(over_time["t"], values, label=name, linewidth=1, linestyle=":" if name == GENERATOR else "-")
    axes.plot(over_time["t"], over_time["machine"], label="whole machine", color="black", linewidth=2)
    axes.set_xlabel("seconds since the agents started")
    axes.set_ylabel("cores")
    axes.set_title("CPU per process (and the machine's 2 cores)")
    axes.grid(True, alpha=0.3)
    _legend(axes)
    return _save(figure, path)


def ceiling(steps: list[dict[str, Any]], limit_ms: float, path: Path) -> str:
    """Search p99 at each rate asked, and each process's CPU there."""
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(WIDTH, HEIGHT * 1.8), sharex=True)
    rates = [step["rate"] for step in steps]
    top.plot(rates, [step["routes"].get(SEARCHES, {}).get("p99_ms", math.nan) for step in steps], marker="o",
             label="search p99")
    top.plot(rates, [step["routes"].get(SEARCHES, {}).get("p50_ms", math.nan) for step in steps], marker=".",
             label="search p50")
    top.axhline(limit_ms, color="red", linestyle="--", linewidth=1, label=f"{limit_ms:g} ms")
    top.set_yscale("log")
    top.set_ylabel("ms")
    top.set_title("Ceiling search: search latency and CPU at each rate")
    top.grid(True, which="both", alpha=0.3)
    _legend(top)
    names = sorted({name for step in steps for name in step["cpu"]["processes"]})
    for name in names:
        bottom.plot(rates, [step["cpu"]["processes"].get(name, {}).get("mean", math.nan) for step in steps],
                    marker=".", label=name, linestyle=":" if name == GENERATOR else "-")
    bottom.plot(rates, [step["cpu"]["machine"] for step in steps], color="black", linewidth=2, label="whole machine")
    bottom.set_xlabel("requests/s asked")
    bottom.set_ylabel("cores (mean over the step)")
    bottom.grid(True, alpha=0.3)
    _legend(bottom)
    return _save(figure, path)
