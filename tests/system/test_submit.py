"""`cancelkit submit` against the local stand-in for Amazon, over real HTTP: the round trip,
the faults of issue 13 (429, 500, expired upload URL, 403, FATAL, CANCELLED, GZIP), the
wait running out, a kill while polling or while creating the feed, two marketplaces, and
that no secret ever leaves the process."""

from __future__ import annotations

import gzip
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pytest
from conftest import CLEAN, ROOT, assert_one_line_error, invoke
from spapi_standin import SECRETS, processing_report

import cancelkit
from cancelkit import spapi
from cancelkit.errors import CancelkitError, StillProcessing
from cancelkit.ledger.store import Ledger
from cancelkit.options import spapi_settings
from cancelkit.usecases import submit as submitting
from cancelkit.usecases.send import save_report_beside

ALL_OPERATIONS = (
    "token",
    "createFeedDocument",
    "upload",
    "createFeed",
    "getFeed",
    "getFeedDocument",
    "download",
)


def make_batch(folder: Path, marketplace: str = "US", source: Path = CLEAN) -> tuple[str, Path]:
    """Generate the clean fixture batch; returns its batch id and upload file."""
    out = folder / f"out-{marketplace}"
    run = invoke(
        "generate", source, "--out-dir", out, "--orders-7d", "4000", "--marketplace", marketplace
    )
    assert run.exit_code == 0, run.output
    with Ledger.open(os.environ["CANCELKIT_LEDGER"]) as book:
        batch = book.newest_batch()
    assert batch.marketplace == marketplace
    return batch.id, Path(batch.flat_file)


