"""When a task fires: once at a date, every interval between a start and an end, or on a
cron expression in a time zone (DST handled by zoneinfo). Pure functions of time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from croniter.croniter import CroniterBadDateError, CroniterError

MAX_SLOTS = 10_000


@dataclass(frozen=True)
class Timing:
    kind: str  # once | interval | cron
    start_at: datetime | None = None
    end_at: datetime | None = None
    interval_seconds: int | None = None
    cron: str | None = None
    timezone: str = "UTC"

    def slots(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """Fire times in (after, until], oldest first, as UTC datetimes."""
        if self.end_at is not None:
            until = min(until, self.end_at)
        if until <= after:
            return
        if self.kind == "once":
            assert self.start_at is not None
            if after < self.start_at <= until:
                yield self.start_at
            return
        if self.kind == "interval":
            assert self.interval_seconds and self.start_at is not None
            step = timedelta(seconds=self.interval_seconds)
            if after < self.start_at:
                first = self.start_at
            else:
                elapsed = (after - self.start_at) // step
                first = self.start_at + (elapsed + 1) * step
            moment = first
            count = 0
            while moment <= until and count < MAX_SLOTS:
                yield moment
                moment += step
                count += 1
            return
        assert self.cron
        zone = ZoneInfo(self.timezone)
        begin = after if self.start_at is None else max(after, self.start_at - timedelta(seconds=1))
        iterator = croniter(self.cron, begin.astimezone(zone))
        for _ in range(MAX_SLOTS):
            try:
                moment = iterator.get_next(datetime).astimezone(UTC)
            except CroniterError:  # no further date (a task stored before check_cron)
                return
            if moment > until:
                return
            if moment > after:
                yield moment

    def next_after(
        self, moment: datetime, horizon: timedelta = timedelta(days=3660)
    ) -> datetime | None:
        return next(self.slots(moment, moment + horizon), None)


def check_cron(expression: str) -> str:
    if not croniter.is_valid(expression):
        raise ValueError(f"not a valid cron expression: {expression!r}")
    try:  # a valid expression may still name no real date (Feb 31): it would never fire
        croniter(expression, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except (CroniterBadDateError, CroniterError) as exc:
        raise ValueError(f"cron expression {expression!r} never fires") from exc
    return expression


def check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except Exception as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = "January February March April May June July August September October November December"
UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _every(count: int, unit: str) -> str:
    return f"every {unit}" if count == 1 else f"every {count} {unit}s"


def duration(seconds: int) -> str:
    """3600 → "1 hour"; 5400 → "90 minutes" (the largest unit that divides it)."""
    for unit, size in UNITS:
        if seconds % size == 0:
            return _plural(seconds // size, unit)
    return _plural(seconds, "second")  # pragma: no cover - seconds always divide


def _day_name(token: str) -> str | None:
    if token.isdigit() and int(token) <= 7:
        return DAYS[int(token)]
    found = [d for d in DAYS if d[:3].lower() == token.lower()]
    return found[0] if found else None


def _days(field: str) -> str | None:
    parts: list[str] = []
    for token in field.split(","):
        low, _, high = token.partition("-")
        first, last = _day_name(low), _day_name(high) if high else None
        if first is None or (high and last is None):
            return None
        parts.append(f"{first} to {last}" if last else first)
    return ", ".join(parts)


def _clock(minute: str, hour: str) -> str | None:
    if minute == "*" and hour == "*":
        return "every minute"
    if minute.startswith("*/") and minute[2:].isdigit() and hour == "*":
        return _every(int(minute[2:]), "minute")
    if not minute.isdigit():
        return None
    if hour == "*":
        return f"every hour at minute {int(minute)}"
    if hour.startswith("*/") and hour[2:].isdigit():
        return f"{_every(int(hour[2:]), 'hour')} at minute {int(minute)}"
    hours = hour.split(",")
    if all(h.isdigit() and int(h) < 24 for h in hours):
        return "at " + ", ".join(f"{int(h):02d}:{int(minute):02d}" for h in hours)
    return None


def describe_cron(expression: str) -> str:
    """Common 5-field expressions in words ("at 02:00 every day"); others as they are."""
    fields = expression.split()
    fallback = f"on cron {expression}"
    if len(fields) != 5:
        return fallback
    minute, hour, dom, month, dow = fields
    clock = _clock(minute, hour)
    if clock is None:
        return fallback
    if dom == "*" and month == "*" and dow in ("*", "?"):
        return clock if clock.startswith("every") else f"{clock} every day"
    if dom == "*" and month == "*":
        days = _days(dow)
        return f"{clock} on {days}" if days else fallback
    if dow == "*" and all(d.isdigit() for d in dom.split(",")):
        where = f"on day {dom} of the month"
        if month == "*":
            return f"{clock} {where}"
        if month.isdigit() and 1 <= int(month) <= 12:
            return f"{clock} {where} in {MONTHS.split()[int(month) - 1]}"
    return fallback


def describe(timing: Timing) -> str:
    """The timing in words, for people: "once", "every 15 minutes", "at 02:00 every day
    (Europe/Paris)"."""
    if timing.kind == "once":
        return "once"
    if timing.kind == "interval":
        assert timing.interval_seconds
        count, _, unit = duration(timing.interval_seconds).partition(" ")
        return _every(int(count), unit.removesuffix("s"))
    assert timing.cron
    return f"{describe_cron(timing.cron)} ({timing.timezone})"
