"""The bot's configuration: YAML validated into frozen objects, every problem reported at once."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    field_validator,
    model_validator,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


@dataclass(frozen=True, slots=True)
class Span:
    """Opening hours of one day."""

    open: time
    close: time


def _span(value: object) -> Span | None:
    if value is None or value == "closed":
        return None
    match = _SPAN.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError('expected "HH:MM-HH:MM" or closed')
    oh, om, ch, cm = (int(part) for part in match.groups())
    if oh > 23 or ch > 23 or om > 59 or cm > 59:
        raise ValueError('expected "HH:MM-HH:MM" with real times')
    span = Span(time(oh, om), time(ch, cm))
    if span.open >= span.close:
        raise ValueError("opening time must be before closing time")
    return span


DayHours = Annotated[Span | None, PlainValidator(_span)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BusinessHours(_Frozen):
    mon: DayHours = Span(time(9), time(18))
    tue: DayHours = Span(time(9), time(18))
    wed: DayHours = Span(time(9), time(18))
    thu: DayHours = Span(time(9), time(18))
    fri: DayHours = Span(time(9), time(18))
    sat: DayHours = Span(time(9), time(13))
    sun: DayHours = None

    @model_validator(mode="after")
    def _some_day_open(self) -> BusinessHours:
        if all(self.on(day) is None for day in range(7)):
            raise ValueError("at least one weekday needs opening hours")
        return self

    def on(self, weekday: int) -> Span | None:
        """Hours for a `date.weekday()` (0 = Monday), None when closed."""
        span: Span | None = getattr(self, WEEKDAYS[weekday])
        return span


class Clinic(_Frozen):
    name: str = Field(default="クリニック", min_length=1)
    timezone: str = "Asia/Tokyo"
    business_hours: BusinessHours = BusinessHours()
    holidays: tuple[date, ...] = ()
    # A ticket waiting this long for staff (business hours only) is reminded; 0: never.
    remind_after_minutes: int = Field(default=60, ge=0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Tokyo)") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class WebhookConfig(_Frozen):
    """Where Telegram posts updates in webhook mode; the secret comes from the environment."""

    listen: str = "127.0.0.1"
    port: int = Field(default=8443, ge=0, le=65535)  # 0: any free port
    path: str = Field(default="/telegram", pattern=r"^/[A-Za-z0-9_\-/]*$")
    url: str | None = Field(default=None, pattern=r"^https://")
    secret_env: str = Field(default="TELEGRAM_WEBHOOK_SECRET", pattern=_ENV_NAME)

    def secret(self) -> str | None:
        return os.environ.get(self.secret_env) or None


class TelegramConfig(_Frozen):
    """Telegram channel; the token is read from the named environment variable only."""

    token_env: str = Field(default="TELEGRAM_BOT_TOKEN", pattern=_ENV_NAME)
    base_url: str | None = Field(default=None, pattern=r"^https?://")
    base_file_url: str | None = Field(default=None, pattern=r"^https?://")
    staff_chat_id: int | None = None
    admin_ids: tuple[int, ...] = ()
    mode: Literal["polling", "webhook"] = "polling"
    poll_timeout: int = Field(default=30, ge=0, le=50)
    urgent_pin: bool = True
    urgent_mention: str | None = None
    # How long a staff member's membership of the staff group is trusted before asking
    # Telegram again (a chat_member update or a leave drops it at once).
    staff_member_cache_seconds: float = Field(default=60.0, ge=0, le=3600)
    webhook: WebhookConfig = WebhookConfig()

    def token(self) -> str | None:
        return os.environ.get(self.token_env) or None


class LineWebhookConfig(_Frozen):
    """Where LINE posts webhook events (the Developers console's webhook URL, proxied here)."""

    listen: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port
    path: str = Field(default="/line", pattern=r"^/[A-Za-z0-9_\-/]*$")


class LineConfig(_Frozen):
    """LINE channel; secrets are read from the named environment variables only."""

    channel_secret_env: str = Field(default="FAQBOT_LINE_CHANNEL_SECRET", pattern=_ENV_NAME)
    access_token_env: str = Field(default="FAQBOT_LINE_ACCESS_TOKEN", pattern=_ENV_NAME)
    # None: LINE's own hosts (https://api.line.me, https://api-data.line.me); tests set a fake.
    api_url: str | None = Field(default=None, pattern=r"^https?://")
    data_api_url: str | None = Field(default=None, pattern=r"^https?://")
    webhook: LineWebhookConfig = LineWebhookConfig()

    def channel_secret(self) -> str | None:
        return os.environ.get(self.channel_secret_env) or None

    def access_token(self) -> str | None:
        return os.environ.get(self.access_token_env) or None


class ConsoleConfig(_Frozen):
    """The staff web console `faqbot run` serves (put a TLS proxy in front of it)."""

    listen: str = "127.0.0.1"
    port: int = Field(default=8090, ge=0, le=65535)  # 0: any free port
    session_hours: float = Field(default=12, gt=0, le=24 * 30)
    # False only for plain-http use on this machine: browsers drop Secure cookies over http.
    secure_cookies: bool = True
    # Failed sign-ins allowed per 15 minutes, per account name and per remote address.
    login_attempts: int = Field(default=5, ge=1, le=1000)
    # How often the queue page asks for new tickets (seconds).
    refresh_seconds: float = Field(default=3.0, ge=1, le=600)


class FaqConfig(_Frozen):
    path: Path | None = None  # None: the bundled faq/kb/
    reload_check_seconds: float = Field(default=5.0, ge=0)  # 0: reload on /reload only
    # Match messengers' messages in a worker process, before the store's lock is taken.
    matcher_process: bool = True


class StorageConfig(_Frozen):
    path: Path = Path("faqbot.sqlite3")


class PrivacyConfig(_Frozen):
    # Patients' words older than this are removed by the retention job; 0: kept forever.
    retention_days: int = Field(default=365, ge=0)


class SafetyConfig(_Frozen):
    """Triage, consent and flood settings (issue 7)."""

    # Patients agree to what is stored before their first question is stored.
    consent: bool = True
    # An urgent ticket no staff member opened is re-alerted this often (wall clock: an
    # urgent report waits for nobody); 0: never.
    urgent_realert_minutes: int = Field(default=10, ge=0)
    urgent_realert_max: int = Field(default=6, ge=0)
    # Messages one patient may send; beyond, one notice and the rest dropped. Far above
    # what a person types, so only scripts and stuck keys reach them.
    rate_per_minute: int = Field(default=20, ge=1)
    rate_per_hour: int = Field(default=200, ge=1)
    # While flooding, a red-flag message still gets the safety message, this rarely.
    flood_safety_minutes: float = Field(default=5.0, ge=0)


class Config(_Frozen):
    faq: FaqConfig = FaqConfig()
    storage: StorageConfig = StorageConfig()
    clinic: Clinic = Clinic()
    telegram: TelegramConfig | None = None
    line: LineConfig | None = None
    console: ConsoleConfig | None = None
    privacy: PrivacyConfig = PrivacyConfig()
    safety: SafetyConfig = SafetyConfig()


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    line: int | None
    key: str
    message: str


class ConfigError(Exception):
    """The configuration file cannot be used; one line per problem in `str()`."""

    def __init__(self, file: str, problems: Sequence[ConfigProblem]) -> None:
        self.file = file
        self.problems = list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        out = []
        for p in self.problems:
            where = f"{self.file}:{p.line}" if p.line else self.file
            out.append(f"{where} {p.key}: {p.message}" if p.key else f"{where}: {p.message}")
        return out


def load_config(path: str | Path | None) -> Config:
    """The configuration in `path`; defaults when `path` is None. Raises ConfigError."""
    if path is None:
        return Config()
    file = str(path)
    data, root = _read_yaml(Path(path))
    if not isinstance(data, dict):
        raise ConfigError(file, [ConfigProblem(1, "", "expected a mapping of keys at the top")])
    problems = [
        ConfigProblem(_line(root, (old,)), old, f"renamed: write it as {new}")
        for old, new in _RENAMED.items()
        if old in data
    ]
    try:
        config = Config.model_validate({k: v for k, v in data.items() if k not in _RENAMED})
    except ValidationError as exc:
        problems += [_problem(err, root) for err in exc.errors()]
    if problems:
        raise ConfigError(file, sorted(problems, key=lambda p: p.line or 0))
    return _resolve_paths(config, Path(path).parent)


# Keys of earlier versions, named in the error so an old config is easy to fix.
_RENAMED = {"knowledge_base": "faq.path", "database": "storage.path"}


def _read_yaml(path: Path) -> tuple[object, yaml.Node | None]:
    """The parsed file (an empty file is an empty mapping) and its node tree, for lines."""
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except OSError as exc:
        problem = ConfigProblem(None, "", f"cannot read: {exc.strerror}")
        raise ConfigError(str(path), [problem]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or "invalid YAML"
        problem = ConfigProblem(line, "", f"YAML syntax error: {reason}")
        raise ConfigError(str(path), [problem]) from None
    return ({} if data is None else data), root


def _resolve_paths(config: Config, base: Path) -> Config:
    """Relative paths in a config file mean: beside the config file."""
    kb, db = config.faq.path, config.storage.path
    return config.model_copy(
        update={
            "faq": config.faq.model_copy(
                update={"path": base / kb if kb is not None and not kb.is_absolute() else kb}
            ),
            "storage": config.storage.model_copy(
                update={"path": db if db.is_absolute() else base / db}
            ),
        }
    )


def with_database(config: Config, path: Path) -> Config:
    """The config with another database (`--db`)."""
    return config.model_copy(update={"storage": config.storage.model_copy(update={"path": path})})


def _problem(err: Any, root: yaml.Node | None) -> ConfigProblem:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return ConfigProblem(_line(root, loc), key, _friendly(err["type"], err["msg"], loc))


_MESSAGES = {
    "missing": "required",
    "extra_forbidden": "unknown key (misspelt?)",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer",
    "string_type": "expected a string",
    "date_type": "expected a date (YYYY-MM-DD)",
    "date_parsing": "expected a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "expected a date (YYYY-MM-DD)",
    "model_type": "expected a mapping",
    "tuple_type": "expected a list",
    "path_type": "expected a path",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "string_pattern_mismatch": "expected an environment variable name (e.g. FAQBOT_TOKEN)",
}
_PATTERN_MESSAGES = {
    "base_url": "expected an http:// or https:// URL",
    "base_file_url": "expected an http:// or https:// URL",
    "api_url": "expected an http:// or https:// URL",
    "data_api_url": "expected an http:// or https:// URL",
    "url": "expected an https:// URL (Telegram posts only to HTTPS)",
    "path": "expected a URL path starting with / (letters, digits, _ - /)",
}


def _friendly(kind: str, message: str, loc: Sequence[str | int]) -> str:
    if kind == "string_pattern_mismatch" and loc and loc[-1] in _PATTERN_MESSAGES:
        return _PATTERN_MESSAGES[str(loc[-1])]
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    return _MESSAGES.get(kind, message)


def _line(root: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """Line of the deepest key along `loc` that exists in the file."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        found = _child(node, part)
        if found is None:
            break
        line, node = found
    return line


def _child(node: yaml.Node | None, key: str | int) -> tuple[int, yaml.Node] | None:
    """The line of `key` (the key itself, not its value) and its value node."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return k.start_mark.line + 1, v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        item: yaml.Node = node.value[key]
        return item.start_mark.line + 1, item
    return None
