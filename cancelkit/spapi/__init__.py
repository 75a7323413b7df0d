"""The Selling Partner API client: Login with Amazon, the Feeds API and the Orders API.

Plain HTTP with httpx (the optional extra `cancelkit[amazon]`), so that the token URL and
the API base are plain settings (Amazon's sandbox, a proxy, a test server) and no library
logs a request: the three credentials and the access token never appear in any message,
log line, repr or traceback this module produces. Protocol, endpoints and rate limits:
DOMAIN.md section 8 and Amazon's models in shared/amazon-models/.

Each operation is paced by a token bucket of Amazon's published rate and burst (updated
from `x-amzn-RateLimit-Limit` when an answer carries it); HTTP 429 and 5xx are then retried
with growing pauses; only createFeed is not blindly retried after a 5xx or a lost answer,
because Amazon may have created the feed (the caller looks it up with getFeeds first, see
ledger/submit.py). Every answer is checked against what was asked (feed id, feed type,
document id, marketplace), read with a size bound and a deadline, and every text quoted
from it is passed through one redaction of every credential (`redact`).
"""

from __future__ import annotations

import json as jsonlib
import math
import platform
import re
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..amazon.marketplaces import LWA_TOKEN_URL, SANDBOX_PREFIX, SpapiMarketplace, sandbox_endpoint
from ..errors import (
    AnswerMismatch,
    ConfigError,
    CreateFeedUnclear,
    DeadlineReached,
    SpapiError,
    SpapiForbidden,
    SpapiRefused,
    SpapiUnavailable,
    UploadExpired,
)
from ..version import __version__

# -- Amazon's vocabulary (Feeds API 2021-06-30 and Orders API 2026-01-01 models) ----------

#: the feed type of the Order Cancellation flat file (DOMAIN.md section 1)
FEED_TYPE = "POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA"
#: the upload's content type: declared in createFeedDocument, sent again with the PUT
UPLOAD_CONTENT_TYPE = "text/tab-separated-values; charset=UTF-8"
#: Feed.processingStatus values; the last three end processing
FEED_STATUSES = ("IN_QUEUE", "IN_PROGRESS", "DONE", "FATAL", "CANCELLED")
FINISHED_STATUSES = frozenset({"DONE", "FATAL", "CANCELLED"})
#: FeedDocument.compressionAlgorithm
GZIP = "GZIP"

#: Orders API 2026-01-01 FulfillmentStatus -> the word Amazon's order reports and Orders
#: API v0 use (DOMAIN.md section 7), which the order-state checks read
ORDER_STATUS_WORDS = {
    "PENDING_AVAILABILITY": "PendingAvailability",
    "PENDING": "Pending",
    "UNSHIPPED": "Unshipped",
    "PARTIALLY_SHIPPED": "PartiallyShipped",
    "SHIPPED": "Shipped",
    "CANCELLED": "Canceled",
    "UNFULFILLABLE": "Unfulfillable",
}
#: Order.fulfillment.fulfilledBy -> the order reports' fulfillment-channel word
FULFILLED_BY_WORDS = {"MERCHANT": "Merchant", "AMAZON": "Amazon"}
#: ItemCancellationRequest.requester of an official buyer request
BUYER_REQUESTER = "BUYER"

FEEDS = "/feeds/2021-06-30"
ORDERS = "/orders/2026-01-01"

#: requests per second and burst of each operation, from Amazon's usage plans (DOMAIN.md
#: section 10; the Feeds API 2021-06-30 and Orders API 2026-01-01 models' "Usage Plan"
#: tables). A call waits for its bucket (pacing), and `x-amzn-RateLimit-Limit` replaces the
#: rate when an answer carries it (2xx, 400, 404: never a 429).
RATE_LIMITS: dict[str, tuple[float, int]] = {
    "createFeedDocument": (0.5, 15),
    "createFeed": (0.0083, 15),
    "getFeed": (2.0, 15),
    "getFeeds": (0.0222, 10),
    "getFeedDocument": (0.0222, 10),
    "searchOrders": (0.0056, 20),
}
#: pages one listing (getFeeds, searchOrders) may take before cancelkit stops: 2,000 pages
#: of searchOrders are 200,000 orders (at 0.0056 pages a second, about 4 days of calls)
MAX_PAGES = 2000

