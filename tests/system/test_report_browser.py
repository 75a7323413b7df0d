"""Risk summary report in a real headless Chromium: no script runs, nothing is fetched."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from cancelkit.write.report import render_report

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _load_samples():
    # Loaded by path so this works whatever pytest's import mode and whether tests/ is a package.
    spec = importlib.util.spec_from_file_location(
        "report_render_samples", Path(__file__).parents[1] / "write" / "test_report_render.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


samples = _load_samples()


@pytest.fixture(scope="module")
def browser():
    missing = []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing.append("the playwright package")
    if not Path(CHROMIUM).exists():
        missing.append(CHROMIUM)
    if missing:
        message = "browser test needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI must run it")
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def dangerous_report(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(render_report(samples.dangerous_context(), "html"), encoding="utf-8")
    return path


def test_dangerous_report_renders_as_text_without_scripts_or_requests(
    browser, dangerous_report: Path, tmp_path: Path
):
    url = dangerous_report.as_uri()
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    console, page_errors, dialogs, requests = [], [], [], []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: page_errors.append(str(error)))

    def on_dialog(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(url, wait_until="load")
        body = page.inner_text("body")
        image_count = page.locator("img").count()
        script_count = page.locator("script").count()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    finally:
        page.close()

    assert dialogs == [], "an injected script ran"
    assert page_errors == []
    assert console == []
    assert requests == [url]
    assert image_count == 0
    assert script_count == 0
    assert "Do not upload this batch as it is" in body
    assert "3.50%" in body
    assert samples.INJECTED_SKU in body
    assert '<script>alert("note")</script>' in body
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_dangerous_report_fits_a_phone_screen(browser, dangerous_report: Path):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(dangerous_report.as_uri(), wait_until="load")
        # Wide tables scroll inside their own box; the page itself must not scroll sideways.
        page_width = page.evaluate("document.documentElement.scrollWidth")
    finally:
        page.close()
    assert page_width <= 390
