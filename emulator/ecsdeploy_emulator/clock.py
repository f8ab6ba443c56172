"""Simulated time, per account: real elapsed time times an acceleration factor.

Every time AWS counts in seconds (a task's start, a target group's health checks, the health check
grace period, the deregistration delay) the emulator counts in simulated seconds of the account's
clock, and the rollout model (`rollout`) is advanced to the clock's time whenever it is observed or
changed. So what a client sees depends on when it looks in simulated time, never on how often.

- Simulated time starts at 0 when the account's clock is first used (its `origin`, a real UTC
  datetime: a simulated time `t` is shown to clients as `origin + t`, e.g. event `createdAt`).
- It runs at `factor` simulated seconds per real second: the server's default (`--time-factor`,
  `DEFAULT_FACTOR`) unless the account has its own (control API `POST .../clock {"factor": F}`);
  a factor of 0 freezes the clock, and `{"advance_seconds": N}` steps it forward by N: together they
  make tests deterministic.
- It never goes backwards. Times are integer milliseconds, so equal steps give equal times exactly.

Callers hold `locking.EXTENSION_LOCK`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# 100 simulated seconds per real second: ecsdeploy's end-to-end tests poll every 50 ms, which is
# then the manifest's default `poll_interval` of 5 s in simulated time; a default rollout there
# (30 s task start, 2 health checks 10 s apart, 30 s deregistration delay) takes 0.5-0.8 s.
DEFAULT_FACTOR = 100.0
MAX_FACTOR = 1_000_000.0
MAX_ADVANCE_SECONDS = 366 * 24 * 3600

_default_factor = DEFAULT_FACTOR


def set_default_factor(factor: float) -> None:
    """The server's factor (`--time-factor`), for accounts without one of their own."""
    global _default_factor
    check_factor(factor)
    for account_clock in _CLOCKS.values():
        account_clock.reanchor()  # time so far at the old factor
    _default_factor = float(factor)


def default_factor() -> float:
    return _default_factor


def check_factor(factor: Any) -> None:
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 <= factor <= MAX_FACTOR:
        raise ValueError(f"factor must be a number from 0 to {MAX_FACTOR:g} (0 freezes the clock)")


def _whole_milliseconds_now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass
class AccountClock:
    origin: datetime = field(default_factory=_whole_milliseconds_now)
    base_ms: int = 0
    anchor: float = field(default_factory=time.monotonic)
    factor: float | None = None  # None: the server's default

    def effective_factor(self) -> float:
        return _default_factor if self.factor is None else self.factor

    def now_ms(self) -> int:
        elapsed = max(0.0, time.monotonic() - self.anchor)
        return self.base_ms + int(elapsed * self.effective_factor() * 1000)

    def reanchor(self) -> None:
        self.base_ms, self.anchor = self.now_ms(), time.monotonic()

    def set_factor(self, factor: float | None) -> None:
        if factor is not None:
            check_factor(factor)
        self.reanchor()
        self.factor = None if factor is None else float(factor)

    def advance(self, milliseconds: int) -> None:
        if milliseconds < 0:
            raise ValueError("the clock never goes backwards")
        self.reanchor()
        self.base_ms += milliseconds

    def datetime_at(self, milliseconds: int) -> datetime:
        return self.origin + timedelta(milliseconds=milliseconds)

    def to_json(self, account_id: str) -> dict[str, Any]:
        now = self.now_ms()
        return {
            "account_id": account_id,
            "now_seconds": now / 1000,
            "now": self.datetime_at(now).isoformat(),
            "origin": self.origin.isoformat(),
            "factor": self.effective_factor(),
            "account_factor": self.factor,
            "default_factor": _default_factor,
        }


_CLOCKS: dict[str, AccountClock] = {}


def clock_for(account_id: str) -> AccountClock:
    """The account's clock, started (at simulated 0) on first use."""
    found = _CLOCKS.get(account_id)
    if found is None:
        found = _CLOCKS[account_id] = AccountClock()
    return found


def now_ms(account_id: str) -> int:
    return clock_for(account_id).now_ms()


def datetime_at(account_id: str, milliseconds: int) -> datetime:
    return clock_for(account_id).datetime_at(milliseconds)


def seconds_to_ms(seconds: float) -> int:
    return int(round(seconds * 1000))
