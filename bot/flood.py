"""Per-patient rate limiting: a flood is answered once and kept away from matching and staff.

Every message counts, dropped ones too, so a script that keeps sending stays limited
until it pauses; a person typing never comes near the limits. Kept in memory: after a
restart a flooding account gets one more notice, which costs nothing.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
# Patients not heard from for this long are forgotten here (their windows are empty).
_IDLE = HOUR


class Verdict(Enum):
    PASS = "pass"  # within the limits: handle as usual
    NOTICE = "notice"  # the first message over a limit: tell the patient, once
    DROP = "drop"  # still over: acknowledged, not matched, not stored


@dataclass(slots=True)
class _Window:
    times: deque[datetime]
    noticed: bool = False
    safety_at: datetime | None = None  # the last safety message sent while flooding


@dataclass(slots=True)
class FloodGate:
    """Sliding windows of message times, one per patient (channel, user id)."""

    per_minute: int
    per_hour: int
    _windows: dict[tuple[str, str], _Window] = field(default_factory=dict)
    _swept: datetime | None = None

    def check(self, channel: str, user_id: str, now: datetime) -> Verdict:
        """Count this message and say what to do with it."""
        self._sweep(now)
        window = self._windows.get((channel, user_id))
        if window is None:
            size = max(self.per_minute, self.per_hour) + 1
            window = self._windows[(channel, user_id)] = _Window(deque(maxlen=size))
        window.times.append(now)
        if not self._over(window.times, now):
            window.noticed = False
            return Verdict.PASS
        if window.noticed:
            return Verdict.DROP
        window.noticed = True
        return Verdict.NOTICE

    def safety_due(self, channel: str, user_id: str, now: datetime, every: timedelta) -> bool:
        """Whether a flooding patient's red flag gets the safety message now (then not again
        for `every`): a script repeating 胸が痛い must not open a ticket a second."""
        window = self._windows.get((channel, user_id))
        if window is None:
            return True
        if window.safety_at is not None and now - window.safety_at < every:
            return False
        window.safety_at = now
        return True

    def forget(self, channel: str, user_id: str) -> None:
        self._windows.pop((channel, user_id), None)

    def _over(self, times: deque[datetime], now: datetime) -> bool:
        """More than the limit within the last minute or hour (this message included)."""
        return _count_since(times, now - MINUTE, self.per_minute + 1) > self.per_minute or (
            _count_since(times, now - HOUR, self.per_hour + 1) > self.per_hour
        )

    def _sweep(self, now: datetime) -> None:
        """Drop idle patients' windows now and then, so memory stays bounded."""
        if self._swept is not None and now - self._swept < _IDLE:
            return
        self._swept = now
        idle = [key for key, w in self._windows.items() if now - w.times[-1] >= _IDLE]
        for key in idle:
            del self._windows[key]


def _count_since(times: deque[datetime], start: datetime, enough: int) -> int:
    """How many of the newest times are after `start`, counting at most `enough`."""
    count = 0
    for stamp in reversed(times):
        if stamp <= start or count >= enough:
            break
        count += 1
    return count
