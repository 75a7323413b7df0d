"""A stand-in for Amazon on 127.0.0.1: Login with Amazon, the Feeds API, presigned upload and
download URLs, and the Orders API's searchOrders, over real HTTP. Shipped in the package so
that `python -m cancelkit.spapi.standin` works with only `pip install "cancelkit[amazon]"`
(the README's "Trying it without Amazon"); the tests use it through tests/spapi_standin.py.

Every request is checked against Amazon's published models in spapi/standin/models/ (path,
method, required parameters and body fields, types, enum values; the upload's Content-Type
against the one declared in createFeedDocument) and so is every answer the stand-in gives.
Whatever does not fit is recorded in `violations` (and refused with HTTP 400), so a test
asserts `standin.violations == []`. Faults and misbehaviour are scripted per operation
(`Scenario`). Like Amazon, it sends `x-amzn-RateLimit-Limit` on 2xx, 400 and 404 answers and
never on a 429 (DOMAIN.md section 10).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import itertools
import json
import re
import signal
import tempfile
import threading
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .. import RATE_LIMITS

MODELS = Path(__file__).resolve().parent / "models"
MODEL_FILES = ("feeds_2021-06-30.json", "orders_2026-01-01.json")
APP_ID = "amzn1.application-oa2-client.standin0123456789abcdef"
CLIENT_SECRET = "amzn1.oa2-cs.v1.SECRET-standin-c1i3nt-s3cr3t-0123456789"
REFRESH_TOKEN = "Atzr|REFRESH-standin-r3fr3sh-t0k3n-0123456789"
SECRETS = (APP_ID, CLIENT_SECRET, REFRESH_TOKEN)
TOKEN_PREFIX = "Atza|ACCESS-standin-"
REPORT_HEADER = (
    "original-record-number\torder-id\torder-item-id\terror-code\terror-type\terror-message"
)


# -- the models ---------------------------------------------------------------------------


class Models:
    """Amazon's Swagger 2.0 models: operations by method and path, and a schema checker."""

    def __init__(self, folder: Path = MODELS) -> None:
        self.operations: list[tuple[str, re.Pattern, dict, dict]] = []
        for name in MODEL_FILES:
            document = json.loads((folder / name).read_text(encoding="utf-8"))
            for template, methods in document["paths"].items():
                pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")
                for method, operation in methods.items():
                    if method != "parameters":
                        self.operations.append((method.upper(), pattern, operation, document))

    def find(self, method: str, path: str) -> tuple[dict, dict, dict] | None:
        for verb, pattern, operation, document in self.operations:
            found = pattern.match(path)
            if found and verb == method:
                return operation, document, found.groupdict()
        return None

    def check(self, schema: dict, value, where: str, document: dict) -> list[str]:
        """What in `value` does not fit `schema` (resolving the model's $refs)."""
        while "$ref" in schema:
            schema = document["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
        problems: list[str] = []
        kind = schema.get("type")
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{where}: {value!r} is not one of {schema['enum']}")
        if kind == "object" or "properties" in schema:
            if not isinstance(value, dict):
                return [f"{where}: expected an object, got {value!r}"]
            for name in schema.get("required", ()):
                if name not in value:
                    problems.append(f"{where}: required field {name} is missing")
            properties = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            for name, item in value.items():
                if name in properties:
                    problems += self.check(properties[name], item, f"{where}.{name}", document)
                elif isinstance(extra, dict):
                    problems += self.check(extra, item, f"{where}.{name}", document)
        elif kind == "array":
            if not isinstance(value, list):
                return [f"{where}: expected an array, got {value!r}"]
            if len(value) < schema.get("minItems", 0):
                problems.append(f"{where}: fewer than {schema['minItems']} items")
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                problems.append(f"{where}: more than {schema['maxItems']} items")
            for index, item in enumerate(value):
                problems += self.check(schema.get("items", {}), item, f"{where}[{index}]", document)
        elif kind == "string" and not isinstance(value, str):
            problems.append(f"{where}: expected a string, got {value!r}")
        elif kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append(f"{where}: expected an integer, got {value!r}")
        elif kind == "boolean" and not isinstance(value, bool):
            problems.append(f"{where}: expected a boolean, got {value!r}")
        if kind == "string" and isinstance(value, str) and schema.get("format") == "date-time":
            try:
                dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                problems.append(f"{where}: {value!r} is not an ISO 8601 date-time")
        return problems

    def check_request(
        self, operation: dict, document: dict, path_values: dict, query: dict, body: bytes
    ) -> list[str]:
        problems: list[str] = []
        name = operation["operationId"]
        declared = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "query"}
        for extra in sorted(set(query) - declared):
            problems.append(f"{name}: query parameter {extra} is not in the model")
        for parameter in operation.get("parameters", ()):
            where = f"{name}.{parameter['name']}"
            if parameter["in"] == "path":
                if not path_values.get(parameter["name"]):
                    problems.append(f"{where}: path parameter missing")
            elif parameter["in"] == "query":
                values = query.get(parameter["name"])
                if values is None:
                    if parameter.get("required"):
                        problems.append(f"{where}: required query parameter missing")
                    continue
                if len(values) != 1:
                    problems.append(f"{where}: given {len(values)} times")
                text = values[0]
                if parameter.get("type") == "array":  # Swagger 2.0 default: csv
                    items = text.split(",")
                    problems += self.check(
                        {k: v for k, v in parameter.items() if k in ("minItems", "maxItems")}
                        | {"type": "array", "items": parameter.get("items", {})},
                        items,
                        where,
                        document,
                    )
                elif parameter.get("type") == "integer":
                    if not re.fullmatch(r"\d+", text):
                        problems.append(f"{where}: {text!r} is not an integer")
                    else:
                        number = int(text)
                        low, high = parameter.get("minimum"), parameter.get("maximum")
                        if (low is not None and number < low) or (
                            high is not None and number > high
                        ):
                            problems.append(f"{where}: {number} outside {low}..{high}")
                else:
                    problems += self.check(parameter, text, where, document)
            elif parameter["in"] == "body":
                try:
                    value = json.loads(body or b"null")
                except ValueError:
                    problems.append(f"{where}: the body is not JSON")
                    continue
                if value is None:
                    if parameter.get("required"):
                        problems.append(f"{where}: required body missing")
                    continue
                problems += self.check(parameter["schema"], value, where, document)
        if not any(p["in"] == "body" for p in operation.get("parameters", ())) and body:
            problems.append(f"{name}: a body was sent, the model has none")
        return problems

    def check_response(self, operation: dict, document: dict, status: int, value) -> list[str]:
        declared = operation["responses"].get(str(status))
        if declared is None:
            return [f"{operation['operationId']}: HTTP {status} is not a declared response"]
        schema = declared.get("schema")
        if schema is None:
            return []
        return self.check(schema, value, f"{operation['operationId']} response", document)


