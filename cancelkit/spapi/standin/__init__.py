"""A stand-in for Amazon on 127.0.0.1: Login with Amazon, the Feeds API, presigned upload and
download URLs, and the Orders API's searchOrders, over real HTTP. Shipped in the package so
that `python -m cancelkit.spapi.standin` (__main__.py) works with only
`pip install "cancelkit[amazon]"` (the README's "Trying it without Amazon"); the tests use it
through tests/spapi_standin.py. The modules: model_checks.py (Amazon's models as a checker),
scenario.py (credentials, reports, the scripted Scenario), server.py (the HTTP server and its
routing), operations.py (the answers of each operation).

Every request is checked against Amazon's published models in spapi/standin/models/ (path,
method, required parameters and body fields, types, enum values; the upload's Content-Type
against the one declared in createFeedDocument) and so is every answer the stand-in gives.
Whatever does not fit is recorded in `violations` (and refused with HTTP 400), so a test
asserts `standin.violations == []`. Faults and misbehaviour are scripted per operation
(`Scenario`). Like Amazon, it sends `x-amzn-RateLimit-Limit` on 2xx, 400 and 404 answers and
never on a 429 (DOMAIN.md section 10).
"""

from __future__ import annotations

from .model_checks import MODEL_FILES, MODELS, Models
from .scenario import (
    APP_ID,
    CLIENT_SECRET,
    FATAL_REPORT,
    REFRESH_TOKEN,
    REPORT_HEADER,
    SANDBOX_FEED,
    SECRETS,
    TOKEN_PREFIX,
    Feed,
    Scenario,
    gzip_bomb,
    processing_report,
)
from .server import Standin

__all__ = [
    "APP_ID",
    "CLIENT_SECRET",
    "FATAL_REPORT",
    "MODELS",
    "MODEL_FILES",
    "REFRESH_TOKEN",
    "REPORT_HEADER",
    "SANDBOX_FEED",
    "SECRETS",
    "TOKEN_PREFIX",
    "Feed",
    "Models",
    "Scenario",
    "Standin",
    "gzip_bomb",
    "processing_report",
]
