"""The Selling Partner API client: Login with Amazon, the Feeds API and the Orders API.

Plain HTTP with httpx (the optional extra `cancelkit[amazon]`), so that the token URL and
the API base are plain settings (Amazon's sandbox, a proxy, a test server) and no library
logs a request: the three credentials and the access token never appear in any message,
log line, repr or traceback this module produces. Protocol, endpoints and rate limits:
DOMAIN.md section 8 and Amazon's models in shared/amazon-models/.

HTTP 429 and 5xx are retried with growing pauses; only createFeed is not blindly retried
after a 5xx or a lost answer, because Amazon may have created the feed (the caller looks it
up with getFeeds first, see ledger/submit.py).
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from ..errors import CancelkitError
from .marketplaces import LWA_TOKEN_URL, SpapiMarketplace, sandbox_endpoint

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

# -- settings -----------------------------------------------------------------------------

#: the credentials' environment variables (the names community SP-API clients read)
ENV_APP_ID = "LWA_APP_ID"
ENV_CLIENT_SECRET = "LWA_CLIENT_SECRET"
ENV_REFRESH_TOKEN = "SP_API_REFRESH_TOKEN"
ENV_ENDPOINT = "CANCELKIT_SPAPI_ENDPOINT"
ENV_LWA_ENDPOINT = "CANCELKIT_LWA_ENDPOINT"
ENV_POLL_INTERVAL = "CANCELKIT_SPAPI_POLL_INTERVAL"
ENV_SANDBOX = "CANCELKIT_SPAPI_SANDBOX"
#: keys of the config file's [amazon] table -> the environment variable they stand for
CONFIG_KEYS: dict[str, str] = {
    "lwa_app_id": ENV_APP_ID,
    "lwa_client_secret": ENV_CLIENT_SECRET,
    "sp_api_refresh_token": ENV_REFRESH_TOKEN,
    "spapi_endpoint": ENV_ENDPOINT,
    "lwa_endpoint": ENV_LWA_ENDPOINT,
    "poll_interval": ENV_POLL_INTERVAL,
    "sandbox": ENV_SANDBOX,
}
#: the [amazon] keys of the three credentials
SECRET_KEYS = ("lwa_app_id", "lwa_client_secret", "sp_api_refresh_token")
DEFAULT_POLL_INTERVAL = 30.0
#: polling slows down by this factor each round, up to MAX_POLL_INTERVAL
POLL_GROWTH = 1.5
MAX_POLL_INTERVAL = 300.0
#: retries of one call answered with 429 or 5xx before giving up (the batch stays as it is)
MAX_RETRIES = 8
HTTP_TIMEOUT_S = 60.0
INSTALL_HINT = 'pip install "cancelkit[amazon]"'


class SpapiError(CancelkitError):
    """A Selling Partner API call failed in a way the caller cannot fix by waiting."""

    code = "spapi_error"


class SpapiUnavailable(SpapiError):
    """Amazon throttled (429) or failed (5xx, no answer) every retry of a call."""

    code = "spapi_unavailable"


class CreateFeedUnclear(SpapiUnavailable):
    """createFeed got a 5xx or no answer: Amazon may or may not have created the feed."""

    code = "create_feed_unclear"


class SpapiForbidden(SpapiError):
    """Amazon refused the access token or the app's rights (HTTP 403)."""

    code = "spapi_forbidden"


class UploadExpired(SpapiError):
    """The presigned upload or download URL was refused (expired after 5 minutes)."""

    code = "presigned_url_expired"


@dataclass(frozen=True)
class Credentials:
    """The three values of a self-authorized private app. The repr shows none of them."""

    app_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)

    def __repr__(self) -> str:
        return "Credentials(app_id=***, client_secret=***, refresh_token=***)"

    __str__ = __repr__

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.client_secret, self.refresh_token, self.app_id) if s)


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

    def endpoint_for(self, market: SpapiMarketplace) -> str:
        """The API base URL for a marketplace: the override, else the region's host
        (its sandbox host with `sandbox`)."""
        if self.api_endpoint:
            return self.api_endpoint.rstrip("/")
        return sandbox_endpoint(market.endpoint) if self.sandbox else market.endpoint

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


@dataclass(frozen=True)
class FeedDocument:
    """A result document's download location (getFeedDocument)."""

    document_id: str
    url: str = field(repr=False)  # presigned: valid 5 minutes
    compression: str | None = None


