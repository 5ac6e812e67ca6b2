"""`python -m bench` runs end to end on a tiny input and prints every table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MATCHERS = ["faqbot", "keyword", "rapidfuzz", "bm25"]
ROWS = [
    {"text": "お酒を飲んでもいいですか？", "expect": "alcohol", "tags": ["polite"]},
    {"text": "日焼け止めって必要？", "expect": "sunscreen", "tags": ["casual"]},
    {"text": "ひやけどめ", "expect": "sunscreen", "tags": ["kana"]},
    {"text": "駐車場はありますか", "expect": "escalate", "tags": ["polite"]},
    {"text": "けいれんが起きました", "expect": "urgent", "tags": ["polite"]},
]


def tables(output: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every Markdown table in the output: its header cells and its rows' cells."""
    found: list[tuple[list[str], list[list[str]]]] = []
    lines = [*output.splitlines(), ""]
    for n, line in enumerate(lines):
        if line.startswith("|:-"):
            body = []
            for row in lines[n + 1 :]:
                if not row.startswith("|"):
                    break
                body.append(cells(row))
            found.append((cells(lines[n - 1]), body))
    return found


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


# The bench trains the matcher's models for each knowledge base it builds (~2 minutes here).
@pytest.mark.timeout(420)
def test_bench_prints_every_table_with_all_four_matchers(tmp_path: Path) -> None:
    eval_file = tmp_path / "tiny.jsonl"
    eval_file.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in ROWS), encoding="utf-8"
    )
    result = subprocess.run(
        [
            *(sys.executable, "-m", "bench", "--eval", str(eval_file), "--sizes", "25"),
            *("--repeat", "1", "--budget", "0.2", "--patients", "10", "--messages", "2"),
            *("--startup-runs", "1"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=400,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    sections = [line for line in out.splitlines() if line.startswith("## ")]
    assert sections == [
        "## Baseline thresholds",
        "## Accuracy: tiny.jsonl",
        "## Retrieval: tiny.jsonl, in-scope questions",
        "## Speed and scale",
        "## Start-up",
        "## Conversation core, SQLite on disk",
    ]
    (accuracy, figures), (in_scope, _), (retrieval, ranked), *speed = tables(out)
    assert accuracy == ["figure", *MATCHERS]
    assert [row[0] for row in figures][:5] == [
        "in-scope answered right",
        "in-scope right or offered",
        "wrong answers",
        "escalate recall",
        "urgent recall",
    ]
    assert [row[0] for row in figures][5:] == ["tag casual", "tag kana", "tag polite"]
    assert in_scope == ["figure", *MATCHERS, "faqbot, no rules"]
    assert retrieval == ["matcher", "SR@1", "SR@5", "MRR", "MAP", "queries"]
    assert [row[0] for row in ranked] == MATCHERS
    (ours, sizes), (latency, latencies), (costs, _), (startup, _), (conversation, _) = speed
    assert ours[:3] == ["entries", "phrasings", "keywords"]
    assert [row[0] for row in sizes] == ["25"]  # the bundled knowledge base, as it is
    assert latency == ["entries", *MATCHERS]
    assert len(latencies) == 1
    assert costs == ["entries", *(f"{m} build, memory" for m in MATCHERS[1:])]
    assert startup == ["faqbot ask", "median"]
    assert conversation == ["conversation core", "messages/s", "p50 ms", "p99 ms", "messages"]