# -- settings -----------------------------------------------------------------------------

#: the credentials' environment variables (the names community SP-API clients read)
ENV_APP_ID = "LWA_APP_ID"
ENV_CLIENT_SECRET = "LWA_CLIENT_SECRET"
ENV_REFRESH_TOKEN = "SP_API_REFRESH_TOKEN"
ENV_ENDPOINT = "CANCELKIT_SPAPI_ENDPOINT"
ENV_LWA_ENDPOINT = "CANCELKIT_LWA_ENDPOINT"
ENV_POLL_INTERVAL = "CANCELKIT_SPAPI_POLL_INTERVAL"
ENV_SANDBOX = "CANCELKIT_SPAPI_SANDBOX"
#: the regions of marketplaces.REGION_ENDPOINTS: a seller whose accounts differ by region
#: has one refresh token per region (`SP_API_REFRESH_TOKEN_EU`, `sp_api_refresh_token_eu`)
REGIONS = ("NA", "EU", "FE")
ENV_REGIONAL_REFRESH_TOKENS = {region: f"{ENV_REFRESH_TOKEN}_{region}" for region in REGIONS}
#: keys of the config file's [amazon] table -> the environment variable they stand for
CONFIG_KEYS: dict[str, str] = {
    "lwa_app_id": ENV_APP_ID,
    "lwa_client_secret": ENV_CLIENT_SECRET,
    "sp_api_refresh_token": ENV_REFRESH_TOKEN,
    **{f"sp_api_refresh_token_{r.lower()}": v for r, v in ENV_REGIONAL_REFRESH_TOKENS.items()},
    "spapi_endpoint": ENV_ENDPOINT,
    "lwa_endpoint": ENV_LWA_ENDPOINT,
    "poll_interval": ENV_POLL_INTERVAL,
    "sandbox": ENV_SANDBOX,
}
#: the [amazon] keys of the three credentials
SECRET_KEYS = ("lwa_app_id", "lwa_client_secret", "sp_api_refresh_token")
#: the [amazon] keys of the regional refresh tokens, by region
REGIONAL_KEYS = {r: f"sp_api_refresh_token_{r.lower()}" for r in REGIONS}
DEFAULT_POLL_INTERVAL = 30.0
#: polling slows down by this factor each round, up to MAX_POLL_INTERVAL
POLL_GROWTH = 1.5
MAX_POLL_INTERVAL = 300.0
#: retries of one call answered with 429 or 5xx before giving up (the batch stays as it is)
MAX_RETRIES = 8
#: the longest pause between two bytes of an answer (httpx's read timeout) ...
HTTP_TIMEOUT_S = 60.0
#: ... and the longest one call may take in all, however its bytes trickle in
CALL_DEADLINE_S = 300.0
#: the largest JSON answer read (Amazon's are a few KB; a page of 100 orders some 100 KB)
MAX_ANSWER_BYTES = 16 * 1024 * 1024
#: the largest result document read and unpacked: a processing report names only the failed
#: rows, some 150 bytes each, so 64 MB is over 400,000 failed rows
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
#: an access token is renewed this long before its `expires_in` runs out (LWA: 3600 s)
TOKEN_RENEW_MARGIN_S = 300.0
DEFAULT_TOKEN_LIFETIME_S = 3600.0
INSTALL_HINT = 'pip install "cancelkit[amazon]"'
#: Amazon asks for `AppId/AppVersionId (Language=...)`, at most 500 characters (DOMAIN.md
#: section 10)
USER_AGENT = f"cancelkit/{__version__} (Language=Python/{platform.python_version()})"
#: what the offline stand-in is called, for the messages that offer it
STANDIN_COMMAND = "python -m cancelkit.spapi.standin"


# -- redaction ----------------------------------------------------------------------------

#: what a secret is replaced with in any text shown
REDACTED = "***"
#: the shape of an id cancelkit stores and shows (feed ids are digits, document ids
#: `amzn1.tortuga.4.na.…`)
IDENTIFIER = re.compile(r"[A-Za-z0-9._:-]{1,200}")


