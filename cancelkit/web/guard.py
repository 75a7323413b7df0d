"""The server's door (a local server is still a server).

Every request must name the bound host in its Host header (DNS rebinding), carry the
session cookie set from the one-time URL token (else 403), and a state-changing one must
come from the page's own origin with the page's CSRF token. Every answer carries the
Content-Security-Policy of the report, widened only to the package's own script and style.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from .state import Session

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "cancelkit_session"
CSRF_HEADER = "x-csrf-token"
#: the report's policy (default-src 'none'), with the package's own script and stylesheet
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: the report itself, shown as it is written to disk: no script at all
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
SAFE_METHODS = frozenset(("GET", "HEAD"))
NO_ENTRY = (
    "403 Forbidden: this page opens only from the address `cancelkit serve` printed (it "
    "carries a one-time token); run `cancelkit serve` again for a new one"
)


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The Host header values of the bound address (`localhost` too when bound to the
    loopback address)."""
    shown = f"[{host}]" if ":" in host else host
    names = {f"{shown}:{port}"}
    if host in ("127.0.0.1", "::1"):
        names.add(f"localhost:{port}")
    return frozenset(names)


class Guard:
    """ASGI middleware: Host, session cookie, origin and CSRF checks, security headers."""

    def __init__(self, app: ASGIApp, session: Session, host: str, port: int) -> None:
        self.app = app
        self.session = session
        self.hosts = allowed_hosts(host, port)
        self.origins = frozenset(f"http://{name}" for name in self.hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        response = self.refusal(scope, headers)
        if response is None:
            response = self.first_visit(scope)
        if response is not None:
            await response(scope, receive, _secured(send))
            return
        await self.app(scope, receive, _secured(send, scope["path"]))

    def refusal(self, scope: Scope, headers: Headers) -> Response | None:
        if headers.get("host", "") not in self.hosts:
            return PlainTextResponse(
                "403 Forbidden: this server answers only to its own address "
                f"({', '.join(sorted(self.hosts))}), not to Host {headers.get('host', '')!r}",
                403,
            )
        if scope["method"] not in SAFE_METHODS:
            origin = headers.get("origin")
            if origin not in self.origins:
                return PlainTextResponse(
                    f"403 Forbidden: a request that changes something must come from this "
                    f"page (origin {origin!r} refused)",
                    403,
                )
        if self.first_token(scope) is not None:
            return None
        if not _same(_cookie(headers), self.session.cookie):
            return PlainTextResponse(NO_ENTRY, 403)
        if scope["method"] not in SAFE_METHODS and not _same(
            headers.get(CSRF_HEADER), self.session.csrf
        ):
            return PlainTextResponse(
                "403 Forbidden: the request lacks this page's CSRF token; reload the page", 403
            )
        return None

    def first_token(self, scope: Scope) -> str | None:
        """The one-time token of the printed URL, when the request carries it."""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.get("token") or [None])[0]
        expected = self.session.url_token
        if scope["method"] == "GET" and expected and _same(given, expected):
            return given
        return None

    def first_visit(self, scope: Scope) -> Response | None:
        """The printed URL: its token becomes the session cookie, once; opened again (the
        cookie already set), the used token is dropped from the address."""
        if self.first_token(scope) is None:
            if b"token=" in scope.get("query_string", b""):
                return RedirectResponse(scope["path"], status_code=303)
            return None
        self.session.url_token = None  # one time only
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, self.session.cookie, httponly=True, samesite="strict", path="/")
        return response


def _same(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


def _cookie(headers: Headers) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value
    return None


def _secured(send: Send, path: str = "") -> Send:
    """Add the security headers to every answer."""
    policy = REPORT_CSP if path.endswith("/report") else CSP

    async def secured(message: Message) -> None:
        if message["type"] == "http.response.start":
            extra = [
                (b"content-security-policy", policy.encode()),
                (b"x-content-type-options", b"nosniff"),
                (b"referrer-policy", b"no-referrer"),
                (b"x-frame-options", b"DENY"),
                (b"cache-control", b"no-store"),
                (b"cross-origin-opener-policy", b"same-origin"),
                (b"cross-origin-resource-policy", b"same-origin"),
            ]
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return secured
