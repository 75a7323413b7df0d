"""Sending a batch through the SP-API Feeds API: upload, createFeed, wait, reconcile.

The ledger makes the round trip safe against crashes (DOMAIN.md section 8):

0. one `submit` at a time per batch: a lock file beside the ledger is held for the whole
   run, and a second process sending the same batch is refused (`submit_in_progress`);
1. checks: the batch is not yet submitted, its upload file is the one `generate` wrote
   (same sha256: a file edited since is never sent), the credentials are there, an open
   submission read from the ledger is consistent (an edited ledger is refused);
2. createFeedDocument and the PUT of the file's exact bytes (`uploading`);
3. the intent is committed (`intent`) *before* createFeed is called, and the feed id as soon
   as Amazon returns it: a rerun that finds an intent without a feed id looks the feed up
   with getFeeds before anything is sent again, so no crash, kill or timeout leads to a
   second feed for the batch (only `resubmit=True` sends a batch twice). A listed feed is
   adopted only when no other intent of the ledger could own it; a definite refusal of
   createFeed (4xx) ends the submission as `refused`, so nothing is looked up later;
4. getFeed is polled until DONE, FATAL or CANCELLED, or until the wait runs out
   (`StillProcessing`, also in the middle of a slow answer; a rerun resumes the recorded
   feed); FATAL without a report leaves the batch's outcome unknown: it is not sent again
   without `resubmit=True`, and the seller is told to check the orders;
5. the result document is saved next to the upload file and reconciled like a report
   given to `cancelkit reconcile`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

from .. import spapi
from ..amazon import marketplaces
from ..errors import ConfigError, StillProcessing, SubmitError
from ..ledger.reconcile import ReconcileOutcome, reconcile
from ..ledger.store import Ledger
from ..ledger.submissions import (
    BatchLock,
    Submission,
    _check_feed_ids,
    _check_open,
    _parse,
)
from ..ledger.values import BatchSummary

#: how long `submit` waits for Amazon by default (processing takes minutes)
DEFAULT_WAIT_S = 1800.0
#: getFeeds looks this far back before the recorded intent (clocks differ)
LOOKUP_MARGIN = dt.timedelta(minutes=10)
#: Amazon keeps an uploaded feed document for 2 days; an older intent starts afresh
DOCUMENT_LIFETIME = dt.timedelta(days=2)
#: the time the first getFeed of a wait may take, however short the wait (`--wait 0`)
FIRST_LOOK_S = 2.0
#: new presigned URLs asked for when one is refused (they expire after 5 minutes)
URL_RETRIES = 3
#: name of the saved result document: next to the upload file
REPORT_SUFFIX = "-processing-report"

Say = Callable[[str], None]
SaveReport = Callable[[Path, bytes], Path]


@dataclass
class SubmitOutcome(ReconcileOutcome):
    """The reconcile outcome of a submitted batch, with the submission that produced it."""

    submission: Submission | None = None
    report_path: str | None = None
    resubmitted: bool = False
    #: the retry file of the failed rows (written by `cancelkit.submit`), or None
    retry_path: str | None = None


def check_arguments(batch, wait, resubmit) -> None:
    """The Python API's arguments of `submit`, checked at the door (ConfigError naming the
    option and the value given)."""
    if batch is not None and not isinstance(batch, str):
        raise ConfigError(f"batch must be a batch id (text) or None (got {batch!r})")
    if wait is not None and (
        isinstance(wait, bool)
        or not isinstance(wait, (int, float))
        or not math.isfinite(wait)
        or wait < 0
    ):
        raise ConfigError(
            f"wait must be a number of seconds >= 0, or None for no limit (got {wait!r})"
        )
    if not isinstance(resubmit, bool):
        raise ConfigError(f"resubmit must be True or False (got {resubmit!r})")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _recorded(value: str | None, submission: Submission, what: str) -> str:
    """A fact the submission's state says the ledger holds; refused when it does not."""
    if value is None:
        raise SubmitError(
            f"batch {submission.batch_id}: submission {submission.id} ({submission.status}) "
            f"has no {what} in the ledger; the ledger was changed by hand or by another "
            "program, and cancelkit neither resumes nor sends anything",
            code="ledger_submission_inconsistent",
        )
    return value


def report_path_for(flat_file: str | Path) -> Path:
    """Where the processing report of an upload file goes: `<upload>-processing-report.txt`
    beside it (the saver numbers it when the name is taken)."""
    flat_file = Path(flat_file)
    return flat_file.with_name(f"{flat_file.stem}{REPORT_SUFFIX}.txt")


