"""`cancelkit serve`: the local page on uvicorn, one session, its private folder removed
when the server stops (Ctrl-C: exit 130, nothing left behind)."""

from __future__ import annotations

import ipaddress
import tempfile
import webbrowser
from collections.abc import Callable
from pathlib import Path

import uvicorn

from .pages import app
from .state import Session

DEFAULT_HOST, DEFAULT_PORT, DEFAULT_MAX_UPLOAD_MB = "127.0.0.1", 8765, 200.0


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def url_of(host: str, port: int, token: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/?token={token}"


def make_server(session: Session, host: str, port: int) -> uvicorn.Server:
    """The uvicorn server of one session (its downloads cut short a second after Ctrl-C)."""
    config = uvicorn.Config(
        app(session, host, port),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    return uvicorn.Server(config)


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    open_browser: bool = True,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
    say: Callable[[str], None] = print,
) -> None:
    """Run the page until stopped; KeyboardInterrupt (Ctrl-C) propagates once the session's
    folder is removed, so the command line exits 130."""
    if not is_loopback(host):
        say(
            f"warning: serving on {host}, not the loopback address: anyone who can reach "
            "this machine and port and learns the URL can use the page"
        )
    folder = Path(tempfile.mkdtemp(prefix="cancelkit-serve-"))
    session = Session(folder, max_upload_mb)
    try:
        server = make_server(session, host, port)
        url = url_of(host, port, session.url_token or "")
        say(f"cancelkit serve: open {url}")
        say(f"working folder (removed when the server stops): {folder}")
        say("(the token works once; Ctrl-C stops the server and removes its working folder)")
        if open_browser:
            webbrowser.open(url)
        server.run()
    finally:
        session.remove()