def _char_forms(char: str) -> str:
    """A regex for one character of a secret in any encoding an answer may quote it in:
    itself, percent-encoded (once or twice, either case), JSON `\\uXXXX` or `\\` escaped, and
    `+` for a space (form encoding)."""
    if char.isalnum():
        return re.escape(char)
    forms = [re.escape(char), rf"\\{re.escape(char)}"]
    for byte in char.encode("utf-8"):
        forms += [f"%{byte:02x}", f"%25{byte:02x}"]
    forms.append(rf"\\u{ord(char):04x}")
    if char == " ":
        forms.append(r"\+")
    return "(?:" + "|".join(forms) + ")"


def secret_pattern(secrets: Iterable[str]) -> re.Pattern | None:
    """One pattern matching every secret in raw, URL-encoded and JSON-escaped forms."""
    wanted = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
    if not wanted:
        return None
    return re.compile(
        "|".join("".join(_char_forms(c) for c in secret) for secret in wanted), re.IGNORECASE
    )


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (raw, URL-encoded, JSON-escaped) replaced by `***`."""
    pattern = secret_pattern(secrets)
    return text if pattern is None else pattern.sub(REDACTED, text)


# -- settings -----------------------------------------------------------------------------


def poll_interval_from(value, name: str = ENV_POLL_INTERVAL, *, quote: bool = True) -> float:
    """A poll interval: a finite number of seconds above 0 (0 would poll without pause).
    `quote=False` leaves the value out of the message (a config value is never echoed:
    it could be a secret placed under the wrong key)."""
    shown = f" (got '{value}')" if quote else ""
    if isinstance(value, bool):
        raise ConfigError(
            f"{name} must be a number of seconds > 0" + (f" (got {value!r})" if quote else "")
        )
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number of seconds > 0{shown}") from None
    if not math.isfinite(number) or number <= 0:
        raise ConfigError(f"{name} must be a number of seconds > 0{shown}")
    return number


@dataclass(frozen=True)
class Credentials:
    """The three values of a self-authorized private app, and the refresh tokens of the
    regions whose seller account differs (`regional`: region -> refresh token). The repr
    shows none of them."""

    app_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    regional: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def __repr__(self) -> str:
        return "Credentials(app_id=***, client_secret=***, refresh_token=***)"

    __str__ = __repr__

    def refresh_token_for(self, region: str) -> str:
        """The refresh token of a region: its own when given, else the common one."""
        return dict(self.regional).get(region) or self.refresh_token

    def secrets(self) -> tuple[str, ...]:
        every = (self.client_secret, self.refresh_token, *(t for _, t in self.regional))
        return tuple(s for s in (*every, self.app_id) if s)


@dataclass(frozen=True)
class SpapiSettings:
    """Where and how to talk to Amazon. `credentials` is None while any of the three is
    missing (`missing` names them)."""

    credentials: Credentials | None
    missing: tuple[str, ...] = ()
    api_endpoint: str | None = None  # replaces the region's base URL
    lwa_endpoint: str = LWA_TOKEN_URL
    sandbox: bool = False
    poll_interval: float = DEFAULT_POLL_INTERVAL
    max_retries: int = MAX_RETRIES
    timeout: float = HTTP_TIMEOUT_S
    #: things the user should know (a config file with secrets readable by others)
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        poll_interval_from(self.poll_interval, "poll_interval")
        for name in ("max_retries",):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{name} must be a whole number >= 0 (got {value!r})")
        if isinstance(self.timeout, bool) or not (
            isinstance(self.timeout, (int, float)) and math.isfinite(self.timeout)
        ):
            raise ConfigError(f"timeout must be a number of seconds > 0 (got {self.timeout!r})")
        if self.timeout <= 0:
            raise ConfigError(f"timeout must be a number of seconds > 0 (got {self.timeout!r})")

    def endpoint_for(self, market: SpapiMarketplace) -> str:
        """The API base URL for a marketplace: the override, else the region's host
        (its sandbox host with `sandbox`)."""
        if self.api_endpoint:
            return self.api_endpoint.rstrip("/")
        return sandbox_endpoint(market.endpoint) if self.sandbox else market.endpoint

    def is_sandbox(self, market: SpapiMarketplace) -> bool:
        """Whether the calls for this marketplace go to one of Amazon's sandbox hosts."""
        host = urlsplit(self.endpoint_for(market)).hostname or ""
        return host.startswith(SANDBOX_PREFIX) and host.endswith(".amazon.com")

    def refuse_sandbox(self, market: SpapiMarketplace, command: str) -> None:
        """Amazon's sandbox answers with static examples (a getFeed of another feed id and
        type, orders of no seller): a `submit` cannot finish there, `fetch-orders` would
        write orders that are not the seller's."""
        if self.is_sandbox(market):
            raise SpapiError(
                f"{command}: {self.endpoint_for(market)} is Amazon's sandbox, which answers "
                "every call with the same static example (another feed id and feed type, "
                f"orders of no seller), so a {command} cannot finish there; try cancelkit "
                f"against the local stand-in instead ({STANDIN_COMMAND}, see the README)",
                code="spapi_sandbox",
            )

    @property
    def retry_base(self) -> float:
        """The first pause after a 429 or 5xx; doubles with each retry."""
        return min(2.0, self.poll_interval)

    @property
    def retry_cap(self) -> float:
        return min(120.0, max(self.poll_interval, 0.01) * 8)

    def require_credentials(self) -> Credentials:
        if self.credentials is None:
            raise SpapiError(
                f"the SP-API credentials are missing: {', '.join(self.missing)}; set them in "
                "the environment or in the [amazon] table of cancelkit.toml (see the README, "
                '"Sending through the SP-API")',
                code="spapi_credentials_missing",
            )
        return self.credentials


