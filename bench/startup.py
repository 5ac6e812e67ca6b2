"""Start-up of `faqbot ask`: from process start to the first decision, and memory then."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.table import markdown

QUESTION = "日焼け止めは必要ですか"


@dataclass(frozen=True, slots=True)
class Startup:
    first_decision: float  # seconds, median over runs
    resident_mb: float  # after the first decision, median over runs
    bare_python: float  # `python -c pass`, the floor nothing can beat
    runs: int


def measure_startup(runs: int, *, kb_path: Path | None = None) -> Startup:
    """Median over `runs` fresh `faqbot ask --jsonl` processes (no config.yaml in their cwd)."""
    command = [sys.executable, "-m", "bot.cli", "ask", "--jsonl"]
    if kb_path is not None:
        command += ["--kb", str(kb_path.resolve())]
    firsts, memories, bare = [], [], []
    with tempfile.TemporaryDirectory() as cwd:
        for _ in range(runs):
            first, memory = _one_run(command, Path(cwd))
            firsts.append(first)
            memories.append(memory)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            bare.append(time.perf_counter() - started)
    return Startup(
        statistics.median(firsts), statistics.median(memories), statistics.median(bare), runs
    )


def _one_run(command: list[str], cwd: Path) -> tuple[float, float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(json.dumps({"text": QUESTION}, ensure_ascii=False) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        first = time.perf_counter() - started
        if "action" not in line:
            raise RuntimeError(f"faqbot ask gave no decision: {line!r}")
        # it now waits for the next line: everything is loaded and one decision made
        memory = _resident_mb(process.pid)
    finally:
        process.stdin.close()
        process.wait(timeout=60)
    return first, memory


def _resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def startup_table(startup: Startup) -> str:
    return markdown(
        ["faqbot ask", "median"],
        [
            ["process start to first decision", f"{startup.first_decision * 1000:.0f} ms"],
            ["resident memory after it", f"{startup.resident_mb:.0f} MB"],
            ["`python -c pass`, for reference", f"{startup.bare_python * 1000:.0f} ms"],
            ["runs", str(startup.runs)],
        ],
    )
