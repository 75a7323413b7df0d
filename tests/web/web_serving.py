"""The web tests' handles: a `cancelkit serve` session running in a thread on a socket the
test bound (no port race), and real Chromium through Playwright."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

if os.environ.get("CI") != "true":  # CI installs the web extra and must run these
    pytest.importorskip("starlette")

from cancelkit.web.server import listen, make_server, url_of
from cancelkit.web.state import Session

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"


@dataclass
class Served:
    session: Session
    host: str
    port: int
    url: str  # with the one-time token
    stop: Callable[[], None]

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"


@contextmanager
def serving(max_upload_mb: float = 200) -> Iterator[Served]:
    """A running server of a fresh session; its folder is removed when it stops."""
    folder = Path(tempfile.mkdtemp(prefix="cancelkit-serve-test-"))
    session = Session(folder, max_upload_mb)
    sock = listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = make_server(session, "127.0.0.1", port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)

    def stop() -> None:
        server.should_exit = True
        thread.join(30)
        session.remove()
        sock.close()

    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server did not start")
            thread.join(0.02)
        yield Served(
            session, "127.0.0.1", port, url_of("127.0.0.1", port, session.url_token or ""), stop
        )
    finally:
        stop()


@pytest.fixture
def served() -> Iterator[Served]:
    with serving() as found:
        yield found


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


def watched(page) -> dict[str, list]:
    """What a page did that it should not: script errors, dialogs, requests elsewhere."""
    seen: dict[str, list] = {"errors": [], "dialogs": [], "requests": []}
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))

    def on_dialog(dialog) -> None:
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda request: seen["requests"].append(request.url))
    return seen


def shoot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
