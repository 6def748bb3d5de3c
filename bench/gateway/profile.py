"""Where the serving process spends its time under load: a py-spy recording (speedscope format, open it at
speedscope.app or with `speedscope FILE`) and its summary, by function and by package, and by the product's
function that each sample was spent for."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PRODUCT = ("contracts/", "gateway/", "helpdesk/", "runtime/", "services/")
ATTACH_SECONDS = 1.0  # py-spy's start before the load begins


def py_spy() -> str:
    found = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if found is None:
        raise RuntimeError("py-spy is not installed: `pip install -e '.[dev]'` brings it")
    return found


def record(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes]:
    """Start sampling `pid` for `seconds` (plus the time to attach) into `out`; wait for the returned process."""
    return subprocess.Popen([py_spy(), "record", "--pid", str(pid), "--duration", str(round(seconds + ATTACH_SECONDS)),
                             "--format", "speedscope", "--function", "--rate", "200", "--output", str(out)],
                            stdout=subprocess.DEVNULL)


def _path(frame: dict[str, Any]) -> str:
    """A frame's file from the installed packages ("jwt/api_jws.py"), the standard library ("python3.11/…"), or
    the product's areas ("gateway/auth.py"), wherever the recorded process ran from."""
    path = str(frame.get("file", ""))
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    if "/lib/python3" in path:
        return "python3" + path.split("/lib/python3", 1)[1]
    at = max(path.rfind(f"/{area}") for area in PRODUCT)
    if at < 0:
        return path
    if path[:at].endswith("/bench"):  # the benchmark's own code, bench/gateway/…
        at = path.rfind("/bench", 0, at)
    return path[at + 1:]


def _where(frame: dict[str, Any]) -> str:
    return f"{frame['name']} ({_path(frame)}:{frame.get('line', '?')})"


def _is_product(frame: dict[str, Any]) -> bool:
    return _path(frame).startswith(PRODUCT)


def _package(frame: dict[str, Any]) -> str:
    """The installed package, the area of the product (gateway, runtime…) or "Python" (the standard library and
    the interpreter's own frames) that a frame's code belongs to."""
    path = _path(frame)
    if path.startswith(("python3", "<")):
        return "Python"
    return path.split("/", 1)[0] if "/" in path else path.split(".", 1)[0]


def summarise(recording: dict[str, Any], top: int = 15) -> dict[str, Any]:
    """The serving thread (the event loop's, MainThread), as shares of its samples: the own time of every function
    (a sample's innermost frame), by function and by package, and each sample given to the innermost function of
    the product on its stack (with all that the libraries under it did for it); the other threads (the pool that
    runs blocking calls) in all, and their own time."""
    frames: list[dict[str, Any]] = recording["shared"]["frames"]
    serving = [p for p in recording["profiles"] if "MainThread" in p["name"]]
    others = [p for p in recording["profiles"] if "MainThread" not in p["name"]]
    own, innermost, samples = _count(serving, frames)
    other_own, _, other_samples = _count(others, frames)
    packages: Counter[str] = Counter()
    for index, weight in own.items():
        packages[_package(frames[index])] += weight
    outside = innermost.pop(-1, 0.0)
    return {"serving_samples": samples, "other_threads_samples": other_samples,
            "own": _lines(frames, own.most_common(top), samples),
            "own_by_package": [{"package": name, "share": weight / samples} for name, weight in packages.most_common()
                               if weight >= 0.01 * samples],
            "product_innermost": _lines(frames, innermost.most_common(top), samples),
            "outside_product": outside / samples if samples else 0.0,
            "other_threads_own": _lines(frames, other_own.most_common(5), other_samples)}


def _count(profiles: list[dict[str, Any]], frames: list[dict[str, Any]]
           ) -> tuple[Counter[int], Counter[int], float]:
    """Own time by frame, time by the innermost product frame of each sample (-1: none), and all samples. The
    product's frames under which every sample is (the command that started the server) are no answer to where the
    time goes: their samples count as none."""
    product = {index for index, frame in enumerate(frames) if _is_product(frame)}
    everywhere = [set(stack) for profile in profiles for stack in profile["samples"]]
    if everywhere:
        product -= set.intersection(*everywhere)
    own: Counter[int] = Counter()
    innermost: Counter[int] = Counter()
    samples = 0.0
    for profile in profiles:
        for stack, weight in zip(profile["samples"], profile["weights"], strict=True):
            samples += weight
            if stack:
                own[stack[-1]] += weight  # speedscope lists a stack from its root to its leaf
            innermost[next((index for index in reversed(stack) if index in product), -1)] += weight
    return own, innermost, samples


def _lines(frames: list[dict[str, Any]], counted: Iterable[tuple[int, float]], samples: float
           ) -> list[dict[str, Any]]:
    return [{"function": _where(frames[index]), "share": weight / samples if samples else 0.0}
            for index, weight in counted if weight >= 0.005 * samples]


def load(path: Path) -> dict[str, Any]:
    recording: dict[str, Any] = json.loads(path.read_text())
    return recording
