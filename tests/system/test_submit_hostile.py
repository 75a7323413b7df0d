"""`submit` and `fetch-orders` against a stand-in for Amazon that misbehaves (issue 16 "Sent
once, and no secret ever echoed", issue 17 "SP-API answers must be about our request" and
"against Amazon as it really answers"): two runs at once, a feed another batch may own, a
server that echoes the request, a gzip bomb, a trickled answer, redirects, plain http URLs,
answers about another feed, a token that expires, a ledger edited on disk, a definite 400,
a next-page token that repeats, 429 without the rate header, FATAL without a report."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest
from conftest import CLEAN, installed_wheel, invoke
from spapi_standin import SANDBOX_FEED, SECRETS, Standin
from test_submit import _cli, _wait_for, error_line, ledger, make_batch, the_feed

import cancelkit
from cancelkit import spapi
from cancelkit.amazon import marketplaces
from cancelkit.errors import CancelkitError, ConfigError, SubmitInProgress
from cancelkit.ledger.submissions import BatchLock
from cancelkit.options import spapi_settings
from cancelkit.usecases import submit as submitting

APP_ID, CLIENT_SECRET, REFRESH_TOKEN = SECRETS
US, DE = "ATVPDKIKX0DER", "A1PA6795UKMFR9"


class FakeTime:
    """A clock that only moves when something sleeps: pacing tests run in no time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def every_form(secret: str) -> list[str]:
    """A secret as an answer may quote it: raw, URL-encoded, JSON-escaped."""
    escaped = "".join(c if c.isalnum() else f"\\u{ord(c):04x}" for c in secret)
    return [
        secret,
        quote(secret, safe=""),
        quote(secret, safe="").lower(),
        quote_plus(secret),
        quote(quote(secret, safe=""), safe=""),
        json.dumps(secret)[1:-1],
        escaped,
        secret.replace("|", "\\|"),
    ]


def assert_no_secret(text: str, *more: str) -> None:
    for secret in (*SECRETS, *more):
        for form in every_form(secret):
            assert form not in text, (form, text)


# -- 1. sent once: two runs of one batch at once ------------------------------------------


@pytest.mark.slow
def test_two_submit_processes_of_one_batch_make_one_feed(standin, tmp_path):
    batch_id, _ = make_batch(tmp_path)
    standin.scenario.hang_create_feed = 60.0  # the first run holds the batch in createFeed
    env = dict(os.environ)
    first = _cli(env, "submit")
    _wait_for(lambda: len(standin.feeds) == 1)
    second = _cli(env, "submit")
    _, stderr = second.communicate(timeout=60)
    assert second.returncode == 2, stderr.decode()
    line = stderr.decode().strip().splitlines()[-1]
    assert f"another `cancelkit submit` is sending batch {batch_id} right now" in line
    assert f"(process {first.pid})" in line and "[submit_in_progress]" in line
    assert standin.count("createFeed") == 1 and standin.count("createFeedDocument") == 1
    standin.scenario.hang_create_feed = 0.0
    standin.release.set()
    stdout, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr.decode()
    assert standin.count("createFeed") == 1 and len(standin.feeds) == 1
    with ledger() as book:
        assert len(book.submissions(batch_id)) == 1
    lock = Path(os.environ["CANCELKIT_LEDGER"] + f".submit-{batch_id}.lock")
    assert not lock.exists()  # nothing left behind
    again = _cli(env, "submit")  # and the lock is free again
    again.communicate(timeout=60)
    assert again.returncode == 2 and len(standin.feeds) == 1  # already_submitted


def test_the_lock_refuses_a_second_holder_in_python(standin, tmp_path):
    batch_id, _ = make_batch(tmp_path)
    with BatchLock(os.environ["CANCELKIT_LEDGER"], batch_id) as held:
        assert held.path.read_text() == str(os.getpid())
        with pytest.raises(SubmitInProgress) as info:
            cancelkit.submit()
        assert info.value.code == "submit_in_progress"
    assert standin.calls == [] and not held.path.exists()
    assert cancelkit.submit().confirmed == 12  # released: the batch goes out once


# -- 2. a feed is adopted only when it cannot be another batch's ----------------------------


def _intent_amazon_never_saw(standin, batch_id: str) -> None:
    standin.scenario.faults = {"createFeed": [429] * 4}
    settings = spapi.SpapiSettings(
        credentials=spapi.Credentials(*SECRETS),
        api_endpoint=standin.base,
        lwa_endpoint=f"{standin.base}/auth/o2/token",
        poll_interval=0.001,
        max_retries=1,
    )
    with ledger() as book, pytest.raises(spapi.SpapiUnavailable):
        submitting.submit(book, settings, batch_id, save_report=lambda p, b: p)
    standin.scenario.faults = {}


def test_after_unclear_crashes_a_feed_is_never_adopted_by_the_wrong_batch(standin, tmp_path):
    a_batch, _ = make_batch(tmp_path)
    german = tmp_path / "other-orders.csv"
    lines = CLEAN.read_text().splitlines(keepends=True)
    german.write_text(lines[0] + "".join("3" + line[1:] for line in lines[1:]))
    b_batch, _ = make_batch(tmp_path, "US", german)
    _intent_amazon_never_saw(standin, a_batch)  # A: intent, Amazon has no feed for it
    standin.scenario.drop_create_feed_answer = True  # B: Amazon made the feed, answer lost
    with pytest.raises(CancelkitError) as info:
        cancelkit.submit(b_batch)
    assert info.value.code == "feed_lookup_ambiguous"
    assert f"unanswered createFeed calls of batch(es) {a_batch}" in str(info.value)
    b_feed = the_feed(standin)

    # A's rerun must not take B's feed (the bug: B sent twice, A never)
    with pytest.raises(CancelkitError) as again:
        cancelkit.submit(a_batch)
    assert again.value.code == "feed_lookup_ambiguous" and b_batch in str(again.value)
    assert len(standin.feeds) == 1 and standin.count("createFeed") == 3  # A's two 429s, B's one
    with ledger() as book:
        assert all(s.feed_id != b_feed.feed_id for s in book.submissions(a_batch))
    run = invoke("submit", "--batch", a_batch)
    error_line(run, "cannot tie to this batch alone", "[feed_lookup_ambiguous]")


def test_a_lone_intent_still_adopts_its_feed(standin, tmp_path):
    batch_id, _ = make_batch(tmp_path)
    standin.scenario.drop_create_feed_answer = True
    outcome = cancelkit.submit()
    assert outcome.submission.feed_id == the_feed(standin).feed_id and outcome.confirmed == 12


# -- 3. no secret ever echoed --------------------------------------------------------------


def test_a_refresh_token_echoed_by_login_with_amazon_never_reaches_the_terminal(standin, tmp_path):
    make_batch(tmp_path)
    standin.scenario.echo = {"token"}
    run = invoke("submit")
    line = error_line(run, "Login with Amazon refused the credentials (HTTP 400", "***")
    assert "[lwa_refused]" in line and "grant_type=refresh_token" in line  # the echo is shown
    assert_no_secret(run.output)
    with pytest.raises(CancelkitError) as info:
        cancelkit.submit()
    assert_no_secret(str(info.value))


@pytest.mark.parametrize("operation", ["createFeedDocument", "createFeed", "getFeed"])
def test_an_answer_that_echoes_the_request_and_its_token_is_redacted(standin, tmp_path, operation):
    make_batch(tmp_path)
    standin.scenario.echo = {operation}
    run = invoke("submit")
    line = error_line(run, f"{operation}: Amazon answered HTTP 400: InvalidInput: cannot read")
    assert '"X-Amz-Access-Token": "***"' in line or "***" in line
    assert_no_secret(run.output, *standin.tokens)


def test_redact_covers_every_encoding_of_every_secret():
    token = "Atza|IwEBI+access/token=="
    text = " ".join(form for secret in (*SECRETS, token) for form in every_form(secret))
    redacted = spapi.redact(text, (*SECRETS, token))
    assert_no_secret(redacted, token)
    assert set(redacted.split()) == {"***"}
    assert spapi.redact("nothing secret here", SECRETS) == "nothing secret here"


def test_amazon_error_details_are_shown():
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/o2/token":
            return httpx.Response(200, json={"access_token": "Atza|t-0123456789"})
        error = {"code": "InvalidInput", "message": "Bad feed", "details": "marketplaceIds: 2"}
        return httpx.Response(400, json={"errors": [error]})

    client = _mock_client(answer)
    with pytest.raises(spapi.SpapiRefused) as info:
        client.create_feed("doc", US)
    assert str(info.value) == (
        "createFeed: Amazon answered HTTP 400: InvalidInput: Bad feed (marketplaceIds: 2)"
    )


def _mock_client(answer, endpoint="https://sellingpartnerapi-na.amazon.com", **kw):
    settings = spapi_settings(
        {
            "LWA_APP_ID": APP_ID,
            "LWA_CLIENT_SECRET": CLIENT_SECRET,
            "SP_API_REFRESH_TOKEN": REFRESH_TOKEN,
            "CANCELKIT_SPAPI_ENDPOINT": endpoint,
        },
        None,
        None,
    )
    client = spapi.SpapiClient(
        settings, marketplaces.spapi_marketplace("US"), transport=httpx.MockTransport(answer), **kw
    )
    return client


# -- 4. gzip bomb, trickled answers ---------------------------------------------------------


def test_a_gzip_bomb_as_result_document_stops_with_a_clear_code(standin, tmp_path, monkeypatch):
    batch_id, flat = make_batch(tmp_path)
    monkeypatch.setattr(spapi.transport, "MAX_DOCUMENT_BYTES", 1024 * 1024)
    standin.scenario.bomb_bytes = 8 * 1024 * 1024
    run = invoke("submit")
    error_line(run, "unpacks to more than 1,048,576 bytes", "[result_document_too_large]")
    assert not flat.with_name(flat.stem + "-processing-report.txt").exists()
    with ledger() as book:
        assert book.batch(batch_id).states["generated"] == 12  # nothing reconciled


def test_gunzip_is_bounded_and_refuses_broken_gzip():
    from spapi_standin import gzip_bomb

    with pytest.raises(spapi.SpapiError) as info:
        spapi.gunzip(gzip_bomb(4 * 1024 * 1024), 1024 * 1024)
    assert info.value.code == "result_document_too_large"
    assert spapi.gunzip(gzip_bomb(1000), 1000) == bytes(1000)
    with pytest.raises(spapi.SpapiError) as broken:
        spapi.gunzip(gzip_bomb(5000)[:-12], 10_000)
    assert broken.value.code == "result_document_invalid"


@pytest.mark.slow
@pytest.mark.parametrize("head", [False, True], ids=["body", "status-line-and-headers"])
def test_wait_3_against_a_getfeed_trickled_a_byte_a_second_ends_at_the_wait(
    standin, tmp_path, head
):
    make_batch(tmp_path)
    standin.scenario.trickle = {"getFeed": 1.0}
    standin.scenario.trickle_head = head
    process = _cli(dict(os.environ), "submit", "--wait", "3")
    stdout, stderr = process.communicate(timeout=120)  # a bound against a hang, no timing
    assert process.returncode == 4, stderr.decode()
    feed = the_feed(standin)
    assert stdout.decode() == f"feed {feed.feed_id} IN_QUEUE\n"
    assert "is still IN_QUEUE at Amazon" in stderr.decode()
    # the run hung up on the trickled answer at its wait, not after reading it to its end
    # (which took 41-54 s before the fix): the stand-in stops writing once the socket is gone
    _wait_for(lambda: standin.trickled, 120)
    ((written, length),) = standin.trickled
    assert written < length


# -- 5. values at the door ------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, fragment",
    [
        ({"wait": "10"}, "wait must be a number of seconds >= 0, or None for no limit (got '10')"),
        ({"wait": -1}, "wait must be a number of seconds >= 0"),
        ({"wait": float("nan")}, "wait must be a number of seconds >= 0"),
        ({"wait": True}, "wait must be a number of seconds >= 0"),
        ({"batch": 5}, "batch must be a batch id (text) or None (got 5)"),
        ({"resubmit": "yes"}, "resubmit must be True or False (got 'yes')"),
    ],
)
def test_wrong_types_from_python_are_config_errors(standin, tmp_path, given, fragment):
    make_batch(tmp_path)
    with pytest.raises(ConfigError) as info:
        cancelkit.submit(**given)
    assert fragment in str(info.value)
    assert standin.calls == []


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon", "0.0"])
def test_a_poll_interval_that_is_not_a_pause_is_refused(standin, tmp_path, monkeypatch, value):
    make_batch(tmp_path)
    monkeypatch.setenv("CANCELKIT_SPAPI_POLL_INTERVAL", value)
    run = invoke("submit")
    error_line(run, "CANCELKIT_SPAPI_POLL_INTERVAL must be a number of seconds > 0", "[config_")
    assert standin.calls == []
    with pytest.raises(ConfigError):
        spapi.SpapiSettings(credentials=None, poll_interval=float(value) if value[0] != "s" else 0)


# -- 6. answers that are not about our request ---------------------------------------------


@pytest.mark.parametrize("operation", ["token", "createFeedDocument", "upload", "getFeed"])
def test_a_redirect_to_another_host_is_never_followed(standin, tmp_path, operation):
    make_batch(tmp_path)
    elsewhere = Standin().start()
    try:
        standin.scenario.redirect = {operation: elsewhere.base.replace("127.0.0.1", "localhost")}
        run = invoke("submit")
        error_line(run, f"{operation if operation != 'token' else 'Login with Amazon'}: the server")
        assert "answered with a redirect (HTTP 307) to 'localhost'" in run.stderr
        assert "[spapi_redirect]" in run.stderr
        assert elsewhere.calls == []
        assert standin.count("createFeed") == (1 if operation == "getFeed" else 0)
    finally:
        elsewhere.stop()


def test_a_document_url_to_another_host_over_plain_http_gets_nothing(standin, tmp_path):
    make_batch(tmp_path)
    elsewhere = Standin().start()
    try:
        standin.scenario.document_base = elsewhere.base.replace("127.0.0.1", "localhost")
        run = invoke("submit")
        error_line(run, "createFeedDocument: Amazon's answer gives a document URL that is not")
        assert "'http://localhost'" in run.stderr and "[spapi_document_url]" in run.stderr
        assert elsewhere.calls == [] and standin.count("upload") == 0
    finally:
        elsewhere.stop()


def test_a_plain_http_url_from_an_https_endpoint_is_refused():
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/o2/token":
            return httpx.Response(200, json={"access_token": "Atza|t-0123456789"})
        url = "http://tortuga-prod-na.s3-external-1.amazonaws.com/doc?X-Amz-Signature=1"
        return httpx.Response(201, json={"feedDocumentId": "doc-1", "url": url})

    with pytest.raises(spapi.SpapiError) as info:
        _mock_client(answer).create_feed_document()
    assert info.value.code == "spapi_document_url"


@pytest.mark.parametrize(
    "over, what",
    [
        (SANDBOX_FEED, "feed 'FeedId1'"),  # Amazon's sandbox: a canned POST_PRODUCT_DATA feed
        ({"feedType": "POST_PRODUCT_DATA"}, "a feed of type 'POST_PRODUCT_DATA'"),
        ({"marketplaceIds": [DE]}, "marketplace(s) "),
    ],
)
def test_a_getfeed_answer_about_another_feed_stops_everything(standin, tmp_path, over, what):
    batch_id, _ = make_batch(tmp_path)
    standin.scenario.answer_over = {"getFeed": over}
    run = invoke("submit")
    error_line(run, f"getFeed: Amazon's answer is about {what}", "[spapi_answer_mismatch]")
    assert standin.count("getFeed") == 1  # nothing more was asked
    assert standin.count("getFeedDocument") == 0 and standin.count("download") == 0
    with ledger() as book:
        assert book.batch(batch_id).states["generated"] == 12  # nothing reconciled


def test_a_getfeeddocument_answer_for_another_document_stops(standin, tmp_path):
    make_batch(tmp_path)
    standin.scenario.answer_over = {"getFeedDocument": {"feedDocumentId": "amzn1.other-doc"}}
    run = invoke("submit")
    error_line(run, "getFeedDocument: Amazon's answer is about document 'amzn1.other-doc'")
    assert standin.count("download") == 0


def test_the_access_token_is_renewed_before_it_expires_mid_poll(standin, tmp_path):
    make_batch(tmp_path)
    feed_id = None
    fake = FakeTime()
    settings = spapi_settings(None, None, None)
    with spapi.SpapiClient(
        settings, marketplaces.spapi_marketplace("US"), clock=fake.clock, sleep=fake.sleep
    ) as client:
        document, url = client.create_feed_document()
        content = b"order-id\n"
        client.upload(url, content)
        feed_id = client.create_feed(document, US)
        client.get_feed(feed_id)
        assert standin.count("token") == 1
        fake.now += 3600 - 301  # still 5 minutes and a second to go
        client.get_feed(feed_id)
        assert standin.count("token") == 1
        fake.now += 2  # less than 5 minutes left: renewed before it runs out
        client.get_feed(feed_id)
        assert standin.count("token") == 2
    standin.scenario.token_lifetime = 60  # a short life: renewed halfway
    with spapi.SpapiClient(
        settings, marketplaces.spapi_marketplace("US"), clock=fake.clock, sleep=fake.sleep
    ) as client:
        client.get_feed(feed_id)
        fake.now += 31
        client.get_feed(feed_id)
    assert standin.count("token") == 4
    assert standin.violations == []


def _edit(sql: str, *params) -> None:
    db = sqlite3.connect(os.environ["CANCELKIT_LEDGER"])
    with db:
        db.execute(sql, params)
    db.close()


@pytest.mark.parametrize(
    "sql, fragment",
    [
        ("UPDATE submissions SET upload_sha256 = 'ab12'", "upload sha256 is not the batch's"),
        ("UPDATE submissions SET status = 'uploading'", "but the status 'uploading'"),
        ("UPDATE submissions SET marketplace_id = 'A1PA6795UKMFR9'", "for marketplace US"),
        ("UPDATE submissions SET intent_at = 'yesterday'", "intent time 'yesterday'"),
    ],
)
def test_a_ledger_edited_between_runs_is_refused(standin, tmp_path, sql, fragment):
    batch_id, _ = make_batch(tmp_path)
    standin.scenario.statuses = ["IN_QUEUE"]
    assert invoke("submit", "--wait", "0").exit_code == 4
    calls = list(standin.calls)
    _edit(sql)
    run = invoke("submit")
    error_line(run, fragment, "does not hold together", "[ledger_submission_inconsistent]")
    assert standin.calls == calls


def test_a_feed_id_edited_to_another_batchs_is_refused(standin, tmp_path):
    us_batch, _ = make_batch(tmp_path)
    standin.scenario.statuses = ["IN_QUEUE"]
    assert invoke("submit", "--wait", "0").exit_code == 4
    german = tmp_path / "other.csv"
    lines = CLEAN.read_text().splitlines(keepends=True)
    german.write_text(lines[0] + "".join("3" + line[1:] for line in lines[1:]))
    other, _ = make_batch(tmp_path, "US", german)
    assert invoke("submit", "--batch", other, "--wait", "0").exit_code == 4
    with ledger() as book:
        first = book.submissions(us_batch)[0].feed_id
    _edit("UPDATE submissions SET feed_id = ? WHERE batch_id = ?", first, other)
    calls = list(standin.calls)
    run = invoke("submit", "--batch", other)
    error_line(run, f"feed {first} is recorded for batch(es) {us_batch} as well")
    assert standin.calls == calls


def test_a_feed_resumed_at_another_endpoint_is_refused(standin, tmp_path, monkeypatch):
    make_batch(tmp_path)
    standin.scenario.statuses = ["IN_QUEUE"]
    assert invoke("submit", "--wait", "0").exit_code == 4
    monkeypatch.setenv("CANCELKIT_SPAPI_ENDPOINT", standin.base.replace("127.0.0.1", "localhost"))
    run = invoke("submit")
    error_line(run, f"was sent to {standin.base}", "[submission_endpoint_changed]")


# -- 7. a definite refusal of createFeed --------------------------------------------------


@pytest.mark.parametrize("status", [400, 403])
def test_a_definite_refusal_of_createfeed_is_not_an_unfinished_run(standin, tmp_path, status):
    batch_id, _ = make_batch(tmp_path)
    # a 403 is asked again once with a renewed token
    standin.scenario.faults = {"createFeed": [status] * (2 if status == 403 else 1)}
    run = invoke("submit")
    error_line(run, "createFeed: Amazon", "Amazon created no feed", "[create_feed_refused]")
    with ledger() as book:
        (submission,) = book.submissions(batch_id)
        assert submission.finished == "refused" and submission.feed_id is None
    again = invoke("submit")
    assert again.exit_code == 0, again.output
    assert "stopped while creating the feed" not in again.stderr
    assert "Amazon refused the last run's createFeed; sending the batch afresh" in again.stderr
    assert standin.count("getFeeds") == 0 and len(standin.feeds) == 1


# -- 8. paging that never ends ---------------------------------------------------------------


def _orders(count: int, market: str = US) -> list[dict]:
    """searchOrders Orders (of the shape tests/enrich/test_amazon_orders.py uses)."""
    return [
        {
            "orderId": f"{'113' if market == US else '302'}-{n:07d}-2038475",
            "createdTime": "2026-11-30T10:00:00Z",
            "lastUpdatedTime": "2026-11-30T11:00:00Z",
            "salesChannel": {"channelName": "AMAZON", "marketplaceId": market},
            "fulfillment": {"fulfillmentStatus": "UNSHIPPED", "fulfilledBy": "MERCHANT"},
            "orderItems": [
                {
                    "orderItemId": f"6284517392{n:04d}",
                    "quantityOrdered": 1,
                    "product": {"asin": f"B0{n:08d}", "sellerSku": f"MUG-{n}"},
                }
            ],
        }
        for n in range(1, count + 1)
    ]


def test_a_next_token_that_repeats_stops_fetch_orders_with_a_message(standin, tmp_path):
    standin.scenario.orders = _orders(5)
    standin.scenario.repeat_token = True
    output = tmp_path / "orders.txt"
    run = invoke("fetch-orders", "-o", output)
    error_line(run, "searchOrders: Amazon gave a next-page token it had given before")
    assert "[spapi_paging_loop]" in run.stderr
    assert standin.count("searchOrders") == 2 and not output.exists()


def test_pages_are_capped(standin, monkeypatch):
    monkeypatch.setattr(spapi.session, "MAX_PAGES", 3)
    standin.scenario.orders = _orders(450)
    settings = spapi_settings(None, None, None)
    with (
        spapi.SpapiClient(settings, marketplaces.spapi_marketplace("US")) as client,
        pytest.raises(spapi.SpapiError) as info,
    ):
        list(client.search_orders(US, "2026-01-01T00:00:00Z", ("UNSHIPPED",), ("FULFILLMENT",)))
    assert info.value.code == "spapi_too_many_pages" and standin.count("searchOrders") == 3


def test_getfeeds_with_a_repeating_token_stops(standin):
    standin.scenario.repeat_token = True
    settings = spapi_settings(None, None, None)
    with (
        spapi.SpapiClient(settings, marketplaces.spapi_marketplace("US")) as client,
        pytest.raises(spapi.SpapiError) as info,
    ):
        client.get_feeds(US, "2026-01-01T00:00:00Z")
    assert info.value.code == "spapi_paging_loop" and standin.count("getFeeds") == 2


def test_orders_of_another_marketplace_in_an_answer_stop_fetch_orders(standin, tmp_path):
    standin.scenario.orders = [*_orders(3), *_orders(1, DE)]
    standin.scenario.any_marketplace = True
    output = tmp_path / "orders.txt"
    run = invoke("fetch-orders", "-o", output)
    error_line(run, f"searchOrders: Amazon's answer is about marketplace '{DE}'")
    assert not output.exists()


# -- 9. rate limits paced, not only retried ------------------------------------------------


def test_3000_orders_are_paced_by_searchorders_rate_and_429s_without_a_header_back_off(
    standin, tmp_path, monkeypatch
):
    fake = FakeTime()
    monkeypatch.setattr(spapi.transport, "default_clock", fake.clock)
    monkeypatch.setattr(spapi.transport, "default_sleep", fake.sleep)
    standin.scenario.orders = _orders(3000)
    standin.scenario.faults = {"searchOrders": [429, 429]}  # Amazon: no rate header on a 429
    output = tmp_path / "orders.txt"
    run = invoke("fetch-orders", "-o", output)
    assert run.exit_code == 0, run.output
    assert run.stderr.endswith(f"fetch-orders: 3000 order item lines written to {output}\n")
    assert standin.violations == []
    assert standin.count("searchOrders") == 32  # 30 pages, 2 of them throttled once
    rate, burst = spapi.RATE_LIMITS["searchOrders"]
    pacing = [p for p in fake.pauses if p > 100]
    # the burst of 20 goes at once (less the two 429s); every later page waits 1/rate
    assert len(pacing) == 32 - burst
    assert all(abs(p - 1 / rate) < 1 for p in pacing)
    assert "searchOrders: pacing to Amazon's rate limit (0.0056 a second)" in run.stderr
    assert run.stderr.count("searchOrders: HTTP 429 (throttled); retrying in") == 2


def test_create_feed_beyond_its_burst_waits_for_its_rate(standin):
    fake = FakeTime()
    waits: list[str] = []
    settings = spapi_settings(None, None, None)
    with spapi.SpapiClient(
        settings,
        marketplaces.spapi_marketplace("US"),
        clock=fake.clock,
        sleep=fake.sleep,
        on_wait=lambda seconds, why: waits.append(why),
    ) as client:
        for _ in range(17):
            document, url = client.create_feed_document()
            client.upload(url, b"x")
            client.create_feed(document, US)
    assert len(standin.feeds) == 17 and standin.violations == []
    paced = [why for why in waits if why.startswith("createFeed: pacing")]
    assert len(paced) == 2  # the 16th and the 17th
    assert sum(p for p in fake.pauses if p > 100) == pytest.approx(2 / 0.0083, rel=0.01)


def test_the_rate_header_replaces_the_published_rate():
    fake = FakeTime()
    calls = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/o2/token":
            return httpx.Response(200, json={"access_token": "Atza|t-0123456789"})
        calls.append(request.headers["user-agent"])
        feed = {"feedId": "1", "feedType": spapi.FEED_TYPE, "processingStatus": "IN_QUEUE"}
        return httpx.Response(200, json=feed, headers={"x-amzn-RateLimit-Limit": "0.1"})

    client = _mock_client(answer, clock=fake.clock, sleep=fake.sleep)
    for _ in range(16):
        client.get_feed("1")
    assert fake.pauses == [pytest.approx(10.0)]  # the 16th, at the header's 0.1 a second
    assert set(calls) == {spapi.USER_AGENT}
    assert spapi.USER_AGENT.startswith(f"cancelkit/{cancelkit.__version__} (Language=Python/")


# -- 11. regions, sandbox ------------------------------------------------------------------


def test_a_refresh_token_per_region(standin, tmp_path, monkeypatch):
    make_batch(tmp_path)
    monkeypatch.setenv("SP_API_REFRESH_TOKEN", "Atzr|the-EU-accounts-token-0123")
    monkeypatch.setenv("SP_API_REFRESH_TOKEN_NA", REFRESH_TOKEN)
    assert invoke("submit").exit_code == 0  # the NA token was used for the US batch
    monkeypatch.delenv("SP_API_REFRESH_TOKEN")
    monkeypatch.setenv("SP_API_REFRESH_TOKEN_EU", "Atzr|the-EU-accounts-token-0123")
    settings = spapi_settings()
    assert settings.credentials.refresh_token_for("EU") == "Atzr|the-EU-accounts-token-0123"
    assert settings.credentials.refresh_token_for("NA") == REFRESH_TOKEN
    monkeypatch.delenv("SP_API_REFRESH_TOKEN_NA")
    with pytest.raises(spapi.SpapiError) as info:
        spapi.SpapiClient(spapi_settings(), marketplaces.spapi_marketplace("JP"))
    assert info.value.code == "spapi_credentials_missing"
    assert "SP_API_REFRESH_TOKEN_FE or SP_API_REFRESH_TOKEN" in str(info.value)
    assert "the-EU" not in repr(settings) + str(info.value)


def test_the_sandbox_cannot_finish_a_submit_and_offers_the_stand_in(standin, tmp_path, monkeypatch):
    make_batch(tmp_path)
    monkeypatch.delenv("CANCELKIT_SPAPI_ENDPOINT")
    monkeypatch.setenv("CANCELKIT_SPAPI_SANDBOX", "1")
    run = invoke("submit")
    error_line(
        run, "sandbox.sellingpartnerapi-na.amazon.com is Amazon's sandbox", "[spapi_sandbox]"
    )
    assert "python -m cancelkit.spapi.standin" in run.stderr
    fetched = invoke("fetch-orders", "-o", tmp_path / "o.txt")
    error_line(fetched, "so a fetch-orders cannot finish there", "[spapi_sandbox]")
    assert standin.calls == []


# -- 12. the offline stand-in from an installed wheel ----------------------------------------


@pytest.mark.slow
def test_the_stand_in_runs_from_an_installed_wheel_without_pytest(tmp_path):
    env_dir = installed_wheel(tmp_path)
    python = env_dir / "bin" / "python"
    blocker = tmp_path / "no-pytest"  # the stand-in must not need pytest (or the tests)
    (blocker / "pytest").mkdir(parents=True)
    (blocker / "pytest" / "__init__.py").write_text("raise ImportError('no pytest here')\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "CANCELKIT_"))}
    env["PYTHONPATH"] = str(blocker)
    where = subprocess.run(
        [str(python), "-c", "import cancelkit.spapi.standin as s; print(s.MODELS)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert str(env_dir) in where  # the packaged stand-in and models, not the checkout's
    server = subprocess.Popen(
        [str(python), "-m", "cancelkit.spapi.standin"],
        cwd=elsewhere,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        exports = {}
        while len(exports) < 7:
            line = server.stdout.readline()
            assert line, server.stderr.read()
            name, _, value = line.removeprefix("export ").strip().partition("=")
            exports[name] = value.strip("'")
        assert str(env_dir) not in exports["CANCELKIT_LEDGER"]
        run_env = {**env, **exports, "NO_COLOR": "1"}
        cli = str(env_dir / "bin" / "cancelkit")
        generate = subprocess.run(
            [cli, "generate", str(CLEAN), "--orders-7d", "4000", "--quiet", "--out-dir", "out"],
            cwd=elsewhere,
            env=run_env,
            capture_output=True,
            text=True,
        )
        assert generate.returncode == 0, generate.stderr
        sent = subprocess.run(
            [cli, "submit"], cwd=elsewhere, env=run_env, capture_output=True, text=True
        )
        assert sent.returncode == 0, sent.stderr
        assert "12 of 12 rows confirmed, 0 failed." in sent.stdout
    finally:
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
    assert "violations: []" in out and "'createFeed'" in out


# -- ids Amazon gives are stored and shown: never a secret, never junk -------------------------


@pytest.mark.parametrize("feed_id", [CLIENT_SECRET, "50000\n00001", "x" * 201, "", 12345], ids=repr)
def test_a_feed_id_that_is_a_secret_or_junk_is_never_stored(standin, tmp_path, feed_id):
    batch_id, _ = make_batch(tmp_path)
    standin.scenario.answer_over = {"createFeed": {"feedId": feed_id}}
    run = invoke("submit")
    error_line(run, "createFeed: Amazon's answer has no usable feedId", "[spapi_answer_invalid]")
    assert_no_secret(run.output)
    db = sqlite3.connect(os.environ["CANCELKIT_LEDGER"])
    dump = "\n".join(db.iterdump())
    db.close()
    assert_no_secret(dump)
    with ledger() as book:
        assert book.submissions(batch_id)[0].feed_id is None


def test_fetch_orders_wrong_types_from_python_are_config_errors(standin, tmp_path):
    with pytest.raises(ConfigError) as info:
        cancelkit.fetch_orders(tmp_path / "o.txt", marketplace=5)
    assert "marketplace must be a marketplace code (got 5)" in str(info.value)
    assert standin.calls == []


def test_wait_0_still_reads_the_feed_once_so_a_rerun_can_finish(standin, tmp_path):
    batch_id, _ = make_batch(tmp_path)
    standin.scenario.statuses = ["IN_QUEUE"]
    first = invoke("submit", "--wait", "0")
    assert first.exit_code == 4 and standin.count("getFeed") == 1
    the_feed(standin).statuses = ["DONE"]
    again = invoke("submit", "--wait", "0")
    assert again.exit_code == 0, again.output
    with ledger() as book:
        assert book.batch(batch_id).states["confirmed"] == 12
