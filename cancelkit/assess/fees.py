"""The cancellation-fee rule of a run: each row's fee is its own marketplace's (India's),
whatever `--marketplace` says, with the seller's referral-fee rate."""

from __future__ import annotations

import datetime as dt

from ..amazon import policy
from ..options import Options
from ..validate.rows import Record
from .impact import FeeRule, fee_rule


class Fees:
    """The fee rules of the marketplaces a batch names, built once per marketplace."""

    def __init__(self, options: Options) -> None:
        self.options = options
        market = policy.marketplace(options.marketplace, options.policy_overrides)
        #: the code of `--marketplace` and its rule (its overrides apply to it alone)
        self.default_code = policy.marketplace(options.marketplace).code
        self.default = fee_rule(market, options.referral_fee_rate)
        self._rules: dict[str, FeeRule | None] = {}

    def any(self) -> FeeRule | None:
        """A rule of the run, if any marketplace of it charges a fee (the summary's)."""
        return self.default or next(filter(None, self._rules.values()), None)

    def rule_of(self, code: str) -> FeeRule | None:
        """The fee rule of a marketplace (None: it charges no fee, or the rate is unknown)."""
        if code == self.default_code:
            return self.default
        if code not in self._rules:
            market = policy.marketplace(code, self.options.policy_table.get(code))
            self._rules[code] = fee_rule(market, self.options.referral_fee_rate)
        return self._rules[code]

    def fee(self, record: Record, code: str, today: dt.date) -> float | None:
        """The estimated fee of an accepted, assessed record of marketplace `code` (the
        record is flagged with it), or None."""
        rule = self.rule_of(code)
        return rule.apply(record, today) if rule is not None else None
