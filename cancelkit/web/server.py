"""`cancelkit serve`: the local page on uvicorn, one session, its private folder removed
when the server stops (Ctrl-C: exit 130, nothing left behind)."""

from __future__ import annotations

import ipaddress
import socket
import tempfile
import webbrowser
from collections.abc import Callable
from pathlib import Path

import uvicorn

from ..errors import ConfigError
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


def listen(host: str, port: int) -> socket.socket:
    """The listening socket (port 0: a free port), or a ConfigError saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port "
            "(or --host)",
            code="web_listen",
        ) from None
    return sock


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
    elif host != DEFAULT_HOST:
        say(f"warning: serving on {host}, not {DEFAULT_HOST}: open the page at exactly {host}")
    sock = listen(host, port)
    port = sock.getsockname()[1]
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
        server.run(sockets=[sock])
    finally:
        session.remove()
        sock.close()