# -- the client ---------------------------------------------------------------------------


def _httpx():
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


#: the clock and pause of clients made without their own (tests replace these)
_clock: Callable[[], float] = time.monotonic
_sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class FeedDocument:
    """A result document's download location (getFeedDocument)."""

    document_id: str
    url: str = field(repr=False)  # presigned: valid 5 minutes
    compression: str | None = None


@dataclass
class _Answer:
    """An HTTP answer read in full (within its size and time bounds)."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self):
        return jsonlib.loads(self.content)


@dataclass
class _Bucket:
    """A token bucket: `rate` calls a second, up to `burst` at once."""

    rate: float
    burst: float
    tokens: float
    stamp: float

    def wait_for_one(self, now: float) -> float:
        """Seconds to wait before the next call may go out."""
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float, waited: float) -> None:
        """One call goes out after waiting `waited` seconds (a paused clock still counts it)."""
        self.tokens = max(0.0, self.tokens + waited * self.rate - 1) if waited else self.tokens - 1
        self.stamp = max(self.stamp, now)


def wait_text(seconds: float, why: str) -> str:
    """The line a command shows for a pause of the client (`on_wait`)."""
    if PACING in why:
        return f"{why}; waiting {seconds:.0f} s"
    return f"{why}; retrying in {seconds:.0f} s"


#: the words of a pacing pause (as against a retry)
PACING = "pacing to Amazon's rate limit"


def _deadline_io(httpx, client: SpapiClient):
    """httpcore's network backend wrapped so that every read and write of a call waits at
    most until the call's end (`client._io_end`, on the real monotonic clock): a server
    that trickles its status line or headers a byte at a time cannot outlast the deadline
    (httpx's read timeout alone restarts with every byte). None when httpcore is not there."""
    try:
        import httpcore
    except ImportError:  # pragma: no cover - httpx depends on it
        return None

    def bounded(timeout):
        left = client._io_end - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the call's deadline passed")
        return left if timeout is None else min(timeout, left)

    class Stream(httpcore.NetworkStream):
        def __init__(self, stream) -> None:
            self._stream = stream

        def read(self, max_bytes: int, timeout=None) -> bytes:
            return self._stream.read(max_bytes, bounded(timeout))

        def write(self, buffer: bytes, timeout=None) -> None:
            self._stream.write(buffer, bounded(timeout))

        def close(self) -> None:
            self._stream.close()

        def start_tls(self, ssl_context, server_hostname=None, timeout=None):
            return Stream(self._stream.start_tls(ssl_context, server_hostname, bounded(timeout)))

        def get_extra_info(self, info: str):
            return self._stream.get_extra_info(info)

    class Backend(httpcore.NetworkBackend):
        def __init__(self, backend) -> None:
            self._backend = backend

        def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
            return Stream(
                self._backend.connect_tcp(
                    host, port, bounded(timeout), local_address, socket_options
                )
            )

        def connect_unix_socket(self, path, timeout=None, socket_options=None):
            return Stream(self._backend.connect_unix_socket(path, bounded(timeout), socket_options))

        def sleep(self, seconds: float) -> None:
            self._backend.sleep(seconds)

    return Backend


class SpapiClient:
    """One marketplace's SP-API over HTTP. Use as a context manager.

    `sleep` is the pause function and `clock` the monotonic clock (tests pass fast ones);
    `on_wait(seconds, why)` is told about each pause so a command can say why it waits.
    `deadline` (a `clock()` value, or None) bounds every call and pause: past it a call
    raises DeadlineReached."""

    def __init__(
        self,
        settings: SpapiSettings,
        market: SpapiMarketplace,
        *,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        httpx = _httpx()
        self._httpx = httpx
        self.settings = settings
        self.market = market
        self.endpoint = settings.endpoint_for(market)
        self._credentials = settings.require_credentials()
        self._refresh_token = self._credentials.refresh_token_for(market.region)
        if not self._refresh_token:
            regional = ENV_REGIONAL_REFRESH_TOKENS.get(market.region, ENV_REFRESH_TOKEN)
            raise SpapiError(
                f"the SP-API credentials are missing: no refresh token for {market.code}'s "
                f"region {market.region} ({regional} or {ENV_REFRESH_TOKEN}); set it in the "
                "environment or in the [amazon] table of cancelkit.toml",
                code="spapi_credentials_missing",
            )
        self._token: str | None = None
        self._token_renew_at = 0.0
        self._sleep = sleep or _sleep
        self._clock = clock or _clock
        self._on_wait = on_wait
        self.deadline: float | None = None
        self._buckets: dict[str, _Bucket] = {}
        self._secrets = secret_pattern(self._credentials.secrets())
        self._io_end = math.inf
        transport = httpx.HTTPTransport()
        pool = getattr(transport, "_pool", None)
        backend = _deadline_io(httpx, self)
        if backend is not None and hasattr(pool, "_network_backend"):
            pool._network_backend = backend(pool._network_backend)
        self._http = httpx.Client(
            timeout=settings.timeout, follow_redirects=False, transport=transport
        )

    def __repr__(self) -> str:
        return f"SpapiClient(endpoint={self.endpoint!r}, marketplace={self.market.code!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SpapiClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        """Text from a server, safe to show: every secret and the access token replaced in
        any encoding (raw, URL-encoded, JSON-escaped), on one line, cut short."""
        if self._secrets is not None:
            text = self._secrets.sub(REDACTED, text)
        if self._token:
            text = redact(text, (self._token,))
        text = " ".join(text.split())
        return text if len(text) <= 300 else text[:297] + "..."

    def _amazon_says(self, response) -> str:
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
            bucket = self._buckets[operation] = _Bucket(limit[0], limit[1], limit[1], now)
        seconds = bucket.wait_for_one(now)
        if seconds > 0:
            self._wait(
                seconds,
                f"{operation}: {PACING} ({bucket.rate:g} a second)",
                operation,
            )
        bucket.take(self._clock(), seconds)

    def _learn_rate(self, operation: str, response: _Answer) -> None:
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

    def _exchange(self, operation: str, method: str, url: str, limit: int, **kw) -> _Answer:
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
            return _Answer(answer.status_code, answer.headers, content)

    def _send(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        retry_server_errors: bool = True,
        limit: int = MAX_ANSWER_BYTES,
        **kw,
    ) -> _Answer:
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

    def _access_token(self, renew: bool = False) -> str:
        if self._token is not None and not renew and self._clock() < self._token_renew_at:
            return self._token
        credentials = self._credentials
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
            "client_id": credentials.app_id,
            "client_secret": credentials.client_secret,
        }
        asked_at = self._clock()
        response = self._send(
            "Login with Amazon",
            "POST",
            self.settings.lwa_endpoint,
            data=form,
            headers={"user-agent": USER_AGENT},
        )
        if response.status_code != 200:
            raise SpapiError(
                f"Login with Amazon refused the credentials (HTTP {response.status_code}: "
                f"{self._amazon_says(response)}); check LWA_APP_ID, LWA_CLIENT_SECRET and "
                f"SP_API_REFRESH_TOKEN (the refresh token of your self-authorized app in "
                f"{self.market.code}'s region, {self.market.region}; a region of its own is "
                f"{ENV_REGIONAL_REFRESH_TOKENS.get(self.market.region, ENV_REFRESH_TOKEN)})",
                code="lwa_refused",
            )
        try:
            document = response.json()
            token = document["access_token"]
        except (ValueError, KeyError, TypeError):
            raise SpapiError(
                "Login with Amazon answered without an access_token", code="lwa_refused"
            ) from None
        if not isinstance(token, str) or not token:
            raise SpapiError(
                "Login with Amazon answered without an access_token", code="lwa_refused"
            )
        lifetime = document.get("expires_in", DEFAULT_TOKEN_LIFETIME_S)
        if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)):
            lifetime = DEFAULT_TOKEN_LIFETIME_S
        lifetime = max(0.0, float(lifetime)) if math.isfinite(lifetime) else 0.0
        self._token = token
        # renewed before it runs out: 5 minutes before, or halfway through a short life
        self._token_renew_at = asked_at + lifetime - min(TOKEN_RENEW_MARGIN_S, lifetime / 2)
        return self._token

    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping | None = None,
        json: Mapping | None = None,
        retry_server_errors: bool = True,
    ) -> dict:
        """An SP-API operation: JSON in and out, the access token renewed once on a 403."""
        url = self.endpoint + path
        for renew in (False, True):
            headers = {
                "x-amz-access-token": self._access_token(renew),
                "user-agent": USER_AGENT,
                "accept": "application/json",
            }
            response = self._send(
                operation,
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                retry_server_errors=retry_server_errors,
            )
            if response.status_code != 403:
                break
        status = response.status_code
        if status == 403:
            raise SpapiForbidden(
                f"{operation}: Amazon refused the request (HTTP 403: "
                f"{self._amazon_says(response)}); check the credentials LWA_APP_ID, "
                "LWA_CLIENT_SECRET and SP_API_REFRESH_TOKEN: the refresh token must be from "
                f"authorizing this app for the seller account in {self.market.code}'s region, "
                "and the app needs the role for this operation",
                403,
            )
        if status >= 400:
            raise SpapiRefused(
                f"{operation}: Amazon answered HTTP {status}: {self._amazon_says(response)}",
                status,
            )
        try:
            document = response.json()
        except ValueError:
            raise SpapiError(f"{operation}: Amazon's answer is not JSON") from None
        if not isinstance(document, dict):
            raise SpapiError(f"{operation}: Amazon's answer is not a JSON object")
        return document

    @staticmethod
    def _field(document: dict, name: str, operation: str) -> str:
        value = document.get(name)
        if not isinstance(value, str) or not value:
            raise SpapiError(f"{operation}: Amazon's answer has no {name}")
        return value

    def scrub(self, text: str) -> str:
        """Text from an answer, safe to show (see `_scrub`)."""
        return self._scrub(text)

    def identifier(self, value, name: str, operation: str) -> str:
        """An id Amazon gave (feedId, feedDocumentId) that cancelkit stores and shows: a
        short run of letters, digits and `._:-`, and never one of the secrets echoed."""
        if (
            not isinstance(value, str)
            or not IDENTIFIER.fullmatch(value)
            or self._scrub(value) != value
        ):
            shown = self._scrub(str(value))[:80]
            raise SpapiError(
                f"{operation}: Amazon's answer has no usable {name} ('{shown}'); nothing more "
                "is sent",
                code="spapi_answer_invalid",
            )
        return value

    def _mismatch(self, operation: str, what: str, asked, answered) -> AnswerMismatch:
        return AnswerMismatch(
            f"{operation}: Amazon's answer is about {what} '{self._scrub(str(answered))}', not "
            f"the '{self._scrub(str(asked))}' asked for; nothing more is sent (Amazon's "
            "sandbox answers every call with the same example: see the README)"
        )

    def _document_url(self, url: str, operation: str) -> str:
        """A presigned URL is https; plain http only to the host of an http endpoint (a
        local stand-in). Checked before anything is sent to it."""
        parts = urlsplit(url)
        endpoint = urlsplit(self.endpoint)
        if parts.scheme == "https" and parts.hostname:
            return url
        if (
            parts.scheme == "http"
            and endpoint.scheme == "http"
            and parts.hostname
            and parts.hostname == endpoint.hostname
        ):
            return url
        raise SpapiError(
            f"{operation}: Amazon's answer gives a document URL that is not https "
            f"('{self._scrub(parts.scheme)}://{self._scrub(parts.hostname or '')}'); nothing "
            "is sent to it",
            code="spapi_document_url",
        )

    # -- Feeds API --------------------------------------------------------------------------
    def create_feed_document(self, content_type: str = UPLOAD_CONTENT_TYPE) -> tuple[str, str]:
        """createFeedDocument: `(feedDocumentId, presigned upload url)`."""
        found = self._call(
            "createFeedDocument", "POST", f"{FEEDS}/documents", json={"contentType": content_type}
        )
        url = self._field(found, "url", "createFeedDocument")
        document_id = found.get("feedDocumentId")
        return (
            self.identifier(document_id, "feedDocumentId", "createFeedDocument"),
            self._document_url(url, "createFeedDocument"),
        )

    def upload(self, url: str, content: bytes, content_type: str = UPLOAD_CONTENT_TYPE) -> None:
        """PUT the exact bytes to the presigned URL, with the declared Content-Type and no
        access token. UploadExpired when the URL is refused (it is valid 5 minutes)."""
        self._document_url(url, "upload")
        response = self._send(
            "upload", "PUT", url, content=content, headers={"content-type": content_type}
        )
        if response.status_code in (400, 403):
            raise UploadExpired(
                f"upload: the presigned URL was refused (HTTP {response.status_code}: "
                f"{self._amazon_says(response)})"
            )
        if response.status_code >= 300:
            raise SpapiError(f"upload: HTTP {response.status_code}", code="spapi_refused")

    def create_feed(self, document_id: str, marketplace_id: str) -> str:
        """createFeed for one marketplace: the feedId. CreateFeedUnclear after a 5xx or a
        lost answer: the feed may exist, look it up before calling again; SpapiRefused
        after a definite refusal (4xx): Amazon created nothing."""
        body = {
            "feedType": FEED_TYPE,
            "marketplaceIds": [marketplace_id],
            "inputFeedDocumentId": document_id,
        }
        found = self._call(
            "createFeed", "POST", f"{FEEDS}/feeds", json=body, retry_server_errors=False
        )
        return self.identifier(found.get("feedId"), "feedId", "createFeed")

    def get_feed(self, feed_id: str, marketplace_id: str | None = None) -> dict:
        """getFeed: the Feed (feedId, processingStatus, resultFeedDocumentId, ...), checked
        to be the feed asked for: its id, this feed type, the batch's one marketplace."""
        found = self._call("getFeed", "GET", f"{FEEDS}/feeds/{feed_id}")
        marketplace_id = marketplace_id or self.market.marketplace_id
        if found.get("feedId") != feed_id:
            raise self._mismatch("getFeed", "feed", feed_id, found.get("feedId"))
        if found.get("feedType") != FEED_TYPE:
            raise self._mismatch("getFeed", "a feed of type", FEED_TYPE, found.get("feedType"))
        markets = found.get("marketplaceIds")
        if markets is not None and markets != [marketplace_id]:
            raise self._mismatch("getFeed", "marketplace(s)", marketplace_id, markets)
        status = found.get("processingStatus")
        if status not in FEED_STATUSES:
            raise SpapiError(f"getFeed: unknown processingStatus '{self._scrub(str(status))}'")
        result = found.get("resultFeedDocumentId")
        if result is not None:
            self.identifier(result, "resultFeedDocumentId", "getFeed")
        return found

    def _pages(self, operation: str, first: dict, token_of, next_params) -> Iterator[dict]:
        """The answers of a listing, page after page: a next-page token seen before, or more
        than MAX_PAGES pages, stop it with an error (no endless loop)."""
        params, seen = first, set()
        for _page in range(MAX_PAGES):
            path = f"{FEEDS}/feeds" if operation == "getFeeds" else f"{ORDERS}/orders"
            found = self._call(operation, "GET", path, params=params)
            yield found
            token = token_of(found)
            if not token:
                return
            if not isinstance(token, str) or token in seen or token == params.get("nextToken"):
                raise SpapiError(
                    f"{operation}: Amazon gave a next-page token it had given before; the "
                    "listing would never end, so cancelkit stopped after "
                    f"{len(seen) + 1} pages and wrote nothing",
                    code="spapi_paging_loop",
                )
            seen.add(token)
            params = next_params(params, token)
        raise SpapiError(
            f"{operation}: more than {MAX_PAGES:,} pages; cancelkit stopped and wrote nothing "
            "(ask for fewer days)",
            code="spapi_too_many_pages",
        )

    def get_feeds(self, marketplace_id: str, created_since: str) -> list[dict]:
        """getFeeds: this feed type's feeds for the marketplace created since then."""
        params: dict = {
            "feedTypes": FEED_TYPE,
            "marketplaceIds": marketplace_id,
            "createdSince": created_since,
            "pageSize": 100,
        }
        feeds: list[dict] = []
        for found in self._pages(
            "getFeeds",
            params,
            lambda found: found.get("nextToken"),
            lambda _params, token: {"nextToken": token},  # a next page's only parameter
        ):
            for feed in found.get("feeds") or []:
                if not isinstance(feed, dict):
                    continue
                self.identifier(feed.get("feedId"), "feedId", "getFeeds")
                if feed.get("processingStatus") not in FEED_STATUSES:
                    raise SpapiError(
                        "getFeeds: unknown processingStatus "
                        f"'{self._scrub(str(feed.get('processingStatus')))}'"
                    )
                feeds.append(feed)
        return feeds

    def get_feed_document(self, document_id: str) -> FeedDocument:
        """getFeedDocument: where to download a result document, and its compression."""
        found = self._call("getFeedDocument", "GET", f"{FEEDS}/documents/{document_id}")
        compression = found.get("compressionAlgorithm")
        if compression not in (None, GZIP):
            raise SpapiError(
                f"getFeedDocument: unknown compressionAlgorithm '{self._scrub(str(compression))}'"
            )
        answered = self._field(found, "feedDocumentId", "getFeedDocument")
        if answered != document_id:
            raise self._mismatch("getFeedDocument", "document", document_id, answered)
        url = self._field(found, "url", "getFeedDocument")
        return FeedDocument(answered, self._document_url(url, "getFeedDocument"), compression)

    def download(self, document: FeedDocument, limit: int | None = None) -> bytes:
        """The document's bytes, unpacked when Amazon says GZIP, at most `limit` bytes
        either way (`result_document_too_large`). UploadExpired when the presigned URL is
        refused."""
        limit = MAX_DOCUMENT_BYTES if limit is None else limit
        self._document_url(document.url, "download")
        response = self._send("download", "GET", document.url, limit=limit)
        if response.status_code in (400, 403):
            raise UploadExpired(
                f"download: the presigned URL was refused (HTTP {response.status_code})"
            )
        if response.status_code >= 300:
            raise SpapiError(f"download: HTTP {response.status_code}", code="spapi_refused")
        content = response.content
        if document.compression == GZIP:
            content = gunzip(content, limit)
        return content

    # -- Orders API 2026-01-01 --------------------------------------------------------------
    def search_orders(
        self,
        marketplace_id: str,
        created_after: str,
        fulfillment_statuses: tuple[str, ...],
        included_data: tuple[str, ...],
    ) -> Iterator[dict]:
        """searchOrders of merchant-fulfilled orders, page after page; an order of another
        marketplace in an answer is an error (nothing more is asked)."""
        params: dict = {
            "createdAfter": created_after,
            "marketplaceIds": marketplace_id,
            "fulfillmentStatuses": ",".join(fulfillment_statuses),
            "fulfilledBy": "MERCHANT",
            "includedData": ",".join(included_data),
            "maxResultsPerPage": 100,
        }
        for found in self._pages(
            "searchOrders",
            params,
            lambda found: (found.get("pagination") or {}).get("nextToken"),
            lambda params, token: {**params, "paginationToken": token},
        ):
            orders = found.get("orders")
            if not isinstance(orders, list):
                raise SpapiError("searchOrders: Amazon's answer has no orders list")
            for order in orders:
                if not isinstance(order, dict):
                    continue
                market = (order.get("salesChannel") or {}).get("marketplaceId")
                if market is not None and market != marketplace_id:
                    raise self._mismatch("searchOrders", "marketplace", marketplace_id, market)
                yield order


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