def _shown(submission: Submission) -> str:
    return f"feed {submission.feed_id}" if submission.feed_id else "an unfinished upload"


class _Submitter:
    def __init__(
        self,
        ledger: Ledger,
        settings: spapi.SpapiSettings,
        batch: BatchSummary,
        *,
        wait: float | None,
        save_report: SaveReport,
        say: Say,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
    ) -> None:
        self.ledger, self.settings, self.batch = ledger, settings, batch
        self.save_report, self.say, self.sleep, self.clock = save_report, say, sleep, clock
        self.deadline = None if wait is None else clock() + max(0.0, wait)
        if not batch.marketplace:
            raise SubmitError(
                f"batch {batch.id} names no marketplace, so it cannot be sent as a feed; "
                "generate it again with --marketplace",
                code="batch_without_marketplace",
            )
        self.market = marketplaces.spapi_marketplace(batch.marketplace)
        self._client: spapi.SpapiClient | None = None

    # -- the client, made only when Amazon is called ----------------------------------------
    @property
    def client(self) -> spapi.SpapiClient:
        if self._client is None:
            self._client = spapi.SpapiClient(
                self.settings,
                self.market,
                sleep=self.sleep,
                clock=self.clock,
                on_wait=self._waiting,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _waiting(self, seconds: float, why: str) -> None:
        self.say(spapi.wait_text(seconds, why))

    # -- checks -----------------------------------------------------------------------------
    def upload_bytes(self) -> bytes:
        """The upload file's bytes, refused unless they are the ones `generate` recorded."""
        batch = self.batch
        if not batch.flat_file or not batch.flat_file_sha256:
            raise SubmitError(
                f"batch {batch.id} has no recorded upload file to send",
                code="batch_without_upload_file",
            )
        path = Path(batch.flat_file)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise SubmitError(
                f"{path}: the upload file of batch {batch.id} is gone; generate the batch again",
                code="upload_file_missing",
            ) from None
        except OSError as exc:
            raise SubmitError(
                f"{path}: cannot read the upload file ({exc.strerror or exc})",
                code="upload_file_missing",
            ) from None
        if hashlib.sha256(content).hexdigest() != batch.flat_file_sha256:
            raise SubmitError(
                f"{path}: the upload file changed since `cancelkit generate` wrote it (its "
                f"sha256 is not the one recorded for batch {batch.id}); it is not sent. "
                "Generate the batch again from the corrected input",
                code="upload_file_changed",
            )
        return content

    def check_states(self, resubmit: bool) -> None:
        """Refuse a batch whose rows are not all waiting to be sent."""
        batch, states = self.batch, self.batch.states
        if states.get("superseded"):
            raise SubmitError(
                f"batch {batch.id}: {states['superseded']} of its rows are superseded by a "
                "later batch; send that batch instead (see `cancelkit history`)",
                code="batch_superseded",
            )
        done = {s: n for s, n in states.items() if s in ("confirmed", "failed") and n}
        if done and not resubmit:
            shown = ", ".join(f"{n} {s}" for s, n in done.items())
            raise SubmitError(
                f"batch {batch.id} was already uploaded and reconciled ({shown}); nothing "
                "was sent. `cancelkit submit --resubmit` sends it again",
                code="already_submitted",
            )

    # -- sending ----------------------------------------------------------------------------
    def send(self, content: bytes, abandon: Submission | None) -> Submission:
        """Upload the bytes and create the feed; returns the submission with its feed id."""
        ledger = self.ledger
        if abandon is not None:
            ledger.update_submission(
                abandon.id, finished="abandoned", message="replaced by a later submission"
            )
        sha256 = hashlib.sha256(content).hexdigest()
        submission = ledger.start_submission(
            self.batch.id,
            self.market.code,
            self.market.marketplace_id,
            self.client.endpoint,
            sha256,
        )
        for attempt in range(1, URL_RETRIES + 1):
            document_id, url = self.client.create_feed_document(spapi.UPLOAD_CONTENT_TYPE)
            submission = ledger.update_submission(submission.id, document_id=document_id)
            try:
                self.client.upload(url, content, spapi.UPLOAD_CONTENT_TYPE)
                break
            except spapi.UploadExpired:
                if attempt == URL_RETRIES:
                    raise
                self.say("the upload URL was refused (expired); asking Amazon for a new one")
        self.say(f"uploaded {len(content):,} bytes of {self.batch.flat_file}")
        return self.create_feed(submission)

    def create_feed(self, submission: Submission) -> Submission:
        """createFeed, with the intent committed first; an unclear answer is looked up."""
        ledger = self.ledger
        submission = ledger.update_submission(submission.id, status="intent", intent_at=True)
        for attempt in range(self.settings.max_retries + 1):
            try:
                feed_id = self.client.create_feed(
                    _recorded(submission.document_id, submission, "document_id"),
                    self.market.marketplace_id,
                )
            except spapi.SpapiRefused as exc:
                # a definite refusal: Amazon created no feed, so nothing is to be looked up
                ledger.update_submission(submission.id, finished="refused", message=str(exc)[:500])
                raise SubmitError(
                    f"{exc}. Amazon created no feed for batch {self.batch.id}: nothing was "
                    "sent and the batch is still unsubmitted; `cancelkit submit` sends it "
                    "again once the cause is fixed",
                    code="create_feed_refused",
                ) from None
            except spapi.CreateFeedUnclear as exc:
                self.say(f"{exc}; checking with getFeeds whether Amazon created the feed")
                found = self.lookup(submission)
                if found is not None:
                    return found
                if attempt == self.settings.max_retries:
                    raise
                self.sleep(self.settings.retry_base * 2**attempt)
                continue
            submission = ledger.update_submission(submission.id, feed_id=feed_id, status="IN_QUEUE")
            self.say(
                f"batch {self.batch.id}: feed {feed_id} created for marketplace "
                f"{self.market.code} ({self.market.marketplace_id})"
            )
            return submission
        raise AssertionError("unreachable")  # pragma: no cover

    def lookup(self, submission: Submission) -> Submission | None:
        """After an intent without a feed id: the feed Amazon created for it, if any (this
        feed type and marketplace, created since the intent, not known to the ledger)."""
        since = _parse(_recorded(submission.intent_at, submission, "intent_at")) - LOOKUP_MARGIN
        known = {s.feed_id for s in self.ledger.submissions() if s.feed_id}
        found = [
            feed
            for feed in self.client.get_feeds(self.market.marketplace_id, _iso(since))
            if feed.get("feedType") == spapi.FEED_TYPE
            and self.market.marketplace_id in (feed.get("marketplaceIds") or ())
            and feed.get("feedId") not in known
            and _created_after(feed, since)
        ]
        if not found:
            return None
        # Amazon's Feed names neither the input document nor its content, so a listed feed
        # is this intent's only when nothing else could own it: no second listed feed and
        # no other intent of the ledger (any batch, even one abandoned since) whose
        # createFeed may have reached Amazon in the same window
        rivals = sorted(
            {
                other.batch_id
                for other in self.ledger.submissions()
                if other.batch_id != submission.batch_id  # the batch's own: its feed anyway
                and other.intent_at
                and not other.feed_id
                and other.finished != "refused"
                and other.marketplace_id == submission.marketplace_id
                and any(_created_after(f, _parse(other.intent_at) - LOOKUP_MARGIN) for f in found)
            }
        )
        if len(found) > 1 or rivals:
            ids = ", ".join(str(f.get("feedId")) for f in found)
            others = (
                f"; the ledger also has unanswered createFeed calls of batch(es) "
                f"{', '.join(rivals)}, so the feed may be theirs"
                if rivals
                else ""
            )
            raise SubmitError(
                f"batch {self.batch.id}: the last run stopped while creating its feed, and "
                f"Amazon lists {len(found)} new feed(s) of this type ({ids}) that cancelkit "
                f"cannot tie to this batch alone{others}. Nothing was sent. Check the upload "
                "status in Seller Central (the feed's processing report names its orders); "
                "`cancelkit submit --resubmit` sends the batch again",
                code="feed_lookup_ambiguous",
            )
        feed_id = str(found[0]["feedId"])
        self.say(f"Amazon had created feed {feed_id} for this batch; resuming it")
        return self.ledger.update_submission(
            submission.id, feed_id=feed_id, status=found[0].get("processingStatus", "IN_QUEUE")
        )

    # -- waiting ----------------------------------------------------------------------------
    def poll(self, submission: Submission) -> tuple[Submission, dict]:
        """getFeed until Amazon finishes or the wait runs out (StillProcessing)."""
        interval = self.settings.poll_interval
        status = submission.status
        # no call, pause or slow answer outlasts the wait; the first look gets FIRST_LOOK_S
        # even after a short wait (`--wait 0` still reads the feed's status once)
        if self.deadline is not None:
            self.client.deadline = max(self.deadline, self.clock() + FIRST_LOOK_S)
        try:
            return self._poll(submission, interval, status)
        finally:
            self.client.deadline = None

    def _still_processing(self, submission: Submission, status: str) -> StillProcessing:
        return StillProcessing(
            f"feed {submission.feed_id} of batch {self.batch.id} is still {status} at "
            "Amazon; run `cancelkit submit` again later to resume it (the batch is "
            "not sent twice)",
            self.batch.id,
            _recorded(submission.feed_id, submission, "feed_id"),
            status,
        )

    def _poll(self, submission: Submission, interval: float, status: str):
        while True:
            try:
                feed_id = _recorded(submission.feed_id, submission, "feed_id")
                feed = self.client.get_feed(feed_id, self.market.marketplace_id)
            except spapi.DeadlineReached:
                raise self._still_processing(submission, status) from None
            except spapi.SpapiUnavailable as exc:
                feed = None
                self.say(f"{exc}")
            self.client.deadline = self.deadline
            if feed is not None:
                if feed["processingStatus"] != status:
                    status = feed["processingStatus"]
                    submission = self.ledger.update_submission(submission.id, status=status)
                    self.say(f"feed {submission.feed_id}: {status}")
                if status in spapi.FINISHED_STATUSES:
                    return submission, feed
            if self.deadline is not None and self.clock() + interval > self.deadline:
                raise self._still_processing(submission, status)
            self.sleep(interval)
            interval = min(interval * spapi.POLL_GROWTH, max(interval, spapi.MAX_POLL_INTERVAL))

    # -- the answer -------------------------------------------------------------------------
    def finish(self, submission: Submission, feed: dict) -> SubmitOutcome:
        status = feed["processingStatus"]
        result_id = feed.get("resultFeedDocumentId")
        feed_id = submission.feed_id
        if status == "CANCELLED":
            self.ledger.update_submission(
                submission.id, finished="cancelled", message="Amazon cancelled the feed"
            )
            raise SubmitError(
                f"feed {feed_id} of batch {self.batch.id} was cancelled before Amazon processed "
                "it; nothing was cancelled and the batch is still unsubmitted "
                "(`cancelkit submit` sends it again)",
                code="feed_cancelled",
            )
        if not result_id:
            if status == "FATAL":
                self.ledger.update_submission(
                    submission.id,
                    finished="fatal_no_report",
                    message="FATAL without a result document",
                )
                # the batch's rows too: neither confirmed nor failed, said in `history`
                self.ledger.leave_unconfirmed(
                    self.batch.id,
                    "feed_outcome_unknown",
                    f"feed {feed_id} FATAL without a processing report: some, none or all of "
                    "the rows may have been cancelled; check the orders",
                )
                raise SubmitError(_fatal_text(self.batch.id, feed_id), code="feed_outcome_unknown")
            raise spapi.SpapiError(
                f"getFeed: feed {feed_id} is DONE without a resultFeedDocumentId; run "
                "`cancelkit submit` again later",
                code="feed_without_result",
            )
        path = Path(submission.result_path) if submission.result_path else None
        if path is None or not path.is_file() or submission.result_document_id != result_id:
            content = self.download(result_id)
            upload = _recorded(self.batch.flat_file, submission, "the batch's flat_file")
            path = self.save_report(report_path_for(upload), content)
            submission = self.ledger.update_submission(
                submission.id, result_document_id=result_id, result_path=str(path)
            )
            self.say(f"processing report saved: {path}")
        outcome = reconcile(self.ledger, path, self.batch.id)
        submission = self.ledger.update_submission(submission.id, finished="reconciled")
        values = {f.name: getattr(outcome, f.name) for f in fields(ReconcileOutcome)}
        return SubmitOutcome(**values, submission=submission, report_path=str(path))

    def download(self, document_id: str) -> bytes:
        for attempt in range(1, URL_RETRIES + 1):
            document = self.client.get_feed_document(document_id)
            try:
                return self.client.download(document)
            except spapi.UploadExpired:
                if attempt == URL_RETRIES:
                    raise
                self.say("the download URL was refused (expired); asking Amazon for a new one")
        raise AssertionError("unreachable")  # pragma: no cover


def _fatal_text(batch_id: str, feed_id: str | None) -> str:
    return (
        f"Amazon aborted feed {feed_id} of batch {batch_id} (FATAL) and gave no processing "
        "report; Amazon says some, none or all of its rows may have been cancelled, so the "
        "batch's outcome is unknown and it is not sent again. Check these orders in Seller "
        "Central (Orders > Manage Orders), or run `cancelkit fetch-orders` and generate a new "
        "batch from the orders still unshipped; `--resubmit` would send every row again, "
        "the ones Amazon may have cancelled too"
    )


def _created_after(feed: dict, since: dt.datetime) -> bool:
    try:
        return _parse(str(feed.get("createdTime", ""))) >= since
    except ValueError:
        return False


def submit(
    ledger: Ledger,
    settings: spapi.SpapiSettings,
    batch_id: str | None = None,
    *,
    wait: float | None = DEFAULT_WAIT_S,
    resubmit: bool = False,
    save_report: SaveReport,
    say: Say | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> SubmitOutcome:
    """Send a batch (default: the newest) through the Feeds API, or resume the feed a
    previous run recorded, wait up to `wait` seconds (None: no limit) for Amazon, save and
    reconcile its processing report. `save_report(path, bytes)` writes the report and
    returns where. Raises StillProcessing when the wait runs out, SubmitInProgress when
    another process is sending the batch, SubmitError for a batch that cannot be sent or
    a feed that ended without processing."""
    check_arguments(batch_id, wait, resubmit)
    say = say or (lambda _text: None)
    batch = ledger.resolve_batch(batch_id)
    with BatchLock(ledger.path, batch.id):
        batch = ledger.resolve_batch(batch.id)  # read again under the lock
        return _submit_locked(
            ledger, settings, batch, wait, resubmit, save_report, say, sleep, clock
        )


def _submit_locked(ledger, settings, batch, wait, resubmit, save_report, say, sleep, clock):
    submitter = _Submitter(
        ledger,
        settings,
        batch,
        wait=wait,
        save_report=save_report,
        say=say,
        sleep=sleep,
        clock=clock,
    )
    settings.refuse_sandbox(submitter.market, "submit")
    history = ledger.submissions(batch.id)
    latest = history[-1] if history else None
    current = latest if latest is not None and latest.finished is None else None
    if latest is not None and latest.finished == "reconciled" and not resubmit:
        raise SubmitError(
            f"batch {batch.id} was already sent as feed {latest.feed_id} and reconciled "
            f"({_shown_states(batch)}); nothing was sent. `cancelkit submit --resubmit` sends "
            "it again",
            code="already_submitted",
        )
    if latest is not None and latest.finished == "fatal_no_report" and not resubmit:
        raise SubmitError(_fatal_text(batch.id, latest.feed_id), code="feed_outcome_unknown")
    if current is not None:
        _check_open(batch, current, settings.endpoint_for(submitter.market), submitter.market)
        _check_feed_ids(ledger, batch, current)
    submitter.check_states(resubmit or current is not None)
    try:
        if current is not None and resubmit:
            content = submitter.upload_bytes()
            settings.require_credentials()
            say(f"--resubmit: sending batch {batch.id} again (it was sent as {_shown(current)})")
            current = submitter.send(content, abandon=current)
        elif current is not None:
            settings.require_credentials()
            current = _resume(submitter, current)
        else:
            content = submitter.upload_bytes()
            settings.require_credentials()
            if resubmit and latest is not None:
                say(f"--resubmit: sending batch {batch.id} again (it was sent as {_shown(latest)})")
            elif latest is not None and latest.finished == "refused":
                say(
                    f"batch {batch.id}: Amazon refused the last run's createFeed; sending the "
                    "batch afresh"
                )
            current = submitter.send(content, abandon=None)
        current, feed = submitter.poll(current)
        outcome = submitter.finish(current, feed)
    finally:
        submitter.close()
    outcome.resubmitted = resubmit and bool(history)
    return outcome


def _resume(submitter: _Submitter, current: Submission) -> Submission:
    """Carry on with the open submission a previous run left."""
    say, batch = submitter.say, submitter.batch
    if current.feed_id:
        say(f"batch {batch.id}: resuming feed {current.feed_id} ({current.status})")
        return current
    if current.status == "intent":
        say(
            f"batch {batch.id}: the last run stopped while creating the feed; asking Amazon "
            "(getFeeds) whether it exists before anything is sent again"
        )
        found = submitter.lookup(current)
        if found is not None:
            return found
        if _parse(_recorded(current.intent_at, current, "intent_at")) > _now() - DOCUMENT_LIFETIME:
            say("Amazon has no such feed; creating it from the uploaded document")
            return submitter.create_feed(current)
    # the upload never reached createFeed (or its document is too old): start afresh
    return submitter.send(submitter.upload_bytes(), abandon=current)


def _shown_states(batch: BatchSummary) -> str:
    return ", ".join(f"{n} {s}" for s, n in batch.states.items() if n) or "no rows"
