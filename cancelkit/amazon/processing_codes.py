"""Amazon's processing-report error codes for the Order Cancellation feed, as data.

Each code says what Amazon meant and what a retry can do about it:

- `retry`: send the row again as it is (Amazon's own trouble);
- `fix`: correct what Amazon named (usually the file: cancelkit writes it again correctly),
  then send it again: the row goes into the retry file;
- `final`: Amazon will not cancel this order item in its current state; sending it again
  cannot help. The row is recorded as refused in the ledger, never put in a retry file, and
  a later batch with the same order is flagged (`refused_by_amazon`);
- `unknown`: cancelkit does not know the code: check the row by hand in Seller Central. It
  is not put in the retry file (a retry file holds only what a retry can fix).

A code not listed here is `unknown`. Add a code only with its source beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

RETRY = "retry"
FIX = "fix"
FINAL = "final"
UNKNOWN = "unknown"
#: the actions whose rows go into the retry file
RETRYABLE = frozenset({RETRY, FIX})


@dataclass(frozen=True)
class Advice:
    code: str
    action: str  # RETRY, FIX, FINAL or UNKNOWN
    meaning: str

    @property
    def retryable(self) -> bool:
        return self.action in RETRYABLE

    def text(self) -> str:
        """The advice as `reconcile` prints it after Amazon's message."""
        if self.action == FINAL:
            return (
                f"final ({self.meaning}): not retried; recorded in the ledger, so a later "
                "batch with this order is flagged"
            )
        if self.action == UNKNOWN:
            return "unknown code: check by hand in Seller Central; not in the retry file"
        if self.action == FIX:
            return f"fix, then retry ({self.meaning}): in the retry file"
        return f"retry ({self.meaning}): in the retry file"


# code -> (action, meaning)
CODES: dict[str, tuple[str, str]] = {
    # docs/domain.md section 10 (Amazon's answers seen for this feed): the order item has already
    # shipped; a shipped item cannot be cancelled with the file.
    "18028": (FINAL, "the order item has already shipped"),
    # docs/domain.md sections 6 and 10 (the message reads "The order item could not be cancelled
    # because its current status does not allow cancellation"): final, never retry.
    "18004": (FINAL, "the order's status does not allow cancellation"),
    # docs/domain.md sections 6 and 10; amzn/selling-partner-api-docs issue #133 shows it as a
    # Fatal on record 0: "The required order-id field is missing from the file". The whole
    # file was rejected; a file cancelkit writes again has the header.
    "90012": (FIX, "the whole file was rejected: a required column is missing"),
    # docs/domain.md section 6; issue #133 above: a Warning, "field heading is invalid, so values
    # in this field were ignored" (the record was processed).
    "90061": (FIX, "a column heading was not recognised and its values were ignored"),
    # Amazon's "Feeds error messages" document (images-na.ssl-images-amazon.com, Selling on
    # Amazon - Marketplace feeds - error codes): "An internal error occurred. Please resubmit
    # your data."
    "5002": (RETRY, "an internal error at Amazon"),
    # Same document: "Too many errors were encountered. Processing was aborted."
    "5003": (FIX, "too many errors: Amazon stopped processing the file"),
    # Same document: "We are unable to process this item because of missing information."
    "5004": (FIX, "information is missing from the row"),
    # docs/domain.md section 10: codes 25, 8026 and 18010 were seen for this feed but their
    # messages were not found in public sources: check by hand.
    "25": (UNKNOWN, "seen for this feed; meaning not published"),
    "8026": (UNKNOWN, "seen for this feed; meaning not published"),
    "18010": (UNKNOWN, "seen for this feed; meaning not published"),
}


def advice(code: str) -> Advice:
    """What Amazon's error `code` means and whether a retry can fix it (`unknown` when
    the code is not in the table)."""
    code = (code or "").strip()
    action, meaning = CODES.get(code, (UNKNOWN, "not in cancelkit's table of codes"))
    return Advice(code, action, meaning)


def worst(advices: list[Advice]) -> Advice:
    """One advice for a record Amazon gave several errors: final over unknown over fix
    over retry (never retry what one of its errors says is final)."""
    rank = {FINAL: 0, UNKNOWN: 1, FIX: 2, RETRY: 3}
    return min(advices, key=lambda a: rank[a.action])
