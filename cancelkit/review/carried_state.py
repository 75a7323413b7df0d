"""The order state a review carries with a row: what the writer seals of each row's order
state (the state part of its evidence cell), and what `generate --from-review` without a
fresh order report carries from it onto the row (its findings, their risk, its age)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..assess.impact import RISK_ORDER, assessment_for
from ..codes import Flag
from ..read.words import is_yes

#: flags of a review row that come from its order's state (the report, the ship-by date):
#: `--from-review` without a fresh order report carries them, and their risk, onward
STATE_FLAG_PREFIXES = ("order_",)
STATE_FLAG_CODES = frozenset(("past_ship_by", "verge_of_cancellation"))

#: the least risk a state finding gives a row (assess/impact.py), where the record's own
#: risk does not show it (a reason that is already riskier)
_STATE_RISK = {
    "order_partially_shipped": "medium",
    "order_report_unreadable": "high",
    "past_ship_by": "low",
    "verge_of_cancellation": "low",
}


def state_evidence(record: dict) -> dict | None:
    """What the review knew of the row's order state: status, channel, the state findings
    and the risk they set (None when the run had no order state for it)."""
    found = record.get("order_state") or {}
    flags = [
        [f["code"], f["message"]]
        for f in record["flags"]
        if f["code"].startswith(STATE_FLAG_PREFIXES) or f["code"] in STATE_FLAG_CODES
    ]
    if not found and not flags:
        return None
    requested = bool(record.get("buyer_requested")) and is_yes(record["buyer_requested"])
    base = assessment_for(record["reason"], requested).risk
    risk = record["risk"] if RISK_ORDER[record["risk"]] > RISK_ORDER[base] else "none"
    for code, _ in flags:
        risk = max(risk, _STATE_RISK.get(code, "none"), key=RISK_ORDER.__getitem__)
    state = {"risk": risk, "flags": flags}
    for key in ("order_status", "fulfillment_channel"):
        if found.get(key):
            state[key] = found[key]
    return state


_RISKS = ("none", "low", "medium", "high")


def carry_state(
    state, reports: dict | None, flags: list[Flag], now: dt.datetime, max_age_hours: float
) -> str | None:
    """Carry the order state a review checked onto its row (no fresh report is given):
    the findings as flags, and the risk floor they set; says how old the check is."""
    if not isinstance(state, dict):
        return None
    floor = state.get("risk") if state.get("risk") in _RISKS else "none"
    checked = (reports or {}).get("checked_at", "")
    for code, message in state.get("flags", ()):
        flags.append(Flag(str(code), f"in the review of {checked}: {message}"))
    what = (
        ", ".join(
            f"{name} {state[key]}"
            for key, name in (("order_status", "status"), ("fulfillment_channel", "channel"))
            if state.get(key)
        )
        or "no state column"
    )
    sources = (reports or {}).get("reports", [])
    as_of = [_moment(r.get("as_of")) for r in sources]
    known = [m for m in as_of if m is not None]
    if not sources:
        where = "the review's input columns"
        oldest = _moment(checked)
    else:
        where = ", ".join(f"{r.get('path')} (sha256 {str(r.get('sha256'))[:12]})" for r in sources)
        oldest = min(known) if len(known) == len(sources) else None
    age = None if oldest is None else (now - oldest).total_seconds() / 3600
    if age is None or age > max_age_hours:
        told = "of unknown age" if age is None else f"{age:.0f} hours old"
        flags.append(
            Flag(
                "review_state_stale",
                f"order state checked in the review ({what}; {where}, as of "
                f"{', '.join(r.get('as_of') or '?' for r in sources) or checked}) is {told}, "
                f"over {max_age_hours:g} hours: orders ship and get cancelled meanwhile; pass "
                "--orders-report with a fresh report to check it again",
            )
        )
        floor = max(floor, "medium", key=_RISKS.index)
    else:
        flags.append(
            Flag(
                "review_state_checked",
                f"order state as checked in the review ({what}; {where}, {age:.0f} hours "
                "old); not checked again: no --orders-report given",
            )
        )
    return None if floor == "none" else floor


@dataclass(frozen=True)
class Carried:
    """What carrying a review's order state onto its rows needs (no fresh report given):
    the sealed facts of the order reports the review checked, now, and the age limit."""

    reports: dict | None
    now: dt.datetime
    max_age_hours: float

    def onto(self, state, flags: list[Flag]) -> str | None:
        """`carry_state` of one row's sealed state: its flags added, its risk floor."""
        return carry_state(state, self.reports, flags, self.now, self.max_age_hours)


def _moment(text) -> dt.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
