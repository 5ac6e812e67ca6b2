"""Configuration: defaults, the documented example, and errors that name file, line and key."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, Span, load_config

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
faq:
  path: kb
storage:
  path: data/bot.sqlite3
clinic:
  name: 青空皮膚科
  business_hours:
    mon: "10:00-19:00"
    thu: closed
  holidays: [2026-12-31]
telegram:
  token_env: MY_BOT_TOKEN
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_config_file_means_defaults() -> None:
    config = load_config(None)
    assert config == Config()
    assert (config.storage.path, config.faq.path, config.clinic.timezone) == (
        Path("faqbot.sqlite3"),
        None,
        "Asia/Tokyo",
    )


def test_the_documented_example_is_valid() -> None:
    config = load_config(REPO / "config.example.yaml")
    assert config.telegram is not None
    assert config.line is not None
    assert config.console is not None
    assert config.clinic.business_hours.thu is None
    assert (config.telegram.token_env, config.telegram.mode) == ("TELEGRAM_BOT_TOKEN", "polling")


def test_every_option_of_the_example_has_a_comment() -> None:
    """Each key line follows a comment; sections and the weekdays under business_hours excepted."""
    lines = (REPO / "config.example.yaml").read_text(encoding="utf-8").splitlines()
    weekdays = ("mon:", "tue:", "wed:", "thu:", "fri:", "sat:", "sun:")
    uncommented = [
        line.strip()
        for before, line in zip(["", *lines], lines, strict=False)
        if line.strip()
        and not line.lstrip().startswith(("#", "-", *weekdays))
        and not line.rstrip().endswith(":")
        and not before.lstrip().startswith("#")
    ]
    assert uncommented == []


def test_telegram_options_are_read_with_their_defaults(tmp_path: Path) -> None:
    text = (
        "telegram:\n  staff_chat_id: -100123\n  admin_ids: [42, 43]\n  mode: webhook\n"
        "  webhook:\n    port: 8080\n    url: https://bot.example.jp/telegram\n"
    )
    telegram = load_config(write(tmp_path, text)).telegram
    assert telegram is not None
    assert (telegram.staff_chat_id, telegram.admin_ids, telegram.mode) == (
        -100123,
        (42, 43),
        "webhook",
    )
    assert (telegram.token_env, telegram.base_url, telegram.webhook.secret_env) == (
        "TELEGRAM_BOT_TOKEN",
        None,
        "TELEGRAM_WEBHOOK_SECRET",
    )
    assert (telegram.webhook.listen, telegram.webhook.port, telegram.webhook.path) == (
        "127.0.0.1",
        8080,
        "/telegram",
    )


def test_line_options_are_read_with_their_defaults(tmp_path: Path) -> None:
    text = "line:\n  api_url: http://127.0.0.1:9000\n  webhook:\n    port: 9001\n"
    line = load_config(write(tmp_path, text)).line
    assert line is not None
    assert (line.api_url, line.data_api_url) == ("http://127.0.0.1:9000", None)
    assert (line.webhook.listen, line.webhook.port, line.webhook.path) == (
        "127.0.0.1",
        9001,
        "/line",
    )
    assert (line.channel_secret_env, line.access_token_env) == (
        "FAQBOT_LINE_CHANNEL_SECRET",
        "FAQBOT_LINE_ACCESS_TOKEN",
    )


def test_console_options_are_read_with_their_defaults(tmp_path: Path) -> None:
    console = load_config(write(tmp_path, "console:\n  port: 0\n")).console
    assert console is not None
    assert (console.listen, console.port, console.session_hours) == ("127.0.0.1", 0, 12)
    assert (console.secure_cookies, console.login_attempts, console.refresh_seconds) == (
        True,
        5,
        3.0,
    )


def test_without_a_console_section_there_is_no_console() -> None:
    assert Config().console is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("console:\n  secure_cookies: maybe\n", "console.secure_cookies: expected true or false"),
        ("console:\n  session_hours: 0\n", "console.session_hours: Input should be greater than 0"),
        (
            "console:\n  login_attempts: 0\n",
            "console.login_attempts: Input should be greater than or equal to 1",
        ),
        ("console:\n  port: 70000\n", "console.port: Input should be less than or equal to 65535"),
    ],
    ids=["cookies-not-bool", "no-session-time", "no-attempts", "port-too-big"],
)
def test_console_options_are_checked(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert caught.value.lines() == [f"{tmp_path / 'config.yaml'}:2 {expected}"]


def test_a_line_api_url_must_be_a_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "line:\n  api_url: api.line.me\n"))
    assert caught.value.lines() == [
        f"{tmp_path / 'config.yaml'}:2 line.api_url: expected an http:// or https:// URL"
    ]


def test_values_are_read_and_relative_paths_are_beside_the_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.storage.path == tmp_path / "data" / "bot.sqlite3"
    assert config.faq.path == tmp_path / "kb"
    assert config.clinic.name == "青空皮膚科"
    assert config.clinic.business_hours.mon == Span(time(10), time(19))
    assert config.clinic.business_hours.tue == Span(time(9), time(18))  # default kept
    assert config.clinic.business_hours.thu is None
    assert config.clinic.holidays == (date(2026, 12, 31),)


def test_secrets_come_from_the_environment_and_stay_out_of_repr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_BOT_TOKEN", "123:very-secret")
    config = load_config(write(tmp_path, GOOD))
    assert config.telegram is not None
    assert config.telegram.token() == "123:very-secret"
    assert "very-secret" not in repr(config)
    assert "very-secret" not in str(config)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "clinic:\n  business_hours:\n    mon: 9-18\n",
            'config.yaml:3 clinic.business_hours.mon: expected "HH:MM-HH:MM" or closed',
        ),
        (
            'clinic:\n  business_hours:\n    tue: "18:00-09:00"\n',
            "config.yaml:3 clinic.business_hours.tue: opening time must be before closing time",
        ),
        (
            "clinic:\n  timezone: Asia/Tokio\n",
            "config.yaml:2 clinic.timezone: unknown time zone 'Asia/Tokio' (e.g. Asia/Tokyo)",
        ),
        (
            "clinic:\n  holidays:\n    - 2026-12-31\n    - tomorrow\n",
            "config.yaml:4 clinic.holidays[1]: expected a date (YYYY-MM-DD)",
        ),
        ("\nstorage:\n  pth: x.db\n", "config.yaml:3 storage.pth: unknown key (misspelt?)"),
        ("\n\ndatabase: x.db\n", "config.yaml:3 database: renamed: write it as storage.path"),
        (
            "telegram:\n  mode: pull\n",
            "config.yaml:2 telegram.mode: Input should be 'polling' or 'webhook'",
        ),
        (
            "telegram:\n  base_url: api.telegram.org\n",
            "config.yaml:2 telegram.base_url: expected an http:// or https:// URL",
        ),
        (
            "telegram:\n  staff_chat_id: staff\n",
            "config.yaml:2 telegram.staff_chat_id: expected an integer",
        ),
        (
            "clinic:\n  business_hours:\n"
            + "".join(f"    {d}: closed\n" for d in ("mon", "tue", "wed", "thu", "fri", "sat")),
            "config.yaml:2 clinic.business_hours: at least one weekday needs opening hours",
        ),
        (
            "clinic: [\n",
            "config.yaml:2: YAML syntax error: expected the node content, but found '<stream end>'",
        ),
        ("- a list\n", "config.yaml:1: expected a mapping of keys at the top"),
    ],
    ids=[
        "bad-hours",
        "hours-backwards",
        "unknown-zone",
        "bad-holiday",
        "misspelt-key",
        "renamed-key",
        "unknown-mode",
        "base-url-not-a-url",
        "chat-id-not-int",
        "never-open",
        "yaml-syntax",
        "not-a-mapping",
    ],
)
def test_problem_names_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert caught.value.lines() == [expected.replace("config.yaml", str(tmp_path / "config.yaml"))]


def test_every_problem_is_reported_at_once_in_file_order(tmp_path: Path) -> None:
    text = "clinic:\n  timezone: Mars/Base\n  name: ''\ntelegram:\n  token_env: not a name\n"
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert [(p.line, p.key) for p in caught.value.problems] == [
        (2, "clinic.timezone"),
        (3, "clinic.name"),
        (5, "telegram.token_env"),
    ]


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: cannot read: No such file"):
        load_config(tmp_path / "nope.yaml")
