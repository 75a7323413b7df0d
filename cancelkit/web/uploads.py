"""Files given to the page: the request's size and file count are bounded before and
while it is read (`max_upload_mb`), and each file is saved under its own name (never a
path) in the batch's private folder, where the command line's readers read it with all
their defences."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import ClientDisconnect, Request

from ..errors import InputError
from .work import Upload

#: files one request may carry (inputs and order reports together)
MAX_FILES = 50
_CHUNK = 1 << 20
#: the form's file fields: batch files, order reports, an approved review workbook
FIELDS = ("inputs", "orders_reports", "review")


class TooLarge(Exception):
    """The request is over the upload limit: said with the limit and how to raise it."""


def _limit_text(limit_mb: float) -> str:
    return (
        f"the upload is larger than the limit of {limit_mb:g} MB; split the batch, or start "
        f"the server with a higher limit (cancelkit serve --max-upload-mb N)"
    )


async def read_form(request: Request, limit_mb: float) -> FormData:
    """The request's form, refused (TooLarge) when its body is over `limit_mb` (counted as
    it arrives, whatever Content-Length says) or it carries more than MAX_FILES files."""
    limit = int(limit_mb * 1024 * 1024)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(_limit_text(limit_mb))
    received = 0
    inner = request.receive

    async def counted() -> Any:
        nonlocal received
        message = await inner()
        received += len(message.get("body", b""))
        if received > limit:
            raise TooLarge(_limit_text(limit_mb))
        return message

    bounded = Request(request.scope, counted)
    try:
        return await bounded.form(max_files=MAX_FILES, max_fields=20)
    except ClientDisconnect:
        raise InputError("the upload was interrupted", code="web_upload_interrupted") from None
    except TooLarge:
        raise
    except Exception as exc:  # the multipart parser's refusal (too many files, bad body)
        if "Too many files" in str(exc):
            raise TooLarge(f"more than {MAX_FILES} files in one upload") from None
        raise InputError(f"the upload could not be read: {exc}", code="web_upload") from None


def safe_name(name: str, number: int) -> str:
    """A file name of the browser's, kept as a plain name (no folder, no control
    character); the suffix tells the readers the format."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip().lstrip(".")
    return base[:120] or f"file-{number}"


async def _save(file: UploadFile, folder: Path, number: int) -> Path:
    place = folder / f"{number}"
    place.mkdir(mode=0o700)
    target = place / safe_name(file.filename or "", number)
    with target.open("wb") as out:
        while chunk := await file.read(_CHUNK):
            out.write(chunk)
    await file.close()
    return target


async def saved_files(form: FormData, folder: Path) -> Upload:
    """Save the form's files in `folder`: batch files, order reports, a review workbook.
    Every file of the form is closed afterwards, the skipped ones (an empty file field) and
    those left when a refusal stops the saving included."""
    try:
        return await _saved_files(form, folder)
    finally:
        await form.close()


async def _saved_files(form: FormData, folder: Path) -> Upload:
    upload = Upload()
    number = 0
    for field in FIELDS:
        for item in form.getlist(field):
            if not isinstance(item, UploadFile) or not item.filename:
                continue
            number += 1
            path = await _save(item, folder, number)
            if field == "inputs":
                upload.inputs.append(path)
            elif field == "orders_reports":
                upload.orders_reports.append(path)
            elif upload.review is None:
                upload.review = path
            else:
                raise InputError("give one review workbook at a time", code="web_two_reviews")
    if not upload.inputs and upload.review is None:
        raise InputError(
            "no batch file given: pick or drop the CSV, TSV or xlsx files of the batch (or a "
            "review workbook approved in Excel)",
            code="web_no_input",
        )
    if upload.inputs and upload.review is not None:
        raise InputError(
            "give either batch files or an approved review workbook, not both",
            code="web_input_and_review",
        )
    return upload
