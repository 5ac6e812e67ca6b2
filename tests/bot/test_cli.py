"""`faqbot` end to end, as separate processes: what users and scripts see and get back."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from faq.loader import load_kb
from tests.bot.conftest import KB_YAML

# every knowledge base triages with the bundled red flags besides its own
BUNDLED_RED_FLAGS = len(load_kb().red_flags)

FAQBOT = [sys.executable, "-m", "bot.cli"]
TIMEOUT = 30


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONIOENCODING": "utf-8"}


def faqbot(
    *args: str | Path, cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run faqbot in `cwd` (where there is no config.yaml unless a test writes one)."""
    return subprocess.run(
        [*FAQBOT, *map(str, args)],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env(),
        timeout=TIMEOUT,
    )


@pytest.fixture
def kb(kb_file: Path) -> Path:
    return kb_file


def test_ask_jsonl_answers_each_line_in_order_and_prints_nothing_else(
    tmp_path: Path, kb: Path
) -> None:
    lines = [
        "胸が痛いです",
        "お酒を飲んでもいいですか？",
        "駐車場はありますか",
        "スタッフと話したい",
    ]
    stdin = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in lines)
    result = faqbot("ask", "--jsonl", "--kb", kb, cwd=tmp_path, stdin=stdin)
    assert result.returncode == 0, result.stderr
    decisions = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(d["action"], d["faq_id"]) for d in decisions] == [
        ("urgent", None),
        ("answer", "alcohol"),
        ("escalate", None),
        ("escalate", None),
    ]
    assert all(set(d) == {"action", "faq_id", "score", "candidates"} for d in decisions)
    assert decisions[1]["candidates"][0] == {"id": "alcohol", "score": 1.0}


def test_ask_jsonl_keeps_its_place_on_a_bad_line(tmp_path: Path, kb: Path) -> None:
    stdin = 'not json\n\n{"text": "献血はできますか？"}\n'
    result = faqbot("ask", "--jsonl", "--kb", kb, cwd=tmp_path, stdin=stdin)
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first == {"error": 'line 1: expected a JSON object with a "text" string'}
    assert second["faq_id"] == "blood_donation"


def test_ask_json_prints_one_decision(tmp_path: Path, kb: Path) -> None:
    result = faqbot("ask", "献血はできますか？", "--json", "--kb", kb, "--top", "1", cwd=tmp_path)
    decided = json.loads(result.stdout)
    assert list(decided) == ["action", "faq_id", "score", "candidates"]
    assert (decided["action"], decided["faq_id"]) == ("answer", "blood_donation")
    assert decided["candidates"] == [{"id": "blood_donation", "score": decided["score"]}]
    assert 0.5 <= decided["score"] <= 1


