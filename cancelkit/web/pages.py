"""The routes of `cancelkit serve`: server-rendered pages (templates/web/) and the few
JSON answers the page's script asks for. Each route calls cancelkit.web.work, which calls
the library; the answers never hold a secret (no credential, no seal key)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..amazon.marketplaces import BY_CODE
from ..errors import CancelkitError
from ..options import parse_figures
from ..version import __version__
from ..write.report import pct, templates_dir, thousands
from . import work
from .guard import Guard
from .state import Batch, Session
from .uploads import TooLarge, read_form, saved_files
from .views import PAGE_SIZE, filters_of, row_view, select

STATIC = Path(__file__).resolve().parent / "static"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / "web")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pct"] = pct
    env.filters["thousands"] = thousands
    return env


class Pages:
    """The app's routes over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.env = _environment()

    def render(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("notice", None)
        text = self.env.get_template(name).render(
            csrf=self.session.csrf, version=__version__, **context
        )
        return HTMLResponse(text, status)

    def batch_of(self, request: Request) -> Batch:
        batch = self.session.batches.get(request.path_params["batch"])
        if batch is None:
            raise CancelkitError("no such batch in this session", code="web_no_batch")
        return batch

    # -- pages --------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        return self.render(
            "load.html.j2",
            batches=list(self.session.batches.values()),
            markets=sorted(BY_CODE),
            max_upload_mb=self.session.max_upload_mb,
        )

    async def batch(self, request: Request) -> Response:
        batch = self.batch_of(request)
        wanted = filters_of(dict(request.query_params))
        picked = select(batch, wanted)
        page = max(1, _int(request.query_params.get("page"), 1))
        shown = picked[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return self.render(
            "batch.html.j2",
            batch=batch,
            summary=work.summary_of(batch),
            projection=work.projection(batch),
            rows=[row_view(batch, i) for i in shown],
            matching=len(picked),
            page=page,
            pages=max(1, -(-len(picked) // PAGE_SIZE)),
            wanted=wanted,
            codes=_codes(batch),
            markets=sorted({r.marketplace for r in batch.rows if r.marketplace}),
            approved=len(batch.approved),
            files=work.files_of(batch),
            left=batch.left,
            can_send=bool(batch.left and batch.left["batch_ids"]) and work.credentials_set(),
        )

    async def report(self, request: Request) -> Response:
        batch = self.batch_of(request)
        return FileResponse(batch.folder / "report.html", media_type="text/html")

    async def history(self, request: Request) -> Response:
        path, batches = work.history()
        return self.render("history.html.j2", ledger=str(path), batches=batches)

    # -- changes (JSON) ---------------------------------------------------------------------
    async def approvals(self, request: Request) -> Response:
        batch = self.batch_of(request)
        body = await _json(request)
        changes: dict[int, bool] = {}
        for token, yes in dict(body.get("changes") or {}).items():
            index = batch.by_token.get(str(token))
            if index is None:
                return _refuse("a row of this request is not in the batch: reload the page")
            refusal = _unapprovable(batch, index) if yes is True else None
            if refusal:
                return _refuse(refusal)
            changes[index] = yes is True
        return self.saved(batch, body, changes)

    async def approve_filter(self, request: Request) -> Response:
        batch = self.batch_of(request)
        body = await _json(request)
        yes = body.get("approve") is True
        wanted = filters_of({str(k): str(v) for k, v in dict(body.get("filter") or {}).items()})
        changes = {i: yes for i in select(batch, wanted) if not yes or not _unapprovable(batch, i)}
        return self.saved(batch, body, changes)

    def saved(self, batch: Batch, body: dict, changes: dict[int, bool]) -> Response:
        base = _int(body.get("version"), -1)
        saved = batch.save(base, changes)
        notice = None
        if saved.replaced:
            replaced = f" ({saved.overridden} row(s) decided there were replaced)"
            notice = (
                "Another tab saved approvals of this batch after this page loaded. The last "
                "saved state wins: this tab's approvals are now the saved ones"
                + (replaced if saved.overridden else "")
                + "."
            )
        visible = [str(t) for t in body.get("visible") or []][: PAGE_SIZE * 2]
        approved = batch.approved
        return JSONResponse(
            {
                "version": saved.version,
                "replaced": saved.replaced,
                "notice": notice,
                "approved": len(approved),
                "states": {
                    t: batch.by_token[t] in approved for t in visible if t in batch.by_token
                },
                "projection": [_projected(m) for m in work.projection(batch)],
            }
        )

    async def load(self, request: Request) -> Response:
        session = self.session
        batch_id, folder = session.new_folder("batch")
        try:
            form = await read_form(request, session.max_upload_mb)
            upload = await saved_files(form, folder)
            upload.options = _load_options(form)
        except TooLarge as exc:
            return JSONResponse({"error": str(exc)}, 413)
        except CancelkitError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        job = session.start_job(
            "load", lambda job: work.load_batch(session, batch_id, folder, upload, job)
        )
        job.then = f"/b/{batch_id}"
        return JSONResponse({"job": job.id})

    async def leave(self, request: Request) -> Response:
        batch = self.batch_of(request)
        body = await _json(request)
        ledger_on = body.get("ledger") is not False
        over = body.get("allow_over_target") is True
        job = self.session.start_job("leave", lambda job: work.leave(batch, ledger_on, over, job))
        job.then = f"/b/{batch.id}#leave"
        return JSONResponse({"job": job.id})

    async def send(self, request: Request) -> Response:
        batch = self.batch_of(request)
        if not (batch.left and batch.left["batch_ids"]):
            return _refuse("record the batch in the ledger first (prepare the upload file)")
        if not work.credentials_set():
            return _refuse("no SP-API credentials are set: download the upload file instead")
        ids = list(batch.left["batch_ids"])
        job = self.session.start_job("send", lambda job: work.send(ids, job))
        return JSONResponse({"job": job.id})

    async def reconcile(self, request: Request) -> Response:
        _, folder = self.session.new_folder("reconcile")
        try:
            form = await read_form(request, self.session.max_upload_mb)
            upload = await saved_files(form, folder)
            if len(upload.inputs) != 1:
                return _refuse("drop one processing report")
            found = work.reconcile_dropped(upload.inputs[0], folder)
        except TooLarge as exc:
            return JSONResponse({"error": str(exc)}, 413)
        except CancelkitError as exc:
            return _refuse(str(exc))
        retry = found.pop("retry")
        if retry is not None:
            key = secrets.token_urlsafe(9)
            self.session.retries[key] = retry
            found["retry_url"] = f"/retry/{key}"
        return JSONResponse(found)

    async def job(self, request: Request) -> Response:
        job = self.session.jobs.get(request.path_params["job"])
        if job is None:
            return JSONResponse({"error": "no such job"}, 404)
        return JSONResponse(job.view())

    # -- downloads --------------------------------------------------------------------------
    async def download(self, request: Request) -> Response:
        batch = self.batch_of(request)
        name = request.path_params["name"]
        for _, file_name, path in work.files_of(batch):
            if file_name == name:
                return FileResponse(path, filename=file_name, media_type=_media(file_name))
        return Response("no such file", 404, media_type="text/plain")

    async def retry(self, request: Request) -> Response:
        path = self.session.retries.get(request.path_params["key"])
        if path is None or not path.is_file():
            return Response("no such file", 404, media_type="text/plain")
        return FileResponse(path, filename=path.name, media_type="text/csv")


def _projected(metrics: dict) -> dict:
    return {
        "marketplace": metrics["marketplace"],
        "rate_after": metrics["rate_after"],
        "rate_after_text": pct(metrics["rate_after"]),
        "over": bool(metrics.get("over_threshold")),
        "counting_orders": metrics["counting_orders"],
        "headroom": thousands(metrics.get("headroom_orders")),
    }


def _unapprovable(batch: Batch, index: int) -> str | None:
    row = batch.rows[index]
    if not row.approvable:
        return f"row {row.row} of {Path(row.source).name} is {row.status}: it cannot be approved"
    if row.sheet_row in batch.refused:
        why = batch.refused[row.sheet_row]
        return f"sheet row {row.sheet_row} cannot be approved: refused by the seal ({why})"
    return None


def _codes(batch: Batch) -> list[str]:
    found: set[str] = set()
    for detail in batch.details.values():
        found.update(f["code"] for f in detail["flags"])
        found.update(e["code"] for e in detail["errors"])
    return sorted(found)


def _load_options(form: Any) -> dict[str, Any]:
    options: dict[str, Any] = {}
    market = str(form.get("marketplace") or "").strip()
    if market:
        options["marketplace"] = market
    for field, name, flag in (
        ("orders_7d", "orders_in_window", "orders in the window"),
        ("cancels_7d", "cancels_in_window", "cancellations in the window"),
    ):
        text = str(form.get(field) or "").strip()
        if text:
            options[name] = parse_figures(text, flag)
    return options


def _media(name: str) -> str:
    if name.endswith(".html"):
        return "text/html"
    if name.endswith(".csv"):
        return "text/csv"
    return "text/plain"


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


async def _json(request: Request) -> dict:
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {}


def _refuse(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, 400)


def app(session: Session, host: str, port: int) -> Guard:
    """The ASGI app of one session, behind its door."""
    pages = Pages(session)
    routes = [
        Route("/", pages.home),
        Route("/load", pages.load, methods=["POST"]),
        Route("/jobs/{job}", pages.job),
        Route("/history", pages.history),
        Route("/reconcile", pages.reconcile, methods=["POST"]),
        Route("/retry/{key}", pages.retry),
        Route("/b/{batch}", pages.batch),
        Route("/b/{batch}/report", pages.report),
        Route("/b/{batch}/approvals", pages.approvals, methods=["POST"]),
        Route("/b/{batch}/approve-filter", pages.approve_filter, methods=["POST"]),
        Route("/b/{batch}/leave", pages.leave, methods=["POST"]),
        Route("/b/{batch}/send", pages.send, methods=["POST"]),
        Route("/b/{batch}/files/{name}", pages.download),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    handlers = {CancelkitError: _cancelkit_error}
    return Guard(Starlette(routes=routes, exception_handlers=handlers), session, host, port)


async def _cancelkit_error(request: Request, exc: Exception) -> Response:
    code = getattr(exc, "code", None)
    status = {"web_no_batch": 404, "web_stale_page": 409}.get(str(code), 400)
    return JSONResponse({"error": str(exc)}, status)
