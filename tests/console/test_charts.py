"""Server-side SVG charts: well-formed, labelled, accessible, self-contained."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

from bot.analytics import DayCounts, age_buckets
from bot.console.charts import entry_chart, questions_per_day_chart, ticket_age_chart

SVG = "{http://www.w3.org/2000/svg}"
DAYS = tuple(
    DayCounts(
        date(2026, 11, 1) + timedelta(days=i), answer=i % 4, clarify=i % 2, urgent=int(i % 7 == 0)
    )
    for i in range(30)
)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def groups(root: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == kind]


def bar_height(group: ET.Element) -> float:
    return sum(float(r.get("height", "0")) for r in group.iter(f"{SVG}rect"))


def test_questions_chart_has_one_bar_per_day_and_the_decision_legend() -> None:
    root = parse(questions_per_day_chart(DAYS))

    assert len(groups(root, "day")) == 30
    assert {"回答", "聞き返し", "スタッフへ", "緊急"} <= set(texts(root))
    assert "11/30" in texts(root)  # today is always labelled


def test_questions_chart_bars_are_as_tall_as_their_totals() -> None:
    days = (
        DayCounts(date(2026, 11, 1), answer=2, escalate=1, urgent=1),
        DayCounts(date(2026, 11, 2)),
        DayCounts(date(2026, 11, 3), clarify=2),
    )

    heights = [bar_height(g) for g in groups(parse(questions_per_day_chart(days)), "day")]

    assert heights[1] == 0
    assert heights[0] == 2 * heights[2] > 0


def test_questions_chart_is_described_for_screen_readers() -> None:
    svg = questions_per_day_chart(DAYS, chart_id="q")
    root = parse(svg)

    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "q-title q-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert (title.get("id"), title.text) == ("q-title", "日別の質問数（判定別）")
    assert desc.get("id") == "q-desc"
    assert desc.text is not None and desc.text.startswith("11/1〜11/30の30日間、合計")


def test_each_decision_has_its_own_colour() -> None:
    root = parse(questions_per_day_chart(DAYS))
    [legend] = groups(root, "legend")

    assert len({r.get("fill") for r in legend.iter(f"{SVG}rect")}) == 4


def test_charts_load_nothing_from_elsewhere() -> None:
    for svg in (
        questions_per_day_chart(DAYS),
        entry_chart([("お酒", 3)], title="回答数", desc="entries"),
        ticket_age_chart(age_buckets([], _now())),
    ):
        for outside in ("<script", "href", "url(", "@import", "@font-face", "http://", "https://"):
            assert outside not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_entry_labels_are_escaped_and_long_ones_shortened() -> None:
    hostile = "<script>alert(\"x\")</script> & 'quoted'"
    long = "イソトレチノインを飲んでいる間にお酒を飲んでもいいですか"
    root = parse(entry_chart([(hostile, 2), (long, 1)], title="回答数", desc="エントリー別"))

    assert root.find(f".//{SVG}script") is None
    labels = texts(root)
    assert hostile[:17] + "…" in labels
    assert long[:17] + "…" in labels
    entry_titles = [g.find(f"{SVG}title") for g in groups(root, "entry")]
    assert [t.text for t in entry_titles if t is not None] == [f"{hostile}: 2", f"{long}: 1"]


def test_entry_chart_shows_rates_as_percent() -> None:
    root = parse(
        entry_chart(
            [("お酒", 0.5), ("献血", 0.25)], title="役に立たなかった率", desc="d", percent=True
        )
    )

    assert {"50%", "25%"} <= set(texts(root))
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1]


def test_ticket_age_chart_has_a_bar_and_count_per_bucket() -> None:
    now = _now()
    opened = [now - timedelta(minutes=5), now - timedelta(hours=2), now - timedelta(hours=3)]
    root = parse(ticket_age_chart(age_buckets(opened, now)))

    assert len(groups(root, "bucket")) == 5
    assert {"1時間未満", "1〜4時間", "4〜24時間", "1〜3日", "3日以上", "2件", "0件"} <= set(
        texts(root)
    )


def test_empty_charts_say_so() -> None:
    for svg in (
        questions_per_day_chart(()),
        entry_chart([], title="回答数", desc="なし"),
        ticket_age_chart(()),
    ):
        assert "データがありません" in texts(parse(svg))


def _now() -> datetime:
    return datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