class SpapiClient:
    """One marketplace's SP-API over HTTP. Use as a context manager.

    `sleep` is the pause function (tests may pass a fast one); `on_wait(seconds, why)` is
    told about each retry pause so a command can say why it waits."""

    def __init__(
        self,
        settings: SpapiSettings,
        market: SpapiMarketplace,
        *,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        httpx = _httpx()
        self._httpx = httpx
        self.settings = settings
        self.market = market
        self.endpoint = settings.endpoint_for(market)
        self._credentials = settings.require_credentials()
        self._token: str | None = None
        self._sleep = sleep
        self._on_wait = on_wait
        self._http = httpx.Client(timeout=settings.timeout, follow_redirects=False)

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
        """Text from a server, safe to show: the secrets and the token replaced, cut short."""
        for secret in (*self._credentials.secrets(), self._token or ""):
            if secret:
                text = text.replace(secret, "***")
        text = " ".join(text.split())
        return text if len(text) <= 300 else text[:297] + "..."

    def _amazon_says(self, response) -> str:
        """Amazon's error list (`{"errors": [{code, message}]}`) or the start of the body."""
        try:
            document = response.json()
        except ValueError:
            document = None
        if isinstance(document, dict) and isinstance(document.get("errors"), list):
            parts = [
                f"{e.get('code', '')}: {e.get('message', '')}".strip(": ")
                for e in document["errors"]
                if isinstance(e, dict)
            ]
            return self._scrub("; ".join(parts))
        if isinstance(document, dict) and document.get("error"):  # Login with Amazon
            said = f"{document.get('error')}: {document.get('error_description', '')}"
            return self._scrub(said.strip(": "))
        return self._scrub(response.text[:300])

    def _pause(self, attempt: int, why: str, response=None) -> None:
        delay = self.settings.retry_base * (2**attempt)
        if response is not None:
            try:  # Amazon's usage plan: requests per second of this operation
                rate = float(response.headers.get("x-amzn-RateLimit-Limit", ""))
            except ValueError:
                rate = 0.0
            if rate > 0:
                delay = max(delay, 1.0 / rate)
        delay = min(delay, self.settings.retry_cap)
        if self._on_wait is not None:
            self._on_wait(delay, why)
        self._sleep(delay)

    def _send(self, operation: str, method: str, url: str, *, retry_server_errors=True, **kw):
        """One HTTP exchange, retried on 429, and on 5xx and lost answers when allowed."""
        httpx = self._httpx
        last = ""
        for attempt in range(self.settings.max_retries + 1):
            try:
                response = self._http.request(method, url, **kw)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL):
                raise SpapiError(
                    f"{operation}: cannot call '{self._scrub(url.split('?')[0])}'; check "
                    "CANCELKIT_SPAPI_ENDPOINT / CANCELKIT_LWA_ENDPOINT (or spapi_endpoint / "
                    "lwa_endpoint in [amazon])",
                    code="spapi_endpoint_invalid",
                ) from None
            except httpx.TransportError as exc:
                last = f"no answer ({type(exc).__name__})"
                if not retry_server_errors:
                    raise CreateFeedUnclear(f"{operation}: {last}") from None
                response = None
            else:
                status = response.status_code
                if status == 429:
                    last = "HTTP 429 (throttled)"
                elif status >= 500:
                    last = f"HTTP {status}"
                    if not retry_server_errors:
                        raise CreateFeedUnclear(
                            f"{operation}: {last} {self._amazon_says(response)}".strip()
                        )
                else:
                    return response
            if attempt < self.settings.max_retries:
                self._pause(attempt, f"{operation}: {last}", response)
        raise SpapiUnavailable(
            f"{operation}: {last}, {self.settings.max_retries + 1} times in a row; nothing was "
            "lost, run the command again later"
        )

    def _access_token(self, renew: bool = False) -> str:
        if self._token is not None and not renew:
            return self._token
        credentials = self._credentials
        form = {
            "grant_type": "refresh_token",
            "refresh_token": credentials.refresh_token,
            "client_id": credentials.app_id,
            "client_secret": credentials.client_secret,
        }
        response = self._send("Login with Amazon", "POST", self.settings.lwa_endpoint, data=form)
        if response.status_code != 200:
            raise SpapiError(
                f"Login with Amazon refused the credentials (HTTP {response.status_code}: "
                f"{self._amazon_says(response)}); check LWA_APP_ID, LWA_CLIENT_SECRET and "
                "SP_API_REFRESH_TOKEN (the refresh token of your self-authorized app)",
                code="lwa_refused",
            )
        try:
            token = response.json()["access_token"]
        except (ValueError, KeyError, TypeError):
            raise SpapiError(
                "Login with Amazon answered without an access_token", code="lwa_refused"
            ) from None
        self._token = str(token)
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
                "user-agent": "cancelkit (Language=Python)",
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
                "and the app needs the role for this operation"
            )
        if status >= 400:
            raise SpapiError(
                f"{operation}: Amazon answered HTTP {status}: {self._amazon_says(response)}",
                code="spapi_refused",
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

    # -- Feeds API --------------------------------------------------------------------------
    def create_feed_document(self, content_type: str = UPLOAD_CONTENT_TYPE) -> tuple[str, str]:
        """createFeedDocument: `(feedDocumentId, presigned upload url)`."""
        found = self._call(
            "createFeedDocument", "POST", f"{FEEDS}/documents", json={"contentType": content_type}
        )
        return (
            self._field(found, "feedDocumentId", "createFeedDocument"),
            self._field(found, "url", "createFeedDocument"),
        )

    def upload(self, url: str, content: bytes, content_type: str = UPLOAD_CONTENT_TYPE) -> None:
        """PUT the exact bytes to the presigned URL, with the declared Content-Type and no
        access token. UploadExpired when the URL is refused (it is valid 5 minutes)."""
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
        lost answer: the feed may exist, look it up before calling again."""
        body = {
            "feedType": FEED_TYPE,
            "marketplaceIds": [marketplace_id],
            "inputFeedDocumentId": document_id,
        }
        found = self._call(
            "createFeed", "POST", f"{FEEDS}/feeds", json=body, retry_server_errors=False
        )
        return self._field(found, "feedId", "createFeed")

    def get_feed(self, feed_id: str) -> dict:
        """getFeed: the Feed (feedId, processingStatus, resultFeedDocumentId, ...)."""
        found = self._call("getFeed", "GET", f"{FEEDS}/feeds/{feed_id}")
        status = found.get("processingStatus")
        if status not in FEED_STATUSES:
            raise SpapiError(f"getFeed: unknown processingStatus '{self._scrub(str(status))}'")
        return found

    def get_feeds(self, marketplace_id: str, created_since: str) -> list[dict]:
        """getFeeds: this feed type's feeds for the marketplace created since then."""
        params: dict = {
            "feedTypes": FEED_TYPE,
            "marketplaceIds": marketplace_id,
            "createdSince": created_since,
            "pageSize": 100,
        }
        feeds: list[dict] = []
        while True:
            found = self._call("getFeeds", "GET", f"{FEEDS}/feeds", params=params)
            feeds.extend(f for f in found.get("feeds") or [] if isinstance(f, dict))
            token = found.get("nextToken")
            if not token:
                return feeds
            params = {"nextToken": token}  # the token is the only parameter of a next page

    def get_feed_document(self, document_id: str) -> FeedDocument:
        """getFeedDocument: where to download a result document, and its compression."""
        found = self._call("getFeedDocument", "GET", f"{FEEDS}/documents/{document_id}")
        compression = found.get("compressionAlgorithm")
        if compression not in (None, GZIP):
            raise SpapiError(f"getFeedDocument: unknown compressionAlgorithm '{compression}'")
        return FeedDocument(
            self._field(found, "feedDocumentId", "getFeedDocument"),
            self._field(found, "url", "getFeedDocument"),
            compression,
        )

    def download(self, document: FeedDocument) -> bytes:
        """The document's bytes, unpacked when Amazon says GZIP. UploadExpired when the
        presigned URL is refused."""
        response = self._send("download", "GET", document.url)
        if response.status_code in (400, 403):
            raise UploadExpired(
                f"download: the presigned URL was refused (HTTP {response.status_code})"
            )
        if response.status_code >= 300:
            raise SpapiError(f"download: HTTP {response.status_code}", code="spapi_refused")
        content = response.content
        if document.compression == GZIP:
            try:
                content = gzip.decompress(content)
            except (OSError, EOFError):
                raise SpapiError(
                    "download: the result document is not valid GZIP as Amazon said"
                ) from None
        return content

    # -- Orders API 2026-01-01 --------------------------------------------------------------
    def search_orders(
        self,
        marketplace_id: str,
        created_after: str,
        fulfillment_statuses: tuple[str, ...],
        included_data: tuple[str, ...],
    ) -> Iterator[dict]:
        """searchOrders of merchant-fulfilled orders, page after page."""
        params: dict = {
            "createdAfter": created_after,
            "marketplaceIds": marketplace_id,
            "fulfillmentStatuses": ",".join(fulfillment_statuses),
            "fulfilledBy": "MERCHANT",
            "includedData": ",".join(included_data),
            "maxResultsPerPage": 100,
        }
        while True:
            found = self._call("searchOrders", "GET", f"{ORDERS}/orders", params=params)
            orders = found.get("orders")
            if not isinstance(orders, list):
                raise SpapiError("searchOrders: Amazon's answer has no orders list")
            yield from (o for o in orders if isinstance(o, dict))
            token = (found.get("pagination") or {}).get("nextToken")
            if not token:
                return
            params = {**params, "paginationToken": token}
