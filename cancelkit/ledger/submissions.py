"""Submissions: each attempt to send a batch through the SP-API, as the ledger keeps it."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import spapi
from ..errors import LedgerError, SubmitError, SubmitInProgress
from .connection import LedgerBase
from .values import BatchSummary, _iso, _utc

#: how a submission ended: its report was applied, Amazon cancelled the feed, Amazon
#: aborted it without a report (its outcome unknown: some, none or all rows may be cancelled),
#: it was dropped before createFeed, or Amazon refused createFeed
SUBMISSION_ENDS = (
    "reconciled",
    "cancelled",
    "fatal_no_report",
    "abandoned",
    # Amazon refused createFeed (a definite 4xx): no feed exists (usecases/submit.py)
    "refused",
)
_SUBMISSION_FIELDS = (
    "id, batch_id, marketplace, marketplace_id, endpoint, upload_sha256, started_at, "
    "document_id, intent_at, feed_id, status, result_document_id, result_path, finished, "
    "updated_at, message"
)
_SUBMISSION_UPDATES = frozenset(
    {"document_id", "intent_at", "feed_id", "status", "result_document_id", "result_path"}
    | {"finished", "message"}
)

#: the lock one `submit` holds on a batch while it sends and waits: beside the ledger,
#: removed when the run ends
LOCK_SUFFIX = ".submit-{batch}.lock"
#: the open states of a submission (the ledger's `status`) and those that carry a feed id
SENDING_STATES = ("uploading", "intent")
FEED_STATES = spapi.FEED_STATUSES


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Submission:
    """One attempt to send a batch through the SP-API (a row of `submissions`)."""

    id: int
    batch_id: str
    marketplace: str
    marketplace_id: str
    endpoint: str
    upload_sha256: str
    started_at: str
    document_id: str | None
    intent_at: str | None
    feed_id: str | None
    status: str
    result_document_id: str | None
    result_path: str | None
    finished: str | None
    updated_at: str
    message: str | None


class Submissions(LedgerBase):
    #: the batch or LedgerError `batch_not_found` (Ledger, store.py)
    _require: Callable[[str], BatchSummary]

    # -- submissions ------------------------------------------------------------------------
    def start_submission(
        self, batch_id: str, marketplace: str, marketplace_id: str, endpoint: str, sha256: str
    ) -> Submission:
        """Record a new attempt to send the batch (status `uploading`)."""
        now = _iso(_utc(None))
        with self._write() as db:
            self._require(batch_id)
            cursor = db.execute(
                "INSERT INTO submissions (batch_id, marketplace, marketplace_id, endpoint, "
                "upload_sha256, started_at, status, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 'uploading', ?)",
                (batch_id, marketplace, marketplace_id, endpoint, sha256, now, now),
            )
            number = cursor.lastrowid
        assert number is not None  # an INSERT gives its row id
        return self.submission(number)

    def update_submission(self, number: int, **changes) -> Submission:
        """Change fields of a submission in one committed transaction (durable before the
        next call to Amazon); `intent_at=True` stamps the current time."""
        unknown = set(changes) - _SUBMISSION_UPDATES
        if unknown:
            raise ValueError(f"unknown submission fields: {', '.join(sorted(unknown))}")
        if changes.get("finished") not in (None, *SUBMISSION_ENDS):
            raise ValueError(f"unknown end of a submission: {changes['finished']}")
        now = _iso(_utc(None))
        if changes.get("intent_at") is True:
            changes["intent_at"] = now
        names = sorted(changes)
        assignments = ", ".join(f"{name} = ?" for name in names)  # names checked above
        with self._write() as db:
            db.execute(
                f"UPDATE submissions SET {assignments}, updated_at = ? WHERE id = ?",
                (*(changes[name] for name in names), now, number),
            )
        return self.submission(number)

    def submission(self, number: int) -> Submission:
        with self._errors():
            row = self._db.execute(
                f"SELECT {_SUBMISSION_FIELDS} FROM submissions WHERE id = ?", (number,)
            ).fetchone()
        if row is None:
            raise LedgerError(
                f"no submission {number} in the ledger {self.path}", code="submission_not_found"
            )
        return Submission(*row)

    def submissions(self, batch_id: str | None = None) -> list[Submission]:
        """The submissions of a batch (of every batch when None), oldest first."""
        where, params = ("WHERE batch_id = ?", (batch_id,)) if batch_id else ("", ())
        with self._errors():
            rows = self._db.execute(
                f"SELECT {_SUBMISSION_FIELDS} FROM submissions {where} ORDER BY id", params
            ).fetchall()
        return [Submission(*row) for row in rows]


class BatchLock:
    """An exclusive lock on sending one batch, in a file beside the ledger
    (`<ledger>.submit-<batch>.lock`, holding the owner's pid). A second process is refused
    at once, never made to wait for the first one's whole wait; the file is removed when
    the lock is released."""

    def __init__(self, ledger_path: str | os.PathLike, batch_id: str) -> None:
        ledger_path = Path(ledger_path)
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", batch_id)[:80]
        self.path = ledger_path.with_name(ledger_path.name + LOCK_SUFFIX.format(batch=safe))
        self.batch_id = batch_id
        self._fd: int | None = None

    def acquire(self) -> None:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            if not _try_lock(fd):
                holder = _read_pid(fd)
                os.close(fd)
                who = f" (process {holder})" if holder else ""
                raise SubmitInProgress(
                    f"another `cancelkit submit` is sending batch {self.batch_id} right "
                    f"now{who}; nothing was sent. Let it finish (or stop it), then run "
                    "`cancelkit submit` again: it resumes what the other run recorded"
                )
            try:  # the file locked must still be the one at the path (a release unlinks it)
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
                self._fd = fd
                return
            os.close(fd)

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self._fd)  # closing drops the lock
        self._fd = None

    def __enter__(self) -> BatchLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    except (OSError, AttributeError):
        return ""
    return text if text.isdigit() else ""


def _check_open(batch: BatchSummary, current: Submission, endpoint: str, market) -> None:
    """An open submission read from the ledger must be consistent with its batch and with
    itself; a ledger edited on disk (another feed id, another file's hash, another
    marketplace, a state that cannot be) is refused, never resumed or sent again."""
    problems = []
    if current.upload_sha256 != batch.flat_file_sha256:
        problems.append("its upload sha256 is not the batch's upload file's")
    if (current.marketplace, current.marketplace_id) != (market.code, market.marketplace_id):
        problems.append(
            f"it is for marketplace {current.marketplace} ({current.marketplace_id}), the "
            f"batch for {market.code} ({market.marketplace_id})"
        )
    if current.feed_id:
        if current.status not in FEED_STATES:
            problems.append(f"it has feed {current.feed_id} but the status '{current.status}'")
    elif current.status not in SENDING_STATES:
        problems.append(f"it has no feed id but the status '{current.status}'")
    if current.status == "intent" or current.feed_id:
        if not current.document_id:
            problems.append("it reached createFeed without an uploaded document id")
        try:
            _parse(current.intent_at or "")
        except ValueError:
            problems.append(f"its intent time '{current.intent_at}' is not a time")
    if problems:
        raise SubmitError(
            f"batch {batch.id}: the ledger's open submission {current.id} does not hold "
            f"together ({'; '.join(problems)}); the ledger was changed by hand or by another "
            "program, and cancelkit neither resumes nor sends anything. Check the upload "
            "status in Seller Central",
            code="ledger_submission_inconsistent",
        )
    if current.endpoint != endpoint and (current.feed_id or current.status == "intent"):
        raise SubmitError(
            f"batch {batch.id}: its open submission was sent to {current.endpoint}, but the "
            f"settings now point at {endpoint}; nothing was sent. Point CANCELKIT_SPAPI_ENDPOINT"
            " (or spapi_endpoint, sandbox) back to where the feed was created",
            code="submission_endpoint_changed",
        )


def _check_feed_ids(ledger: Submissions, batch: BatchSummary, current: Submission) -> None:
    if not current.feed_id:
        return
    others = sorted(
        {
            s.batch_id
            for s in ledger.submissions()
            if s.feed_id == current.feed_id and s.id != current.id
        }
    )
    if others:
        raise SubmitError(
            f"batch {batch.id}: feed {current.feed_id} is recorded for batch(es) "
            f"{', '.join(others)} as well; the ledger was changed by hand or by another "
            "program, and cancelkit neither resumes nor sends anything",
            code="ledger_submission_inconsistent",
        )
