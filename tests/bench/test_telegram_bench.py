"""`python -m bench telegram` runs the real bot against the fake Bot API and prints its table."""

from __future__ import annotations

import subprocess
import sys

from tests.bench.test_bench_smoke import REPO, tables


def test_telegram_mode_prints_its_table() -> None:
    result = subprocess.run(
        [
            *(sys.executable, "-m", "bench", "telegram"),
            *("--messages", "6", "--patients", "3", "--repeat", "1"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    [(header, rows)] = tables(result.stdout)
    assert header == [
        *("telegram adapter", "messages/s", "p50 ms", "p99 ms"),
        *("bot CPU ms/msg", "replied"),
    ]
    assert [(row[0], row[-1]) for row in rows] == [
        ("3 patients at once", "6"),
        ("1 patient at a time", "6"),
    ]
    assert all(float(row[4]) > 0 for row in rows), rows  # the bot did measurable work
