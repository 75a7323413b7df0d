"""The stand-in's server: a threaded HTTP server on 127.0.0.1, its state (what it was sent,
what it created, what did not fit the model), the routing of a request to Login with
Amazon, a presigned URL or an operation of the models, and the scripted faults."""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from ..vocabulary import RATE_LIMITS
from .model_checks import Models
from .operations import Operations
from .scenario import APP_ID, CLIENT_SECRET, REFRESH_TOKEN, TOKEN_PREFIX, Feed, Scenario


def _escaped(text: str) -> str:
    """`text` with every character but letters and digits as a JSON \\uXXXX escape."""
    return "".join(c if c.isalnum() else f"\\u{ord(c):04x}" for c in text)


class Standin(Operations):
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
        #: each trickled answer once it ended: (bytes written, bytes it had); fewer written
        #: than it had means the client hung up on it (or `release` was set)
        self.trickled: list[tuple[int, int]] = []
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
        written = 0
        try:
            for index in range(len(raw)):
                handler.wfile.write(raw[index : index + 1])
                handler.wfile.flush()
                written += 1
                if self.release.wait(pause):
                    break
        except OSError:  # the client gave up: that is the point
            pass
        with self.lock:
            self.trickled.append((written, len(raw)))

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
        return self._operation(handler, method, path, query, body)

    def _operation(self, handler, method: str, path: str, query: dict, body: bytes) -> None:
        """An operation of the models: checked, refused or faulted as scripted, answered."""
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
        if self._refused(handler, name, found, query, body):
            return
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

    def _refused(self, handler, name: str, found: tuple, query: dict, body: bytes) -> bool:
        """Whether the request was answered with a refusal: a request that does not fit the
        model or an access token the stand-in did not issue (400), the scripted 403 of every
        token, or a scripted fault of the operation."""
        operation, document, values = found
        problems = self.models.check_request(operation, document, values, query, body)
        token = handler.headers.get("x-amz-access-token", "")
        if token not in self.tokens:
            problems.append(f"{name}: the x-amz-access-token is not one the stand-in issued")
        if problems:
            for problem in problems:
                self._violation(problem)
            self._send(
                handler,
                400,
                {"errors": [{"code": "InvalidInput", "message": problems[0]}]},
                op=name,
            )
            return True
        if self.scenario.reject_tokens:
            self._send(
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
            return True
        fault = self._fault(name)
        if fault is not None:
            self._send(
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
            return True
        return False

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
