"""One order report file as the evidence sees it: its kind, its time and how it was told,
its age, and the window a complete listing covers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ReportFile:
    """What one order report file is: for the evidence the summary and the report show."""

    source: str
    #: the order lines read from it
    lines: int
    #: the newest purchase-date in it (None without that column or dates)
    newest_purchase: dt.datetime | None
    #: the file's modification time
    file_time: dt.datetime
    #: whether it has Amazon's optional is-buyer-requested-cancellation column
    buyer_request_column: bool
    #: whether it is an all-orders report (order-status column)
    all_orders: bool
    #: "all-orders", "unshipped" (Amazon's Unshipped Orders report), "fetch-orders"
    #: (cancelkit's own file) or "other"
    kind: str = "other"
    #: the newest plausible date of its lines (any date column), and that column's name
    newest_date: dt.datetime | None = None
    newest_basis: str | None = None
    #: dates later than the run's clock: how many, and the first one as "line N: value"
    future_dates: int = 0
    first_future: str | None = None
    #: for a complete listing of the cancellable orders (an Unshipped Orders report, a
    #: fetch-orders file): the window it covers, or None when it cannot be known
    window: tuple[dt.datetime, dt.datetime] | None = None
    #: a fetch-orders file's marketplace code
    marketplace: str | None = None
    #: the fetch-orders file's own time (when it was fetched)
    fetched_at: dt.datetime | None = None

    @property
    def complete(self) -> bool:
        """Whether it lists every cancellable order of its window."""
        return self.kind in ("unshipped", "fetch-orders")

    @property
    def moment(self) -> dt.datetime:
        """When the report was downloaded, as well as it can be told: a fetch-orders
        file's own time, else its newest plausible date, else the file's modification time."""
        return self.fetched_at or self.newest_date or self.file_time

    @property
    def basis(self) -> str:
        if self.fetched_at is not None:
            return "fetched-at"
        if self.newest_date is not None:
            return self.newest_basis or "purchase-date"
        return "file-time"

    def when(self) -> str:
        """`report.txt (newest purchase-date 2026-11-24 11:30 UTC)`, for messages."""
        words = {"file-time": "file time", "fetched-at": "fetched at"}
        basis = words.get(self.basis, f"newest {self.basis}")
        return (
            f"{self.source} ({basis} {self.moment.astimezone(dt.timezone.utc):%Y-%m-%d %H:%M} UTC)"
        )

    def age_hours(self, now: dt.datetime) -> float:
        """Hours since the report's time (`moment`)."""
        return max(0.0, (now - self.moment).total_seconds() / 3600)

    def evidence(self, now: dt.datetime, max_age_hours: float) -> dict:
        """The report's entry of the summary (`summary["order_reports"]`)."""
        age = self.age_hours(now)
        stale = age > max_age_hours
        basis = {"file-time": "file time", "fetched-at": "fetched at"}.get(
            self.basis, f"newest {self.basis}"
        )
        moment = self.moment
        text = (
            f"{self.source}: {self.lines} order lines; {basis} "
            f"{moment.astimezone(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, {_age_words(age)} ago"
        )
        if self.future_dates:
            text += (
                f"; {self.future_dates} date(s) in the future ({self.first_future}): not "
                "taken as the report's age, check the report (or the computer's clock)"
            )
        if stale:
            text += (
                f", older than {max_age_hours:g} hours: it does not show orders shipped or "
                "cancelled since; download a fresh report before uploading"
            )
        return {
            "path": self.source,
            "order_lines": self.lines,
            "newest_purchase": _iso(self.newest_purchase),
            "file_time": _iso(self.file_time),
            "age_hours": round(age, 1),
            "age_basis": self.basis,
            "newest_date": _iso(self.newest_date),
            "future_dates": self.future_dates,
            "first_future_date": self.first_future,
            "kind": self.kind,
            "window": [_iso(self.window[0]), _iso(self.window[1])] if self.window else None,
            "stale": stale,
            "max_age_hours": max_age_hours,
            "buyer_request_column": self.buyer_request_column,
            "text": text,
        }


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _age_words(hours: float) -> str:
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"


def _parse_time(text: str) -> dt.datetime | None:
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment
