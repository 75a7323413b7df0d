"""`cancelkit serve` leaving through Amazon: "Send to Amazon" runs `submit` against the
local stand-in and shows its live status and the reconcile outcome; the history page lists
the ledger's batches and reconciles a dropped processing report, offering the retry file."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import CLEAN
from spapi_standin import SECRETS, processing_report, standin  # noqa: F401
from web_serving import browser, served, shoot, watched  # noqa: F401


def load_and_leave(page, server, source: Path = CLEAN) -> str:
    page.goto(server.url)
    page.set_input_files("#inputs", [str(source)])
    page.fill("#orders_7d", "4000")
    page.click("#load-button")
    page.wait_for_url(re.compile(r".*/b/batch-[0-9]+$"))
    page.click("#leave-button")
    page.wait_for_selector("#left")
    return page.inner_text("#left-batches")


def test_send_to_the_standin_shows_status_and_reconcile_outcome(
    browser,  # noqa: F811
    served,  # noqa: F811
    standin,  # noqa: F811
):
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    seen = watched(page)
    batch_id = load_and_leave(page, served)
    page.click("#send-button")
    page.wait_for_selector("#send-status[data-done='1']")
    text = page.inner_text("#send-status")
    assert "confirmed" in text, text
    assert standin.violations == []
    assert len(standin.feeds) == 1
    shoot(page, "send")
    assert batch_id
    # no secret reached the page, in any answer it was given
    content = page.content()
    for secret in SECRETS:
        assert secret not in content
    assert seen["errors"] == []
    assert all(url.startswith(served.base) for url in seen["requests"])


def test_history_lists_batches_and_reconciles_a_dropped_report(
    browser,  # noqa: F811
    served,  # noqa: F811
    tmp_path,
):
    page = browser.new_page(viewport={"width": 1300, "height": 900}, accept_downloads=True)
    batch_id = load_and_leave(page, served)
    link = page.locator("#downloads a.download", has_text=re.compile(r"^cancellations-.*\.txt$"))
    with page.expect_download() as waiting:
        link.first.click()
    uploaded = Path(waiting.value.path()).read_bytes()
    report = tmp_path / "processing-report.txt"
    report.write_text(
        processing_report(uploaded, [(1, "5002", "Error", "An internal error occurred")]),
        encoding="utf-8",
    )

    page.click("nav >> text=History")
    page.wait_for_url(re.compile(r".*/history$"))
    assert batch_id in page.inner_text("#history")
    page.set_input_files("#report-file", str(report))
    page.click("#reconcile-form button[type=submit]")
    page.wait_for_selector("#reconcile-outcome:not([hidden])")
    outcome = page.inner_text("#reconcile-outcome")
    assert batch_id in outcome and "failed" in outcome.lower(), outcome
    page.wait_for_selector("#retry-link:not([hidden])")
    shoot(page, "history")
    with page.expect_download() as waiting:
        page.click("#retry-href")
    retry = Path(waiting.value.path()).read_text(encoding="utf-8-sig")
    first_order = uploaded.decode().splitlines()[2].split("\t")[0]
    assert first_order in retry
    page.reload()
    assert "failed" in page.inner_text("#history")
