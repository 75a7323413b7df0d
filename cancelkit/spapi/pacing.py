"""Pacing to Amazon's rate limits: a token bucket per operation, of its published rate and
burst (vocabulary.RATE_LIMITS), and the words of a pause."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Bucket:
    """A token bucket: `rate` calls a second, up to `burst` at once."""

    rate: float
    burst: float
    tokens: float
    stamp: float

    def wait_for_one(self, now: float) -> float:
        """Seconds to wait before the next call may go out."""
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float, waited: float) -> None:
        """One call goes out after waiting `waited` seconds (a paused clock still counts it)."""
        self.tokens = max(0.0, self.tokens + waited * self.rate - 1) if waited else self.tokens - 1
        self.stamp = max(self.stamp, now)


def wait_text(seconds: float, why: str) -> str:
    """The line a command shows for a pause of the client (`on_wait`)."""
    if PACING in why:
        return f"{why}; waiting {seconds:.0f} s"
    return f"{why}; retrying in {seconds:.0f} s"


#: the words of a pacing pause (as against a retry)
PACING = "pacing to Amazon's rate limit"
