"""HTTP to Amazon within bounds: one exchange read in full with a size bound, a read timeout
and a deadline for the whole call (however slowly its bytes come: the network backend is
wrapped so that every read and write waits at most until the call's end), paced by a token
bucket per operation (pacing.py), retried with growing pauses on 429 and 5xx (only when
allowed: createFeed is never blindly retried), never following a redirect. Every text quoted
from an answer goes through the client's redaction of its secrets (`_scrub`).

httpx is the optional extra `cancelkit[amazon]`, imported when a client is made.
"""

from __future__ import annotations

import json as jsonlib
import math
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..errors import CreateFeedUnclear, DeadlineReached, SpapiError, SpapiUnavailable
from .pacing import PACING, Bucket
from .redaction import REDACTED, redact, secret_pattern
from .settings import SpapiSettings
from .vocabulary import RATE_LIMITS

#: the longest one call may take in all, however its bytes trickle in (the read timeout,
#: settings.HTTP_TIMEOUT_S, bounds the pause between two bytes)
CALL_DEADLINE_S = 300.0
#: the largest JSON answer read (Amazon's are a few KB; a page of 100 orders some 100 KB)
MAX_ANSWER_BYTES = 16 * 1024 * 1024
#: the largest result document read and unpacked: a processing report names only the failed
#: rows, some 150 bytes each, so 64 MB is over 400,000 failed rows
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
INSTALL_HINT = 'pip install "cancelkit[amazon]"'


def _httpx() -> Any:
    try:
        import httpx
    except ImportError:
        raise SpapiError(
            f"talking to Amazon's SP-API needs the optional extra: {INSTALL_HINT}",
            code="spapi_not_installed",
        ) from None
    return httpx


def require_client_library() -> None:
    """Raise SpapiError (code `spapi_not_installed`) when httpx is not installed."""
    _httpx()


#: the clock and pause of clients made without their own `clock` and `sleep` (a test of the
#: command line, which makes its clients itself, replaces these with fast ones)
default_clock: Callable[[], float] = time.monotonic
default_sleep: Callable[[float], None] = time.sleep


