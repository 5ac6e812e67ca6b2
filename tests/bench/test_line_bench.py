"""`python -m bench line` runs the LINE channel end to end on a handful of events."""

from __future__ import annotations

import subprocess
import sys

from bench.line import plan_requests
from tests.bench.test_bench_smoke import REPO, tables


def test_the_line_mode_prints_its_table_with_both_rows() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "line",
            "--events",
            "6",
            "--patients",
            "3",
            "--repeat",
            "1",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    [(headers, rows)] = tables(result.stdout)
    assert (headers[0], [(row[0], row[-1]) for row in rows]) == (
        "LINE webhook",
        [("6 events, 3 patients", "6"), ("1 event at a time", "6")],
    )


def test_requests_batch_events_with_patients_taking_turns() -> None:
    requests = plan_requests([["a1", "a2"], ["b1"]], batch=(2, 2))
    assert requests == [
        [("U" + "0" * 32, "a1"), ("U" + "0" * 31 + "1", "b1")],
        [("U" + "0" * 32, "a2")],
    ]