# -- the stand-in -------------------------------------------------------------------------


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


def _escaped(text: str) -> str:
    """`text` with every character but letters and digits as a JSON \\uXXXX escape."""
    return "".join(c if c.isalnum() else f"\\u{ord(c):04x}" for c in text)


class Standin:
    """The server's state: what it was sent, what it created, what did not fit the model."""

    def __init__(self) -> None:
        self.models = Models()
        self.scenario = Scenario()
        self.lock = threading.Lock()
        self.calls: list[str] = []
        self.violations: list[str] = []
        self.tokens: set[str] = set()
        self.declared: dict[str, str] = {}  # document id -> declared content type
        self.uploads: dict[str, bytes] = {}
        self.upload_headers: dict[str, dict] = {}
        self.feeds: dict[str, Feed] = {}
        self.results: dict[str, bytes] = {}
        self.orders_queries: list[dict] = []
        #: set to let a hanging createFeed answer
        self.release = threading.Event()
        self._numbers = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- counting ---------------------------------------------------------------------------
    def count(self, operation: str) -> int:
        with self.lock:
            return self.calls.count(operation)

    def environment(self) -> dict[str, str]:
        """The environment that points cancelkit at this stand-in."""
        return {
            "LWA_APP_ID": APP_ID,
            "LWA_CLIENT_SECRET": CLIENT_SECRET,
            "SP_API_REFRESH_TOKEN": REFRESH_TOKEN,
            "CANCELKIT_SPAPI_ENDPOINT": self.base,
            "CANCELKIT_LWA_ENDPOINT": f"{self.base}/auth/o2/token",
            "CANCELKIT_SPAPI_POLL_INTERVAL": "0.02",
        }

    def start(self) -> Standin:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    # -- the handler ------------------------------------------------------------------------
    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _body(self) -> bytes:
                length = int(self.headers.get("content-length") or 0)
                return self.rfile.read(length) if length else b""

            def do_GET(self) -> None:
                standin.handle(self, "GET", b"")

            def do_POST(self) -> None:
                standin.handle(self, "POST", self._body())

            def do_PUT(self) -> None:
                standin.handle(self, "PUT", self._body())

            def do_DELETE(self) -> None:
                standin.handle(self, "DELETE", self._body())

        return Handler

    def _send(self, handler, status: int, value=None, raw: bytes | None = None, kind=None, op=None):
        if raw is None:
            raw = b"" if value is None else json.dumps(value).encode()
            kind = kind or "application/json"
        pause = self.scenario.trickle.get(op or "")
        if pause and self.scenario.trickle_head:
            head = f"HTTP/1.1 {status} OK\r\ncontent-length: {len(raw)}\r\n"
            if kind:
                head += f"content-type: {kind}\r\n"
            return self._trickle(handler, head.encode() + b"\r\n" + raw, pause)
        handler.send_response(status)
        if kind:
            handler.send_header("content-type", kind)
        handler.send_header("content-length", str(len(raw)))
        if op in RATE_LIMITS and status != 429:  # as Amazon: never on a 429
            handler.send_header("x-amzn-RateLimit-Limit", f"{RATE_LIMITS[op][0]:g}")
        handler.end_headers()
        if not pause:
            handler.wfile.write(raw)
            return
        self._trickle(handler, raw, pause)

    def _trickle(self, handler, raw: bytes, pause: float) -> None:
        handler.close_connection = True
        try:
            for index in range(len(raw)):
                handler.wfile.write(raw[index : index + 1])
                handler.wfile.flush()
                if self.release.wait(pause):
                    break
        except OSError:  # the client gave up: that is the point
            pass

    def _redirected(self, handler, operation: str) -> bool:
        target = self.scenario.redirect.get(operation)
        if not target:
            return False
        handler.send_response(307)
        handler.send_header("location", target + handler.path)
        handler.send_header("content-length", "0")
        handler.end_headers()
        return True

    def _echo(self, handler, operation: str, body: bytes) -> bool:
        """A refusal that quotes the whole request back, as some servers do."""
        if operation not in self.scenario.echo:
            return False
        request = f"{handler.command} {handler.path} {body.decode('utf-8', 'replace')}"
        headers = json.dumps(dict(handler.headers))
        if operation == "token":
            error = {"error": "invalid_request", "error_description": f"{request} {headers}"}
            self._send(handler, 400, error)
            return True
        error = {
            "code": "InvalidInput",
            "message": f"cannot read {request}",
            "details": f"{headers} {_escaped(request)}",
        }
        self._send(handler, 400, {"errors": [error]}, op=operation)
        return True

    def _violation(self, text: str) -> None:
        with self.lock:
            self.violations.append(text)

    def _fault(self, operation: str) -> int | None:
        with self.lock:
            for key in (operation, "*"):
                queue = self.scenario.faults.get(key)
                if queue:
                    return queue.pop(0)
        return None

    def handle(self, handler, method: str, body: bytes) -> None:
        url = urlsplit(handler.path)
        query = parse_qs(url.query, keep_blank_values=True)
        path = url.path
        if path == "/auth/o2/token" and method == "POST":
            return self._token(handler, body)
        if path.startswith("/upload/") and method == "PUT":
            return self._upload(handler, path.rsplit("/", 1)[-1], query, body)
        if path.startswith("/download/") and method == "GET":
            return self._download(handler, path.rsplit("/", 1)[-1], query)
        found = self.models.find(method, path)
        if found is None:
            self._violation(f"{method} {path}: no such operation in the models")
            return self._send(handler, 404, {"errors": [{"code": "NotFound", "message": path}]})
        operation, document, values = found
        name = operation["operationId"]
        with self.lock:
            self.calls.append(name)
        if self._redirected(handler, name) or self._echo(handler, name, body):
            return
        problems = self.models.check_request(operation, document, values, query, body)
        token = handler.headers.get("x-amz-access-token", "")
        if token not in self.tokens:
            problems.append(f"{name}: the x-amz-access-token is not one the stand-in issued")
        if problems:
            for problem in problems:
                self._violation(problem)
            return self._send(
                handler,
                400,
                {"errors": [{"code": "InvalidInput", "message": problems[0]}]},
                op=name,
            )
        if self.scenario.reject_tokens:
            return self._send(
                handler,
                403,
                {
                    "errors": [
                        {
                            "code": "Unauthorized",
                            "message": "Access to requested resource is denied.",
                        }
                    ]
                },
            )
        fault = self._fault(name)
        if fault is not None:
            return self._send(
                handler,
                fault,
                {
                    "errors": [
                        {
                            "code": "QuotaExceeded" if fault == 429 else "InternalFailure",
                            "message": "scripted fault",
                        }
                    ]
                },
                op=name,
            )
        json_body = json.loads(body) if body else None
        status, answer = getattr(self, f"_op_{name}")(values, query, json_body, handler)
        if status is None:
            return  # the answer was lost on purpose
        over = self.scenario.answer_over.get(name)
        if over and status < 300:
            answer = {**answer, **over}
        for problem in self.models.check_response(operation, document, status, answer):
            self._violation(problem)
        self._send(handler, status, answer, op=name)

    # -- Login with Amazon ------------------------------------------------------------------
    def _token(self, handler, body: bytes) -> None:
        with self.lock:
            self.calls.append("token")
        if self._redirected(handler, "token") or self._echo(handler, "token", body):
            return
        fault = self._fault("token")
        if fault is not None:
            return self._send(handler, fault, {"error": "server_error"})
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if (handler.headers.get("content-type") or "").split(";")[0] != (
            "application/x-www-form-urlencoded"
        ):
            self._violation("token: not a form post")
        if form.get("grant_type") != "refresh_token":
            self._violation(f"token: grant_type {form.get('grant_type')!r}")
        if (form.get("client_id"), form.get("client_secret")) != (APP_ID, CLIENT_SECRET):
            return self._send(
                handler,
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed"},
            )
        if form.get("refresh_token") != REFRESH_TOKEN:
            return self._send(
                handler,
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "The request has an invalid grant parameter",
                },
            )
        token = f"{TOKEN_PREFIX}{next(self._numbers)}"
        with self.lock:
            self.tokens.add(token)
        self._send(
            handler,
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.scenario.token_lifetime,
                "refresh_token": REFRESH_TOKEN,
            },
        )

    # -- presigned URLs ---------------------------------------------------------------------
    def _upload(self, handler, document_id: str, query: dict, body: bytes) -> None:
        with self.lock:
            self.calls.append("upload")
        if self._redirected(handler, "upload"):
            return
        fault = self._fault("upload")
        if fault is not None:
            return self._send(
                handler, fault, raw=b"<Error><Code>SlowDown</Code></Error>", kind="application/xml"
            )
        if handler.headers.get("x-amz-access-token"):
            self._violation("upload: the access token was sent to the presigned URL")
        declared = self.declared.get(document_id)
        if declared is None:
            self._violation(f"upload: unknown document {document_id}")
            return self._send(
                handler, 404, raw=b"<Error><Code>NoSuchKey</Code></Error>", kind="application/xml"
            )
        if query.get("expired") == ["1"]:
            return self._send(
                handler,
                403,
                raw=b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message>"
                b"</Error>",
                kind="application/xml",
            )
        if handler.headers.get("content-type") != declared:
            self._violation(
                f"upload: Content-Type {handler.headers.get('content-type')!r} is not the "
                f"declared {declared!r}"
            )
            return self._send(
                handler,
                403,
                raw=b"<Error><Code>SignatureDoesNotMatch</Code></Error>",
                kind="application/xml",
            )
        with self.lock:
            self.uploads[document_id] = body
            self.upload_headers[document_id] = dict(handler.headers)
        self._send(handler, 200, raw=b"", kind=None)

    def _download(self, handler, document_id: str, query: dict) -> None:
        with self.lock:
            self.calls.append("download")
        if self._redirected(handler, "download"):
            return
        fault = self._fault("download")
        if fault is not None:
            return self._send(
                handler, fault, raw=b"<Error><Code>SlowDown</Code></Error>", kind="application/xml"
            )
        if handler.headers.get("x-amz-access-token"):
            self._violation("download: the access token was sent to the presigned URL")
        if query.get("expired") == ["1"]:
            return self._send(handler, 403, raw=b"<Error><Code>AccessDenied</Code></Error>")
        content = self.results.get(document_id)
        if content is None:
            return self._send(
                handler, 404, raw=b"<Error><Code>NoSuchKey</Code></Error>", kind="application/xml"
            )
        self._send(handler, 200, raw=content, kind="application/octet-stream", op="download")

    # -- Feeds API --------------------------------------------------------------------------
    def _op_createFeedDocument(self, values, query, body, handler):
        number = next(self._numbers)
        document_id = f"amzn1.tortuga.4.na.standin-doc-{number}"
        with self.lock:
            self.declared[document_id] = body["contentType"]
            expired = self.scenario.expired_uploads > 0
            if expired:
                self.scenario.expired_uploads -= 1
        base = self.scenario.document_base or self.base
        url = f"{base}/upload/{document_id}?X-Amz-Signature=sig{number}"
        if expired:
            url += "&expired=1"
        return 201, {"feedDocumentId": document_id, "url": url}

    def _op_createFeed(self, values, query, body, handler):
        problems = []
        if body["feedType"] != "POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA":
            problems.append(f"createFeed: feedType {body['feedType']}")
        if len(body["marketplaceIds"]) != 1:
            problems.append("createFeed: one marketplace per feed")
        if body["inputFeedDocumentId"] not in self.uploads:
            problems.append("createFeed: the document was not uploaded")
        if problems:
            for problem in problems:
                self._violation(problem)
            return 400, {"errors": [{"code": "InvalidInput", "message": problems[0]}]}
        with self.lock:
            feed_id = str(50_000_000_000 + next(self._numbers))
            self.feeds[feed_id] = Feed(
                feed_id,
                list(body["marketplaceIds"]),
                body["inputFeedDocumentId"],
                dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                list(self.scenario.statuses),
            )
        if self.scenario.hang_create_feed:
            self.release.wait(self.scenario.hang_create_feed)
        if self.scenario.drop_create_feed_answer:
            self.scenario.drop_create_feed_answer = False
            handler.close_connection = True
            handler.connection.shutdown(2)
            return None, None
        return 202, {"feedId": feed_id}

    def _feed_json(self, feed: Feed) -> dict:
        value = {
            "feedId": feed.feed_id,
            "feedType": "POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA",
            "marketplaceIds": feed.marketplace_ids,
            "createdTime": feed.created,
            "processingStatus": feed.status,
        }
        if feed.result_document_id:
            value["resultFeedDocumentId"] = feed.result_document_id
        return value

    def _advance(self, feed: Feed) -> None:
        with self.lock:
            if feed.statuses:
                feed.status = feed.statuses.pop(0) if len(feed.statuses) > 1 else feed.statuses[0]
            finished = feed.status in ("DONE", "FATAL")
            if finished and feed.result_document_id is None and self.scenario.with_result:
                uploaded = self.uploads[feed.document_id]
                if self.scenario.fatal_report or feed.status == "FATAL":
                    report = FATAL_REPORT
                else:
                    report = processing_report(uploaded, self.scenario.report_errors)
                content = report.encode("utf-8")
                document_id = f"amzn1.tortuga.4.na.standin-result-{feed.feed_id}"
                if self.scenario.bomb_bytes:
                    self.results[document_id] = gzip_bomb(self.scenario.bomb_bytes)
                else:
                    self.results[document_id] = (
                        gzip.compress(content) if self.scenario.gzip else content
                    )
                feed.result_document_id = document_id

    def _op_getFeed(self, values, query, body, handler):
        feed = self.feeds.get(values["feedId"])
        if feed is None:
            return 404, {"errors": [{"code": "NotFound", "message": "no such feed"}]}
        self._advance(feed)
        return 200, self._feed_json(feed)

    def _op_getFeeds(self, values, query, body, handler):
        types = query.get("feedTypes", [""])[0].split(",")
        markets = set(query.get("marketplaceIds", [""])[0].split(","))
        since = query.get("createdSince", ["1970-01-01T00:00:00Z"])[0]
        with self.lock:
            feeds = [
                self._feed_json(f)
                for f in self.feeds.values()
                if "POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA" in types
                and markets & set(f.marketplace_ids)
                and f.created >= since
            ]
        answer: dict = {"feeds": feeds}
        if self.scenario.repeat_token:
            answer["nextToken"] = "the-same-token"
        return 200, answer

    def _op_getFeedDocument(self, values, query, body, handler):
        document_id = values["feedDocumentId"]
        if document_id not in self.results:
            return 404, {"errors": [{"code": "NotFound", "message": "no such document"}]}
        url = f"{self.scenario.document_base or self.base}/download/{document_id}?sig=x"
        with self.lock:
            if self.scenario.expired_downloads > 0:
                self.scenario.expired_downloads -= 1
                url += "&expired=1"
        answer = {"feedDocumentId": document_id, "url": url}
        if self.scenario.gzip or self.scenario.bomb_bytes:
            answer["compressionAlgorithm"] = "GZIP"
        return 200, answer

    def _op_cancelFeed(self, values, query, body, handler):
        return 200, None

    # -- Orders API 2026-01-01 --------------------------------------------------------------
    def _op_searchOrders(self, values, query, body, handler):
        with self.lock:
            self.orders_queries.append({k: v[0] for k, v in query.items()})
        markets = set(query.get("marketplaceIds", [""])[0].split(","))
        statuses = set(query.get("fulfillmentStatuses", [""])[0].split(","))
        by = set(query.get("fulfilledBy", ["MERCHANT,AMAZON"])[0].split(","))
        size = int(query.get("maxResultsPerPage", ["100"])[0])
        start = int(query.get("paginationToken", ["0"])[0])
        chosen = [
            o
            for o in self.scenario.orders
            if (self.scenario.any_marketplace or o["salesChannel"].get("marketplaceId") in markets)
            and o["fulfillment"]["fulfillmentStatus"] in statuses
            and o["fulfillment"].get("fulfilledBy") in by
        ]
        page = chosen[start : start + size]
        answer: dict = {"orders": page}
        if self.scenario.repeat_token:
            answer["pagination"] = {"nextToken": "0"}  # the first page, for ever
        elif start + size < len(chosen):
            answer["pagination"] = {"nextToken": str(start + size)}
        return 200, answer

    def _op_getOrder(self, values, query, body, handler):
        return 404, {"errors": [{"code": "NotFound", "message": "not served"}]}


def main() -> None:
    """`python -m cancelkit.spapi.standin`: run the stand-in until Ctrl-C (or `kill PID`),
    printing the exports that point cancelkit at it, then what it saw."""
    # Ctrl-C or `kill PID` prints what the stand-in saw (a background job ignores SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    running = Standin().start()
    scratch = Path(tempfile.mkdtemp(prefix="cancelkit-standin-"))  # never the real ledger
    exports = {**running.environment(), "CANCELKIT_LEDGER": str(scratch / "ledger.sqlite3")}
    for variable, setting in exports.items():
        print(f"export {variable}='{setting}'", flush=True)
    try:
        while running.thread.is_alive():
            running.thread.join(0.2)  # a plain join() would not see Ctrl-C
    except KeyboardInterrupt:
        running.stop()
        print(f"calls: {running.calls}\nviolations: {running.violations}", flush=True)
        for document_id, content in running.uploads.items():
            print(f"uploaded {document_id}: sha256 {hashlib.sha256(content).hexdigest()}")


if __name__ == "__main__":
    main()
