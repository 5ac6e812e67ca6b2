"""Log records made safe before any handler writes them: no tokens, secrets or patient words.

Two rules, applied by a filter on the root logger's handlers:
- every record: bot tokens in Bot API URLs (`/bot<id>:<secret>/`), bearer tokens (LINE's
  channel access token in an Authorization header) and the configured secrets are redacted,
  in the message and in the formatted traceback;
- records of other libraries below WARNING keep their template but lose their arguments:
  python-telegram-bot logs every Bot API call's parameters and results at DEBUG (message
  texts, names), and no pattern can recognise a patient's words.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "[redacted]"
# Our own loggers never put patient words or secrets in their arguments.
OWN_LOGGERS = ("bot", "faq", "bench", "__main__")
_PATTERNS = (
    re.compile(r"(?<=bot)\d+:[A-Za-z0-9_-]+"),  # …/bot123456:AAF…/sendMessage
    re.compile(r"(?<=Bearer )[A-Za-z0-9+/=._~-]+", re.IGNORECASE),
)
# Shorter values are no secrets worth the name, and would redact ordinary words.
_MIN_SECRET = 6


class RedactingFilter(logging.Filter):
    """Rewrites records in place (it never drops one); `add_secrets` for exact values."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self.add_secrets(secrets)

    def add_secrets(self, secrets: Iterable[str | None]) -> None:
        self._secrets.update(s for s in secrets if s is not None and len(s) >= _MIN_SECRET)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING and not _own(record.name):
            message = str(record.msg)
        else:
            message = record.getMessage()
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install(*secrets: str | None) -> RedactingFilter:
    """Put the filter on every handler of the root logger (once); remember `secrets`."""
    root = logging.getLogger()
    found = next(
        (f for h in root.handlers for f in h.filters if isinstance(f, RedactingFilter)), None
    )
    redactor = found if found is not None else RedactingFilter()
    redactor.add_secrets(secrets)
    for handler in root.handlers:
        if redactor not in handler.filters:
            handler.addFilter(redactor)
    return redactor


def uninstall(redactor: RedactingFilter) -> None:
    for handler in logging.getLogger().handlers:
        handler.removeFilter(redactor)


def _own(name: str) -> bool:
    return any(name == own or name.startswith(own + ".") for own in OWN_LOGGERS)