@dataclass
class Answer:
    """An HTTP answer read in full (within its size and time bounds)."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


def _deadline_io(httpx: Any, client: Transport) -> Any:
    """httpcore's network backend wrapped so that every read and write of a call waits at
    most until the call's end (`client._io_end`, on the real monotonic clock): a server
    that trickles its status line or headers a byte at a time cannot outlast the deadline
    (httpx's read timeout alone restarts with every byte). None when httpcore is not there."""
    try:
        import httpcore
    except ImportError:  # pragma: no cover - httpx depends on it
        return None

    def bounded(timeout: float | None) -> float:
        left = client._io_end - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the call's deadline passed")
        return left if timeout is None else min(timeout, left)

    return _backend_class(httpcore, _stream_class(httpcore, bounded), bounded)


def _stream_class(httpcore: Any, bounded: Callable[[float | None], float]) -> Any:
    """A network stream whose every read and write waits at most `bounded(timeout)`."""

    class Stream(httpcore.NetworkStream):
        def __init__(self, stream: Any) -> None:
            self._stream = stream

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return self._stream.read(max_bytes, bounded(timeout))

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._stream.write(buffer, bounded(timeout))

        def close(self) -> None:
            self._stream.close()

        def start_tls(
            self, ssl_context: Any, server_hostname: str | None = None, timeout: Any = None
        ) -> Any:
            return Stream(self._stream.start_tls(ssl_context, server_hostname, bounded(timeout)))

        def get_extra_info(self, info: str) -> Any:
            return self._stream.get_extra_info(info)

    return Stream


def _backend_class(httpcore: Any, stream: Any, bounded: Callable[[float | None], float]) -> Any:
    """A network backend whose connections are `stream`s, connected within `bounded`."""

    class Backend(httpcore.NetworkBackend):
        def __init__(self, backend: Any) -> None:
            self._backend = backend

        def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> Any:
            return stream(
                self._backend.connect_tcp(
                    host, port, bounded(timeout), local_address, socket_options
                )
            )

        def connect_unix_socket(
            self, path: str, timeout: float | None = None, socket_options: Any = None
        ) -> Any:
            return stream(self._backend.connect_unix_socket(path, bounded(timeout), socket_options))

        def sleep(self, seconds: float) -> None:
            self._backend.sleep(seconds)

    return Backend


class Transport:
    """The HTTP side of a client: pacing, retries, bounds and deadlines, and the redaction
    of the secrets (and of the access token, `_token`, once there is one) from any text of
    an answer. `sleep`, `clock`, `on_wait`, `transport` and `deadline`: see SpapiClient."""

    def __init__(
        self,
        settings: SpapiSettings,
        secrets: Iterable[str],
        *,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        on_wait: Callable[[float, str], None] | None = None,
        transport: Any = None,
    ) -> None:
        httpx = _httpx()
        self._httpx = httpx
        self.settings = settings
        self._token: str | None = None
        self._sleep = sleep or default_sleep
        self._clock = clock or default_clock
        self._on_wait = on_wait
        self.deadline: float | None = None
        self._buckets: dict[str, Bucket] = {}
        self._secrets = secret_pattern(secrets)
        self._io_end = math.inf
        if transport is None:
            transport = httpx.HTTPTransport()
            pool = getattr(transport, "_pool", None)
            backend = _deadline_io(httpx, self)
            if backend is not None and pool is not None and hasattr(pool, "_network_backend"):
                pool._network_backend = backend(pool._network_backend)
        self._http = httpx.Client(
            timeout=settings.timeout, follow_redirects=False, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def _scrub(self, text: str) -> str:
        """Text from a server, safe to show: every secret and the access token replaced in
        any encoding (raw, URL-encoded, JSON-escaped), on one line, cut short."""
        if self._secrets is not None:
            text = self._secrets.sub(REDACTED, text)
        if self._token:
            text = redact(text, (self._token,))
        text = " ".join(text.split())
        return text if len(text) <= 300 else text[:297] + "..."

    def _amazon_says(self, response: Answer) -> str:
        """Amazon's error list (`{"errors": [{code, message, details}]}`) or the start of
        the body."""
        try:
            document = response.json()
        except ValueError:
            document = None
        if isinstance(document, dict) and isinstance(document.get("errors"), list):
            parts = []
            for error in document["errors"]:
                if not isinstance(error, dict):
                    continue
                said = f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
                if error.get("details"):
                    said += f" ({error['details']})"
                parts.append(said)
            return self._scrub("; ".join(parts))
        if isinstance(document, dict) and document.get("error"):  # Login with Amazon
            said = f"{document.get('error')}: {document.get('error_description', '')}"
            return self._scrub(said.strip(": "))
        return self._scrub(response.text[:600])

    def _check_deadline(self, operation: str, seconds: float = 0.0) -> None:
        if self.deadline is not None and self._clock() + seconds > self.deadline:
            raise DeadlineReached(f"{operation}: the wait ran out")

    def _wait(self, seconds: float, why: str, operation: str) -> None:
        self._check_deadline(operation, seconds)
        if self._on_wait is not None:
            self._on_wait(seconds, why)
        self._sleep(seconds)

    def _pace(self, operation: str) -> None:
        """Wait for the operation's bucket (Amazon's published rate and burst)."""
        limit = RATE_LIMITS.get(operation)
        if limit is None:
            return
        bucket = self._buckets.get(operation)
        now = self._clock()
        if bucket is None:
            bucket = self._buckets[operation] = Bucket(limit[0], limit[1], limit[1], now)
        seconds = bucket.wait_for_one(now)
        if seconds > 0:
            self._wait(
                seconds,
                f"{operation}: {PACING} ({bucket.rate:g} a second)",
                operation,
            )
        bucket.take(self._clock(), seconds)

    def _learn_rate(self, operation: str, response: Answer) -> None:
        """`x-amzn-RateLimit-Limit` of an answer: the operation's rate from now on."""
        bucket = self._buckets.get(operation)
        try:
            rate = float(response.headers.get("x-amzn-RateLimit-Limit", ""))
        except ValueError:
            return
        if bucket is not None and math.isfinite(rate) and rate > 0:
            bucket.rate = rate

    def _pause(self, operation: str, attempt: int, why: str) -> None:
        """The pause before a retry: growing, and at least one call's share of the rate."""
        delay = self.settings.retry_base * (2**attempt)
        bucket = self._buckets.get(operation)
        if bucket is not None:
            delay = max(delay, 1.0 / bucket.rate)
        delay = min(delay, self.settings.retry_cap)
        self._wait(delay, why, operation)

    def _exchange(self, operation: str, method: str, url: str, limit: int, **kw) -> Answer:
        """One HTTP exchange read in full: at most `limit` bytes, a read timeout between
        bytes, and the call's deadline (and the wait's) however slowly the bytes come."""
        httpx = self._httpx
        now = self._clock()
        end = now + CALL_DEADLINE_S
        if self.deadline is not None:
            end = min(end, self.deadline)
        if end <= now:
            raise DeadlineReached(f"{operation}: the wait ran out")
        timeout = httpx.Timeout(min(self.settings.timeout, max(end - now, 0.001)))
        self._io_end = time.monotonic() + (end - now)  # the same end on the real clock
        headers = {**(kw.pop("headers", None) or {}), "accept-encoding": "identity"}
        with self._http.stream(method, url, timeout=timeout, headers=headers, **kw) as answer:
            size, chunks = 0, []
            # the raw bytes (a Content-Encoding is unpacked below, within the bound)
            raw = [answer.content] if hasattr(answer, "_content") else answer.iter_raw()
            for chunk in raw:
                size += len(chunk)
                if size > limit:
                    raise SpapiError(
                        f"{operation}: Amazon's answer is larger than {limit:,} bytes; it was "
                        "not read",
                        code="spapi_answer_too_large",
                    )
                chunks.append(chunk)
                if self._clock() > end:
                    if self.deadline is not None and self._clock() > self.deadline:
                        raise DeadlineReached(f"{operation}: the wait ran out")
                    raise httpx.ReadTimeout("the answer took too long")
            content = b"".join(chunks)
            encoding = answer.headers.get("content-encoding", "identity").strip().lower()
            if encoding == "gzip":
                content = gunzip(content, limit)
            elif encoding not in ("", "identity"):
                raise SpapiError(
                    f"{operation}: the answer is packed as '{self._scrub(encoding)}', which "
                    "cancelkit does not read",
                    code="spapi_answer_invalid",
                )
            return Answer(answer.status_code, answer.headers, content)

    def _send(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        retry_server_errors: bool = True,
        limit: int = MAX_ANSWER_BYTES,
        **kw,
    ) -> Answer:
        """One HTTP exchange, paced, retried on 429, and on 5xx and lost answers when
        allowed. A redirect is never followed: it is an error."""
        httpx = self._httpx
        last = ""
        for attempt in range(self.settings.max_retries + 1):
            self._pace(operation)
            try:
                response = self._exchange(operation, method, url, limit, **kw)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL):
                raise SpapiError(
                    f"{operation}: cannot call '{self._scrub(url.split('?')[0])}'; check "
                    "CANCELKIT_SPAPI_ENDPOINT / CANCELKIT_LWA_ENDPOINT (or spapi_endpoint / "
                    "lwa_endpoint in [amazon])",
                    code="spapi_endpoint_invalid",
                ) from None
            except httpx.TransportError as exc:
                self._check_deadline(operation)
                last = f"no answer ({type(exc).__name__})"
                if not retry_server_errors:
                    raise CreateFeedUnclear(f"{operation}: {last}") from None
            else:
                status = response.status_code
                if status != 429:
                    self._learn_rate(operation, response)
                if status == 429:
                    last = "HTTP 429 (throttled)"
                elif status >= 500:
                    last = f"HTTP {status}"
                    if not retry_server_errors:
                        raise CreateFeedUnclear(
                            f"{operation}: {last} {self._amazon_says(response)}".strip()
                        )
                elif 300 <= status < 400:
                    where = urlsplit(response.headers.get("location", "")).hostname or "?"
                    raise SpapiError(
                        f"{operation}: the server answered with a redirect (HTTP {status}) to "
                        f"'{self._scrub(where)}'; cancelkit follows no redirect and sends "
                        "nothing more (check CANCELKIT_SPAPI_ENDPOINT / spapi_endpoint)",
                        code="spapi_redirect",
                    )
                else:
                    return response
            if attempt < self.settings.max_retries:
                self._pause(operation, attempt, f"{operation}: {last}")
        raise SpapiUnavailable(
            f"{operation}: {last}, {self.settings.max_retries + 1} times in a row; nothing was "
            "lost, run the command again later"
        )


def gunzip(content: bytes, limit: int | None = None) -> bytes:
    """GZIP content unpacked, refused (`result_document_too_large`) past `limit` bytes
    (default MAX_DOCUMENT_BYTES), so a gzip bomb never fills the memory."""
    limit = MAX_DOCUMENT_BYTES if limit is None else limit
    unpacker = zlib.decompressobj(wbits=31)
    try:
        unpacked = unpacker.decompress(content, limit + 1)
    except zlib.error:
        raise SpapiError(
            "download: the result document is not valid GZIP as Amazon said",
            code="result_document_invalid",
        ) from None
    if len(unpacked) > limit or unpacker.unconsumed_tail:
        raise SpapiError(
            f"download: the result document unpacks to more than {limit:,} bytes (a processing "
            "report is far smaller); it was not read. Download it from Seller Central and run "
            "`cancelkit reconcile`",
            code="result_document_too_large",
        )
    if not unpacker.eof:
        raise SpapiError(
            "download: the result document is not valid GZIP as Amazon said (it is cut short)",
            code="result_document_invalid",
        )
    return unpacked