def test_starting_the_cli_imports_nothing_heavy() -> None:
    code = (
        "import sys, bot.cli; "
        "print([m for m in ('sudachipy', 'rapidfuzz', 'pydantic', 'aiosqlite', 'telegram')"
        " if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.stdout.strip() == "[]"


async def test_staff_reply_from_the_cli_reaches_the_local_chat(tmp_path: Path, kb: Path) -> None:
    db = tmp_path / "faqbot.sqlite3"
    chat = await asyncio.create_subprocess_exec(
        *FAQBOT, "--db", str(db), "chat", "--kb", str(kb), "--poll", "0.1",
        cwd=tmp_path, env=env(),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert chat.stdin is not None and chat.stdout is not None
    stdout = chat.stdout

    async def read_until(text: str) -> None:
        while True:
            line = await asyncio.wait_for(stdout.readline(), TIMEOUT)
            assert line, f"chat ended before saying {text!r}"
            if text in line.decode():
                return

    await read_until("イソトレチノインの質問にお答えします")
    chat.stdin.write("スタッフと話したいです\n".encode())
    await read_until("[1] 同意する")  # what is stored and why, agreed with its number
    chat.stdin.write(b"1\n")
    await read_until("スタッフにおつなぎします")

    listed = await asyncio.to_thread(faqbot, "--db", db, "tickets", "list", cwd=tmp_path)
    assert "#1" in listed.stdout and "スタッフと話したい" in listed.stdout
    reply = await asyncio.to_thread(
        faqbot, "--db", db, "tickets", "--kb", kb, "reply", "1", "駐車場は2台分あります。",
        "--as", "佐藤", cwd=tmp_path,
    )  # fmt: skip
    assert reply.returncode == 0, reply.stderr

    await read_until("【クリニックより】")
    await read_until("駐車場は2台分あります。")
    out, _ = await asyncio.wait_for(chat.communicate(b"/quit\n"), TIMEOUT)
    assert chat.returncode == 0
    assert "駐車場は2台分あります。" not in out.decode()  # shown once, not again


def test_chat_shows_numbered_choices_and_takes_a_number(tmp_path: Path, kb: Path) -> None:
    stdin = "お酒を飲んでもいいですか？\n1\n1\n"  # the question, the consent button, a choice
    result = faqbot("--db", tmp_path / "db.sqlite3", "chat", "--kb", kb, cwd=tmp_path, stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert "     [1] 同意する\n" in result.stdout
    assert "     [1] 献血はできますか？\n" in result.stdout
    assert "bot> 服用中と服用後1ヶ月は献血できません。" in result.stdout


def test_chat_takes_slash_commands(tmp_path: Path, kb: Path) -> None:
    result = faqbot(
        "--db", tmp_path / "db.sqlite3", "chat", "--kb", kb, cwd=tmp_path, stdin="/menu\n"
    )
    assert result.returncode == 0, result.stderr
    assert "bot> テーマを選んでください。\n     [1] 生活\n" in result.stdout
    assert "チケット" not in result.stdout  # a command is not a question for staff


def test_validate_accepts_a_good_knowledge_base(tmp_path: Path, kb: Path) -> None:
    result = faqbot("faq", "validate", kb, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (
        0,
        f"OK: 3 entries, {1 + BUNDLED_RED_FLAGS} red flags, 1 handover rules; 0 warning(s)\n",
    )


def test_validate_lists_every_problem_and_fails(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        KB_YAML.replace("related: [blood_donation]", "related: [nothing]").replace(
            "    answer: 服用中と服用後1ヶ月は献血できません。\n", ""
        ),
        encoding="utf-8",
    )
    result = faqbot("faq", "validate", broken, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{broken}:33: [blood_donation] error: answer: required field is missing",
        f"{broken}:32: [alcohol] error: related: unknown entry id 'nothing'",
        "2 error(s), 0 warning(s)",
    ]


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path, kb: Path) -> None:
    (tmp_path / "config.yaml").write_text('clinic:\n  business_hours:\n    mon: "9時から"\n')
    result = faqbot("ask", "こんにちは", "--kb", kb, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        'faqbot: config.yaml:3 clinic.business_hours.mon: expected "HH:MM-HH:MM" or closed\n'
    )
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--db", "missing/db.sqlite3", "tickets", "list"],
            "faqbot: cannot open database missing/db.sqlite3: directory missing does not exist",
        ),
        (["ask", "hi", "--kb", "nowhere.yaml"], "faqbot: the knowledge base has 1 error(s)"),
        (["ask"], "faqbot: ask: give a question, or --jsonl to read questions from stdin"),
    ],
    ids=["db-directory", "kb-missing", "ask-without-question"],
)
def test_unusable_setup_is_one_line_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = faqbot(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.stderr


def test_unknown_ticket_is_refused_with_exit_1(tmp_path: Path) -> None:
    result = faqbot("--db", "db.sqlite3", "tickets", "reply", "9", "こんにちは", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, "faqbot: no ticket #9\n")


def test_run_without_a_messenger_says_so_and_fails(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("clinic:\n  name: 青空皮膚科\n", encoding="utf-8")
    result = faqbot("run", "--config", tmp_path / "config.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "no messenger is configured" in result.stderr
    assert "faqbot chat" in result.stderr


def test_run_without_the_token_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "telegram:\n  token_env: CLINIC_BOT_TOKEN\n", encoding="utf-8"
    )
    result = faqbot("run", "--config", tmp_path / "config.yaml", cwd=tmp_path)
    assert (result.returncode, result.stderr.strip()) == (
        2,
        "faqbot: telegram.token_env: the environment variable CLINIC_BOT_TOKEN is not set"
        " (it holds the bot token from @BotFather)",
    )


def test_run_on_line_without_its_secret_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "line:\n  channel_secret_env: CLINIC_LINE_SECRET\n", encoding="utf-8"
    )
    result = faqbot("run", "--config", tmp_path / "config.yaml", cwd=tmp_path)
    assert (result.returncode, result.stderr.strip()) == (
        2,
        "faqbot: line.channel_secret_env: the environment variable CLINIC_LINE_SECRET"
        " is not set (it holds the channel secret)",
    )
