"""Amazon's vocabulary for the SP-API calls cancelkit makes: the feed type, the statuses of a
feed and of an order, the API paths and each operation's published rate limit (the Feeds
API 2021-06-30 and Orders API 2026-01-01 models, shipped in spapi/standin/models/)."""

from __future__ import annotations

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
