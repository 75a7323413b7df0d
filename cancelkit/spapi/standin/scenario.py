"""What the stand-in answers: its test credentials, the processing reports it writes, the
feeds it keeps, and the `Scenario` of faults and misbehaviour a test scripts."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

APP_ID = "amzn1.application-oa2-client.standin0123456789abcdef"
CLIENT_SECRET = "amzn1.oa2-cs.v1.SECRET-standin-c1i3nt-s3cr3t-0123456789"
REFRESH_TOKEN = "Atzr|REFRESH-standin-r3fr3sh-t0k3n-0123456789"
SECRETS = (APP_ID, CLIENT_SECRET, REFRESH_TOKEN)
TOKEN_PREFIX = "Atza|ACCESS-standin-"
REPORT_HEADER = (
    "original-record-number\torder-id\torder-item-id\terror-code\terror-type\terror-message"
)


def processing_report(uploaded: bytes, errors=()) -> str:
    """Amazon's processing report for an uploaded flat file: `errors` are
    `(record_number, code, type, message)`; order ids come from the uploaded rows."""
    rows = [line.split("\t") for line in uploaded.decode("ascii").splitlines()[2:] if line]
    failed = {number for number, _, kind, _ in errors if kind == "Error"}
    lines = [
        "Feed Processing Summary:",
        f"\tNumber of records processed\t{len(rows)}",
        f"\tNumber of records successful\t{len(rows) - len(failed)}",
        "",
        REPORT_HEADER,
    ]
    for number, code, kind, message in errors:
        order_id, item = ("", "") if number == 0 else (rows[number - 1][0], rows[number - 1][2])
        lines.append(f"{number}\t{order_id}\t{item}\t{code}\t{kind}\t{message}")
    return "\r\n".join(lines) + "\r\n"


FATAL_REPORT = "\r\n".join(
    [
        "Feed Processing Summary:",
        "\tNumber of records processed\t0",
        "\tNumber of records successful\t0",
        "",
        REPORT_HEADER,
        "0\t\t\t90012\tFatal\tThe required order-id field is missing from the file",
        "",
    ]
)


@dataclass
class Feed:
    feed_id: str
    marketplace_ids: list[str]
    document_id: str
    created: str
    statuses: list[str]
    status: str = "IN_QUEUE"
    result_document_id: str | None = None


@dataclass
class Scenario:
    """What the stand-in does. `statuses`: processingStatus of each getFeed call (the last
    one stays); `faults`: operation (or "*") -> HTTP statuses answered before working."""

    statuses: list[str] = field(default_factory=lambda: ["IN_QUEUE", "IN_PROGRESS", "DONE"])
    with_result: bool = True
    gzip: bool = False
    report_errors: list = field(default_factory=list)
    fatal_report: bool = False
    faults: dict[str, list[int]] = field(default_factory=dict)
    expired_uploads: int = 0
    expired_downloads: int = 0
    reject_tokens: bool = False
    hang_create_feed: float = 0.0
    drop_create_feed_answer: bool = False
    orders: list[dict] = field(default_factory=list)
    #: operation -> seconds between two bytes of its answers' body (a trickle)
    trickle: dict[str, float] = field(default_factory=dict)
    #: trickle the status line and headers too, not only the body
    trickle_head: bool = False
    #: operation -> the base URL its answers redirect to (HTTP 307)
    redirect: dict[str, str] = field(default_factory=dict)
    #: operations (and "token") whose answer is a refusal that echoes the request back:
    #: the path, the body or form, and the headers, raw and escaped
    echo: set[str] = field(default_factory=set)
    #: the base of the presigned URLs handed out (default: the stand-in's own)
    document_base: str | None = None
    #: operation -> fields laid over its answers (the sandbox's getFeed: another feed)
    answer_over: dict[str, dict] = field(default_factory=dict)
    #: the result document is a gzip bomb that unpacks to this many bytes
    bomb_bytes: int = 0
    #: Login with Amazon's expires_in
    token_lifetime: int = 3600
    #: a next-page token that repeats for ever (getFeeds and searchOrders)
    repeat_token: bool = False
    #: searchOrders answers the orders of every marketplace, not only those asked for
    any_marketplace: bool = False


#: what Amazon's sandbox answers to getFeed, whatever feed is asked for (the Feeds model's
#: static sandbox example: another feed id, another feed type)
SANDBOX_FEED = {
    "feedId": "FeedId1",
    "feedType": "POST_PRODUCT_DATA",
    "marketplaceIds": ["ATVPDKIKX0DER"],
}


def gzip_bomb(size: int) -> bytes:
    """GZIP bytes of `size` zero bytes, made without holding them in memory."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    parts = []
    left = size
    while left > 0:
        parts.append(packer.compress(block[: min(left, len(block))]))
        left -= len(block)
    parts.append(packer.flush())
    return b"".join(parts)
