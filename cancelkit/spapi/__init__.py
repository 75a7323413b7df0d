"""The Selling Partner API client: Login with Amazon, the Feeds API and the Orders API.

Plain HTTP with httpx (the optional extra `cancelkit[amazon]`), so that the token URL and
the API base are plain settings (Amazon's sandbox, a proxy, a test server) and no library
logs a request: the three credentials and the access token never appear in any message,
log line, repr or traceback this package produces. Protocol, endpoints and rate limits:
DOMAIN.md section 8 and Amazon's models in standin/models/.

Each operation is paced by a token bucket of Amazon's published rate and burst (updated
from `x-amzn-RateLimit-Limit` when an answer carries it); HTTP 429 and 5xx are then retried
with growing pauses; only createFeed is not blindly retried after a 5xx or a lost answer,
because Amazon may have created the feed (the caller looks it up with getFeeds first, see
usecases/submit.py). Every answer is checked against what was asked (feed id, feed type,
document id, marketplace), read with a size bound and a deadline, and every text quoted
from it is passed through one redaction of every credential (`redact`).

The modules, one thing each: vocabulary.py (Amazon's words, paths and rate limits),
settings.py (credentials, endpoints, the environment and [amazon] keys), redaction.py,
pacing.py (token buckets), transport.py (bounded HTTP: deadlines, retries, redirects,
gunzip), auth.py (Login with Amazon), session.py (the JSON call, answer checks, paging),
feeds.py and orders.py (the operations), client.py (SpapiClient); standin/ is the offline
stand-in for Amazon (`python -m cancelkit.spapi.standin`). The exceptions live in
cancelkit/errors.py. This module gives the public names of all of them in one place.
"""

from __future__ import annotations

from ..errors import (
    AnswerMismatch,
    CreateFeedUnclear,
    DeadlineReached,
    SpapiError,
    SpapiForbidden,
    SpapiRefused,
    SpapiUnavailable,
    UploadExpired,
)
from .client import SpapiClient
from .feeds import FeedDocument
from .pacing import PACING, wait_text
from .redaction import IDENTIFIER, REDACTED, redact, secret_pattern
from .settings import (
    CONFIG_KEYS,
    DEFAULT_POLL_INTERVAL,
    ENV_APP_ID,
    ENV_CLIENT_SECRET,
    ENV_ENDPOINT,
    ENV_LWA_ENDPOINT,
    ENV_POLL_INTERVAL,
    ENV_REFRESH_TOKEN,
    ENV_REGIONAL_REFRESH_TOKENS,
    ENV_SANDBOX,
    HTTP_TIMEOUT_S,
    MAX_POLL_INTERVAL,
    MAX_RETRIES,
    POLL_GROWTH,
    REGIONAL_KEYS,
    REGIONS,
    SECRET_KEYS,
    STANDIN_COMMAND,
    USER_AGENT,
    Credentials,
    SpapiSettings,
    poll_interval_from,
)
from .transport import INSTALL_HINT, gunzip, require_client_library
from .vocabulary import (
    BUYER_REQUESTER,
    FEED_STATUSES,
    FEED_TYPE,
    FINISHED_STATUSES,
    FULFILLED_BY_WORDS,
    GZIP,
    ORDER_STATUS_WORDS,
    RATE_LIMITS,
    UPLOAD_CONTENT_TYPE,
)

# The bounds a test may lower (MAX_PAGES, MAX_DOCUMENT_BYTES) and the default clock are not
# re-exported: set them where they are read (session.py, transport.py).
__all__ = [
    "BUYER_REQUESTER",
    "CONFIG_KEYS",
    "DEFAULT_POLL_INTERVAL",
    "ENV_APP_ID",
    "ENV_CLIENT_SECRET",
    "ENV_ENDPOINT",
    "ENV_LWA_ENDPOINT",
    "ENV_POLL_INTERVAL",
    "ENV_REFRESH_TOKEN",
    "ENV_REGIONAL_REFRESH_TOKENS",
    "ENV_SANDBOX",
    "FEED_STATUSES",
    "FEED_TYPE",
    "FINISHED_STATUSES",
    "FULFILLED_BY_WORDS",
    "GZIP",
    "HTTP_TIMEOUT_S",
    "IDENTIFIER",
    "INSTALL_HINT",
    "MAX_POLL_INTERVAL",
    "MAX_RETRIES",
    "ORDER_STATUS_WORDS",
    "PACING",
    "POLL_GROWTH",
    "RATE_LIMITS",
    "REDACTED",
    "REGIONAL_KEYS",
    "REGIONS",
    "SECRET_KEYS",
    "STANDIN_COMMAND",
    "UPLOAD_CONTENT_TYPE",
    "USER_AGENT",
    "AnswerMismatch",
    "CreateFeedUnclear",
    "Credentials",
    "DeadlineReached",
    "FeedDocument",
    "SpapiClient",
    "SpapiError",
    "SpapiForbidden",
    "SpapiRefused",
    "SpapiSettings",
    "SpapiUnavailable",
    "UploadExpired",
    "gunzip",
    "poll_interval_from",
    "redact",
    "require_client_library",
    "secret_pattern",
    "wait_text",
]