def error_line(run, *fragments: str) -> str:
    """Exit 2 with the progress lines, then one error line holding every fragment."""
    assert run.exit_code == 2, run.output
    assert "Traceback" not in run.output and run.stdout == ""
    line = run.stderr.strip().splitlines()[-1]
    assert line.startswith("cancelkit: error: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def ledger() -> Ledger:
    return Ledger.open(os.environ["CANCELKIT_LEDGER"], create=False)


def the_feed(server):
    assert len(server.feeds) == 1, server.feeds
    return next(iter(server.feeds.values()))


# -- the round trip -----------------------------------------------------------------------


def test_submit_sends_the_exact_file_saves_the_report_and_reconciles(standin, tmp_path):
    batch_id, flat = make_batch(tmp_path)
    lines = []
    outcome = cancelkit.submit(say=lines.append)

    assert standin.violations == []
    assert standin.calls == [
        "token",
        "createFeedDocument",
        "upload",
        "createFeed",
        "getFeed",
        "getFeed",
        "getFeed",
        "getFeedDocument",
        "download",
    ]
    feed = the_feed(standin)
    assert feed.marketplace_ids == ["ATVPDKIKX0DER"]
    assert standin.uploads[feed.document_id] == flat.read_bytes()  # the exact bytes
    assert standin.declared[feed.document_id] == "text/tab-separated-values; charset=UTF-8"
    assert standin.upload_headers[feed.document_id]["content-type"] == spapi.UPLOAD_CONTENT_TYPE
    report = flat.with_name(flat.stem + "-processing-report.txt")
    assert outcome.report_path == str(report)
    assert report.read_bytes() == processing_report(flat.read_bytes()).encode()
    assert (outcome.confirmed, outcome.failed, outcome.file_failed) == (12, [], False)
    assert outcome.submission.feed_id == feed.feed_id
    assert f"batch {batch_id}: feed {feed.feed_id} created for marketplace US" in "\n".join(lines)
    with ledger() as book:
        (submission,) = book.submissions(batch_id)
        assert submission.feed_id == feed.feed_id
        assert (submission.status, submission.finished) == ("DONE", "reconciled")
        assert submission.result_path == str(report)
        assert submission.upload_sha256 == book.batch(batch_id).flat_file_sha256
        assert book.batch(batch_id).states["confirmed"] == 12
        assert {row.state for row in book.batch_rows(batch_id)} == {"confirmed"}


def test_the_command_prints_the_feed_and_the_outcome_and_a_second_submit_sends_nothing(
    standin, tmp_path
):
    batch_id, flat = make_batch(tmp_path)
    run = invoke("submit")
    assert run.exit_code == 0, run.output
    feed = the_feed(standin)
    report = flat.with_name(flat.stem + "-processing-report.txt")
    assert run.stdout.splitlines() == [
        f"Batch {batch_id} sent as feed {feed.feed_id}; processing report: {report}",
        f"Batch {batch_id}: 12 of 12 rows confirmed, 0 failed.",
    ]
    calls = list(standin.calls)

    again = invoke("submit")
    assert_one_line_error(
        again, f"batch {batch_id} was already sent as feed {feed.feed_id}", "--resubmit"
    )
    assert "[already_submitted]" in again.stderr
    assert standin.calls == calls  # nothing sent, not even a token request


def test_resubmit_sends_again_and_says_so(standin, tmp_path):
    batch_id, _ = make_batch(tmp_path)
    assert invoke("submit").exit_code == 0
    run = invoke("submit", "--resubmit")
    assert run.exit_code == 0, run.output
    assert standin.count("createFeed") == 2 and len(standin.feeds) == 2
    first, second = sorted(standin.feeds)
    assert f"--resubmit: sending batch {batch_id} again (it was sent as feed {first})" in run.stderr
    assert f"Batch {batch_id} sent again as feed {second}" in run.stdout
    with ledger() as book:
        assert [s.feed_id for s in book.submissions(batch_id)] == [first, second]


def test_a_batch_reconciled_by_hand_is_not_sent(standin, tmp_path):
    make_batch(tmp_path)
    assert invoke("confirm").exit_code == 0
    run = invoke("submit")
    assert_one_line_error(run, "already uploaded and reconciled (12 confirmed)", "--resubmit")
    assert standin.calls == []


# -- checks before anything is sent -------------------------------------------------------


def test_an_upload_file_edited_since_generate_is_never_sent(standin, tmp_path):
    _, flat = make_batch(tmp_path)
    flat.write_bytes(flat.read_bytes().replace(b"NoInventory", b"BuyerCanceled", 1))
    run = invoke("submit")
    assert_one_line_error(run, str(flat), "changed since `cancelkit generate`", "not sent")
    assert "[upload_file_changed]" in run.stderr
    assert standin.calls == []


def test_a_missing_upload_file_is_reported(standin, tmp_path):
    _, flat = make_batch(tmp_path)
    flat.unlink()
    run = invoke("submit")
    assert_one_line_error(run, str(flat), "is gone", "[upload_file_missing]")
    assert standin.calls == []


def test_missing_credentials_are_named(standin, tmp_path, monkeypatch):
    make_batch(tmp_path)
    monkeypatch.delenv("LWA_CLIENT_SECRET")
    monkeypatch.delenv("SP_API_REFRESH_TOKEN")
    run = invoke("submit")
    assert_one_line_error(
        run, "credentials are missing: LWA_CLIENT_SECRET, SP_API_REFRESH_TOKEN", "[amazon]"
    )
    assert "[spapi_credentials_missing]" in run.stderr
    assert standin.calls == []


def test_an_unknown_batch_is_refused(standin, tmp_path):
    make_batch(tmp_path)
    run = invoke("submit", "--batch", "nosuchbatch")
    assert_one_line_error(run, "no batch 'nosuchbatch'")


def test_without_the_extra_submit_says_how_to_install_it(standin, tmp_path, monkeypatch):
    make_batch(tmp_path)
    monkeypatch.setitem(sys.modules, "httpx", None)  # import httpx now fails
    run = invoke("submit")
    assert_one_line_error(run, 'pip install "cancelkit[amazon]"', "[spapi_not_installed]")
    assert standin.calls == []


# -- faults -------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ALL_OPERATIONS)
def test_429_on_any_call_is_retried_and_never_fails_the_batch(standin, tmp_path, operation):
    make_batch(tmp_path)
    standin.scenario.faults = {operation: [429, 429]}
    lines = []
    outcome = cancelkit.submit(say=lines.append)
    assert outcome.confirmed == 12 and not outcome.failed
    assert standin.count(operation) == 3 + (2 if operation == "getFeed" else 0)
    assert len(standin.feeds) == 1
    assert sum("HTTP 429 (throttled); retrying in" in line for line in lines) == 2
    assert standin.violations == []


@pytest.mark.parametrize("operation", ALL_OPERATIONS)
def test_500_then_success(standin, tmp_path, operation):
    make_batch(tmp_path)
    standin.scenario.faults = {operation: [500]}
    outcome = cancelkit.submit()
    assert outcome.confirmed == 12
    assert len(standin.feeds) == 1  # exactly one feed, even after a 500 on createFeed
    if operation == "createFeed":
        # Amazon may have created the feed: it was looked up before createFeed was called again
        assert standin.calls.index("getFeeds") < len(standin.calls) - standin.calls[::-1].index(
            "createFeed"
        )
    assert standin.violations == []


def test_a_lost_createfeed_answer_is_looked_up_not_sent_again(standin, tmp_path):
    batch_id, _ = make_batch(tmp_path)
    standin.scenario.drop_create_feed_answer = True
    lines = []
    outcome = cancelkit.submit(say=lines.append)
    feed = the_feed(standin)
    assert standin.count("createFeed") == 1 and standin.count("getFeeds") == 1
    assert f"Amazon had created feed {feed.feed_id} for this batch; resuming it" in lines
    assert outcome.submission.feed_id == feed.feed_id and outcome.confirmed == 12


def test_an_expired_upload_url_gets_a_new_document(standin, tmp_path):
    _, flat = make_batch(tmp_path)
    standin.scenario.expired_uploads = 1
    lines = []
    outcome = cancelkit.submit(say=lines.append)
    assert standin.count("createFeedDocument") == 2 and standin.count("upload") == 2
    assert "the upload URL was refused (expired); asking Amazon for a new one" in lines
    feed = the_feed(standin)
    assert standin.uploads[feed.document_id] == flat.read_bytes()
    assert outcome.confirmed == 12


def test_an_expired_download_url_is_asked_for_again(standin, tmp_path):
    make_batch(tmp_path)
    standin.scenario.expired_downloads = 1
    lines = []
    outcome = cancelkit.submit(say=lines.append)
    assert standin.count("getFeedDocument") == 2 and standin.count("download") == 2
    assert "the download URL was refused (expired); asking Amazon for a new one" in lines
    assert outcome.confirmed == 12


def test_403_for_a_bad_token_says_to_check_the_credentials(standin, tmp_path):
    batch_id, _ = make_batch(tmp_path)
    standin.scenario.reject_tokens = True
    run = invoke("submit")
    line = assert_one_line_error(run, "HTTP 403", "check the credentials LWA_APP_ID")
    assert "[spapi_forbidden]" in line
    assert standin.count("token") == 2  # the token was renewed once before giving up
    assert not any(secret in run.output for secret in SECRETS)
    assert not any(token in run.output for token in standin.tokens)
    with ledger() as book:
        assert book.batch(batch_id).states["generated"] == 12
    standin.scenario.reject_tokens = False  # the seller fixed the app: a rerun sends it
    assert invoke("submit").exit_code == 0
    assert len(standin.feeds) == 1


@pytest.mark.parametrize(
    "variable, value",
    [("CANCELKIT_SPAPI_ENDPOINT", "ftp://127.0.0.1:9"), ("CANCELKIT_LWA_ENDPOINT", "nowhere")],
)
def test_an_unusable_endpoint_setting_is_named(standin, tmp_path, monkeypatch, variable, value):
    make_batch(tmp_path)
    monkeypatch.setenv(variable, value)
    run = invoke("submit")
    line = error_line(run, "cannot call", "check CANCELKIT_SPAPI_ENDPOINT / CANCELKIT_LWA_ENDPOINT")
    assert "[spapi_endpoint_invalid]" in line


def test_amazon_unreachable_through_every_retry_is_reported_and_resumable(
    standin, tmp_path, monkeypatch
):
    batch_id, _ = make_batch(tmp_path)
    standin.scenario.faults = {"createFeedDocument": [503] * 9}
    run = invoke("submit")
    line = error_line(run, "createFeedDocument: HTTP 503, 9 times in a row", "run the command")
    assert "[spapi_unavailable]" in line
    assert run.stderr.count("createFeedDocument: HTTP 503; retrying in") == 8
    assert invoke("submit").exit_code == 0  # the rerun starts afresh: nothing was sent
    assert len(standin.feeds) == 1


def test_refused_credentials_at_login_with_amazon(standin, tmp_path, monkeypatch):
    make_batch(tmp_path)
    monkeypatch.setenv("SP_API_REFRESH_TOKEN", "Atzr|not-the-right-one-0123456789")
    run = invoke("submit")
    assert_one_line_error(run, "Login with Amazon refused the credentials", "invalid_grant")
    assert "[lwa_refused]" in run.stderr
    assert "Atzr|not-the-right-one" not in run.output


@pytest.mark.parametrize("compressed", [True, False], ids=["gzip", "plain"])
def test_gzip_and_plain_results_are_saved_as_text(standin, tmp_path, compressed):
    _, flat = make_batch(tmp_path)
    standin.scenario.gzip = compressed
    standin.scenario.report_errors = [(2, "18004", "Error", "The order item was shipped")]
    outcome = cancelkit.submit()
    (stored,) = standin.results.values()
    assert (stored[:2] == b"\x1f\x8b") is compressed
    report = Path(outcome.report_path)
    assert report.read_bytes() == (gzip.decompress(stored) if compressed else stored)
    assert outcome.confirmed == 11 and [r.record_number for r in outcome.failed] == [2]


def test_errors_in_the_report_exit_1_with_a_retry_file(standin, tmp_path):
    batch_id, flat = make_batch(tmp_path)
    # 5002, Amazon's internal error: a retry can fix it (amazon/processing_codes.py)
    standin.scenario.report_errors = [(3, "5002", "Error", "An internal error occurred.")]
    run = invoke("submit")
    assert run.exit_code == 1, run.output
    assert "11 of 12 rows confirmed, 1 failed." in run.stdout
    retry = flat.with_name(flat.stem + "-processing-report-retry.csv")
    assert retry.is_file() and f"Retry file with the 1 rows a retry can fix: {retry}" in (
        run.stdout
    )
    with ledger() as book:
        assert book.batch(batch_id).states == {
            "generated": 0,
            "confirmed": 11,
            "failed": 1,
            "unconfirmed": 0,
            "superseded": 0,
        }


def test_a_final_refusal_in_the_report_writes_no_retry_file(standin, tmp_path):
    _, flat = make_batch(tmp_path)
    standin.scenario.report_errors = [(3, "18004", "Error", "The order item was shipped")]
    outcome = cancelkit.submit()
    assert [f.advice.action for f in outcome.failed] == ["final"]
    assert outcome.retry_path is None and not outcome.ok
    assert not flat.with_name(flat.stem + "-processing-report-retry.csv").exists()


def test_fatal_with_a_result_document_is_reconciled(standin, tmp_path):
    batch_id, _ = make_batch(tmp_path)
    standin.scenario.statuses = ["IN_QUEUE", "FATAL"]
    run = invoke("submit")
    assert run.exit_code == 1, run.output
    assert "Amazon rejected the whole file; none of its 12 rows was cancelled." in run.stdout
    assert "Fatal 90012: The required order-id field is missing" in run.stdout
    with ledger() as book:
        assert book.batch(batch_id).states["failed"] == 12
        assert book.submissions(batch_id)[0].finished == "reconciled"


def test_a_cancelled_feed_leaves_the_batch_unsubmitted(standin, tmp_path):
    batch_id, _ = make_batch(tmp_path)
    standin.scenario.statuses = ["IN_QUEUE", "CANCELLED"]
    standin.scenario.with_result = False
    run = invoke("submit")
    line = error_line(
        run, "was cancelled before Amazon processed it", "still unsubmitted", "[feed_cancelled]"
    )
    assert the_feed(standin).feed_id in line
    with ledger() as book:
        assert book.batch(batch_id).states["generated"] == 12
        assert book.submissions(batch_id)[0].finished == "cancelled"
    standin.scenario.statuses = ["DONE"]
    standin.scenario.with_result = True
    assert invoke("submit").exit_code == 0  # sent again without --resubmit
    assert standin.count("createFeed") == 2


def test_fatal_without_a_report_is_an_unknown_outcome_never_a_safe_resend(standin, tmp_path):
    """Amazon's model: a FATAL feed's "some, none, or all of the operations may have
    completed". The batch is marked unknown, the seller is sent to the orders."""
    batch_id, _ = make_batch(tmp_path)
    standin.scenario.statuses = ["IN_QUEUE", "FATAL"]
    standin.scenario.with_result = False
    run = invoke("submit")
    feed = the_feed(standin)
    line = error_line(
        run,
        f"Amazon aborted feed {feed.feed_id}",
        "some, none or all of its rows may have been cancelled",
        "outcome is unknown and it is not sent again",
        "Check these orders in Seller Central",
        "`cancelkit fetch-orders`",
        "[feed_outcome_unknown]",
    )
    assert "nothing was processed" not in line and "still unsubmitted" not in line
    with ledger() as book:
        assert book.submissions(batch_id)[0].finished == "fatal_no_report"
        # the batch too: its rows are neither confirmed nor failed, and never counted
        (summary,) = [b for b in book.batches() if b.id == batch_id]
        assert summary.states.get("unconfirmed") == summary.rows
        assert summary.states.get("generated", 0) == 0
        assert summary.confirmed_counting_rows == 0
    listing = invoke("history")
    assert f"{summary.rows} unconfirmed" in listing.output, listing.output
    calls = list(standin.calls)
    again = invoke("submit")  # a plain rerun sends nothing: the outcome is unknown
    error_line(again, "outcome is unknown", "[feed_outcome_unknown]")
    assert standin.calls == calls
    with pytest.raises(CancelkitError) as info:
        cancelkit.submit()
    assert info.value.code == "feed_outcome_unknown" and standin.calls == calls
    standin.scenario.statuses = ["DONE"]
    standin.scenario.with_result = True
    assert invoke("submit", "--resubmit").exit_code == 0  # only on purpose
    assert standin.count("createFeed") == 2


# -- waiting, resuming, crashes -----------------------------------------------------------


def test_the_wait_running_out_exits_4_with_the_feed_id_and_a_rerun_resumes(standin, tmp_path):
    batch_id, _ = make_batch(tmp_path)
    standin.scenario.statuses = ["IN_QUEUE", "IN_PROGRESS"]
    run = invoke("submit", "--wait", "0.2")
    assert run.exit_code == 4, run.output
    feed = the_feed(standin)
    assert run.stdout == f"feed {feed.feed_id} IN_PROGRESS\n"
    assert f"feed {feed.feed_id} of batch {batch_id} is still IN_PROGRESS" in run.stderr
    assert "run `cancelkit submit` again later" in run.stderr
    with ledger() as book:
        (submission,) = book.submissions(batch_id)
        assert (submission.feed_id, submission.finished) == (feed.feed_id, None)
        assert book.batch(batch_id).states["generated"] == 12
    feed.statuses = ["DONE"]
    again = invoke("submit")
    assert again.exit_code == 0, again.output
    assert f"batch {batch_id}: resuming feed {feed.feed_id} (IN_PROGRESS)" in again.stderr
    assert standin.count("createFeed") == 1 and standin.count("createFeedDocument") == 1


def test_the_api_raises_still_processing_with_the_feed_id(standin, tmp_path):
    make_batch(tmp_path)
    standin.scenario.statuses = ["IN_QUEUE"]
    with pytest.raises(StillProcessing) as info:
        cancelkit.submit(wait=0)
    assert info.value.feed_id == the_feed(standin).feed_id and info.value.status == "IN_QUEUE"
    assert info.value.code == "feed_still_processing"


def _cli(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cancelkit", *args],
        env={**env, "NO_COLOR": "1"},
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_a_kill_while_polling_then_a_rerun_makes_exactly_one_feed(standin, tmp_path, stop):
    batch_id, flat = make_batch(tmp_path)
    standin.scenario.statuses = ["IN_QUEUE", "IN_PROGRESS"]  # never finishes by itself
    env = dict(os.environ)
    process = _cli(env, "submit")
    _wait_for(lambda: standin.count("getFeed") >= 3)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=30)
    if stop == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    else:
        assert process.returncode == 130
        assert stderr.decode().splitlines()[-1] == (
            "cancelkit: interrupted; run `cancelkit submit` again to resume (the batch is not "
            "sent twice)"
        )
    feed = the_feed(standin)
    feed.statuses = ["DONE"]

    rerun = _cli(env, "submit")
    stdout, stderr = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, stderr.decode()
    assert standin.count("createFeed") == 1 and len(standin.feeds) == 1
    assert f"resuming feed {feed.feed_id}" in stderr.decode()
    assert flat.with_name(flat.stem + "-processing-report.txt").is_file()
    with ledger() as book:
        assert book.batch(batch_id).states["confirmed"] == 12


@pytest.mark.slow
def test_a_kill_while_creating_the_feed_is_resolved_with_getfeeds(standin, tmp_path):
    batch_id, _ = make_batch(tmp_path)
    standin.scenario.hang_create_feed = 60.0  # Amazon created the feed; the answer hangs
    env = dict(os.environ)
    process = _cli(env, "submit")
    _wait_for(lambda: len(standin.feeds) == 1)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    with ledger() as book:
        (submission,) = book.submissions(batch_id)
        assert (submission.status, submission.feed_id) == ("intent", None)
    standin.scenario.hang_create_feed = 0.0
    standin.release.set()

    rerun = _cli(env, "submit")
    stdout, stderr = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, stderr.decode()
    feed = the_feed(standin)
    assert standin.count("createFeed") == 1 and standin.count("getFeeds") == 1
    assert "asking Amazon (getFeeds) whether it exists before anything is sent again" in (
        stderr.decode()
    )
    assert f"Batch {batch_id} sent as feed {feed.feed_id}" in stdout.decode()


def test_an_intent_amazon_never_saw_creates_the_feed_once(standin, tmp_path):
    """A crash after the intent was committed but before createFeed left the process."""
    batch_id, _ = make_batch(tmp_path)
    standin.scenario.faults = {"createFeed": [429] * 20}  # createFeed never gets through
    monkey_settings = spapi.SpapiSettings(
        credentials=spapi.Credentials(*SECRETS),
        api_endpoint=standin.base,
        lwa_endpoint=f"{standin.base}/auth/o2/token",
        poll_interval=0.001,
        max_retries=1,
    )
    with ledger() as book, pytest.raises(spapi.SpapiUnavailable):
        submitting.submit(book, monkey_settings, save_report=lambda p, b: p)
    standin.scenario.faults = {}
    with ledger() as book:
        assert book.submissions(batch_id)[0].status == "intent"
    lines = []
    outcome = cancelkit.submit(say=lines.append)
    assert "Amazon has no such feed; creating it from the uploaded document" in lines
    assert standin.count("createFeedDocument") == 1 and len(standin.feeds) == 1
    assert outcome.confirmed == 12


def test_polling_starts_at_the_interval_and_grows(standin, tmp_path):
    make_batch(tmp_path)
    standin.scenario.statuses = ["IN_QUEUE"] * 5 + ["DONE"]
    settings = spapi_settings(
        {**standin.environment(), "CANCELKIT_SPAPI_POLL_INTERVAL": "30"}, None, None
    )
    pauses: list[float] = []
    with ledger() as book:
        outcome = submitting.submit(
            book, settings, sleep=pauses.append, save_report=save_report_beside
        )
    assert pauses == [30.0, 45.0, 67.5, 101.25, 151.875]
    assert outcome.confirmed == 12


# -- marketplaces -------------------------------------------------------------------------


def test_two_marketplaces_make_one_feed_each_with_its_own_id(standin, tmp_path):
    us_batch, us_flat = make_batch(tmp_path, "US")
    german = tmp_path / "german-orders.csv"  # other orders: the DE batch supersedes nothing
    lines = CLEAN.read_text().splitlines(keepends=True)
    german.write_text(lines[0] + "".join("3" + line[1:] for line in lines[1:]))
    de_batch, de_flat = make_batch(tmp_path, "DE", german)
    assert invoke("submit", "--batch", us_batch).exit_code == 0
    assert invoke("submit", "--batch", de_batch).exit_code == 0
    assert standin.violations == []
    by_document = {f.document_id: f.marketplace_ids for f in standin.feeds.values()}
    sent = {standin.uploads[doc]: ids for doc, ids in by_document.items()}
    assert sent == {
        us_flat.read_bytes(): ["ATVPDKIKX0DER"],
        de_flat.read_bytes(): ["A1PA6795UKMFR9"],
    }
    with ledger() as book:
        assert [s.marketplace_id for s in book.submissions(de_batch)] == ["A1PA6795UKMFR9"]
        assert [s.marketplace for s in book.submissions(us_batch)] == ["US"]


# -- secrets ------------------------------------------------------------------------------


def test_no_secret_in_any_output_log_ledger_file_or_traceback(standin, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    batch_id, flat = make_batch(tmp_path)
    standin.scenario.faults = {"getFeed": [429, 500]}
    run = invoke("submit")
    assert run.exit_code == 0
    standin.scenario.reject_tokens = True
    failed = invoke("submit", "--resubmit")
    assert failed.exit_code == 2
    with pytest.raises(CancelkitError) as info:
        cancelkit.submit(resubmit=True)
    texts = [run.output, failed.output, caplog.text]
    texts.append("".join(traceback.format_exception(info.value)))
    texts.append(repr(spapi_settings()))
    db = sqlite3.connect(os.environ["CANCELKIT_LEDGER"])
    texts.append("\n".join(db.iterdump()))
    db.close()
    texts.extend(p.read_text(errors="replace") for p in flat.parent.iterdir() if p.is_file())
    everything = "\n".join(texts)
    assert "ATVPDKIKX0DER" in everything  # the search does see the ledger's content
    for secret in (*SECRETS, *standin.tokens):
        assert secret not in everything
    assert "***" in repr(spapi_settings().credentials)


# -- configuration ------------------------------------------------------------------------


def _config(folder: Path, server, mode: int) -> Path:
    path = folder / "cancelkit.toml"
    app_id, secret, refresh = SECRETS
    path.write_text(
        "[amazon]\n"
        f'lwa_app_id = "{app_id}"\nlwa_client_secret = "{secret}"\n'
        f'sp_api_refresh_token = "{refresh}"\n'
        f'spapi_endpoint = "{server.base}"\nlwa_endpoint = "{server.base}/auth/o2/token"\n'
        "poll_interval = 0.02\n"
    )
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode, warned", [(0o644, True), (0o600, False)])
def test_credentials_from_the_config_file_warn_when_others_can_read_it(
    standin, tmp_path, monkeypatch, mode, warned
):
    make_batch(tmp_path)
    for name in standin.environment():
        monkeypatch.delenv(name)
    config = _config(tmp_path, standin, mode)
    run = invoke("submit", "--config", config)
    assert run.exit_code == 0, run.output
    warning = f"warning: {config} holds SP-API credentials and other users can read it"
    assert (warning in run.stderr) is warned
    assert len(standin.feeds) == 1
