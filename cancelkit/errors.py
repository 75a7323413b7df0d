"""Exceptions for unusable input or environment; row problems are values, never exceptions.

One family, httpx style: every exception cancelkit raises on purpose is a `CancelkitError`,
each class has a default `code` and each raise may name a more precise one with `code=`.
`FAILURES` is the catalogue of those codes (the row codes are `codes.CODES`); a test checks
that every code the package raises is in one of them and in the README.
"""

from __future__ import annotations


class CancelkitError(Exception):
    """Base of every error cancelkit raises on purpose; the CLI prints it on one line, exit 2.

    `code` is stable (scripts match on it, never on the message); a subclass gives its
    default and each raise may name a more precise one with `code=`.
    """

    code = "error"

    def __init__(self, *args: object, code: str | None = None) -> None:
        super().__init__(*args)
        if code is not None:
            self.code = code


class InputError(CancelkitError):
    """An input file cannot be used at all (unreadable, unknown format, missing columns)."""

    code = "input_unusable"


class OutputError(CancelkitError):
    """An output cannot be written (exists without --force, no permission)."""

    code = "output_error"


class ConfigError(CancelkitError):
    """The configuration file or an option value is invalid."""

    code = "config_error"


#: every code an exception of cancelkit carries, with its meaning (README lists them too)
FAILURES: dict[str, str] = {
    # the family's defaults
    "error": "an error of cancelkit without a more precise code",
    "input_unusable": "any other unusable input",
    "output_error": "any other output that cannot be written",
    "config_error": "a config key or an API option of the wrong type or range",
    # inputs
    "file_not_found": "no such file",
    "is_folder": "a folder given as an input file",
    "unreadable": "no permission to read the file",
    "file_empty": "empty, or only blank lines (no header row)",
    "file_binary": "not text (NUL bytes, control characters)",
    "pdf": "a PDF",
    "unsupported_type": "a suffix cancelkit does not read",
    "zip_not_text": "a workbook named .csv",
    "not_xlsx": "a text file named .xlsx",
    "ole_workbook": "an old .xls or a password-protected workbook",
    "workbook_unreadable": "a damaged or truncated xlsx",
    "no_such_sheet": "--sheet names no sheet of the workbook",
    "sheet_empty": "the first sheet is empty",
    "xlsx_too_large": "the xlsx unpacks to more than its bound",
    "zip_bomb": "a part of the xlsx unpacks to over 200 times its packed size",
    "xml_entities": "an XML part declares a DOCTYPE or entities",
    "too_many_rows": "more data rows than MAX_ROWS",
    "too_many_columns": "more columns than MAX_COLUMNS",
    "too_many_cells": "a used range over MAX_CELLS cells",
    "no_order_id_column": "no order-id column in the header",
    "duplicate_column": "two columns for one field",
    "mixed_encoding": "bytes of another encoding further down the file",
    "csv_parse": "a CSV row that cannot be parsed",
    "no_data_rows": "a header row but no data rows below it",
    "no_input": "no input named",
    "input_twice": "the same input named twice",
    "not_a_file": "a FIFO or a device given as an input",
    "rows_type": "rows= that is not an iterable of mappings or sequences",
    "rows_failed": "the rows iterable raised part way",
    "path_type": "a path that is bytes, a number, None or holds a NUL character",
    "report_not_tab_separated": "an order report saved with another separator than tabs",
    "record_number": "a processing report's original-record-number that is not ASCII digits",
    "flat_file_encoding": "a flat file byte that is no UTF-8, UTF-16 or ASCII text",
    "non_ascii": "a non-ASCII character in a flat file",
    # review workbooks
    "review_as_input": "a review workbook given as a plain input",
    "review_with_inputs": "--from-review together with plain inputs",
    "review_nothing_approved": "no row of the review can be uploaded",
    "review_header": "the Review header was changed",
    "review_format": "the review's hidden sheet was changed, or another version wrote it",
    "review_key_missing": "the review key is not on this machine",
    "review_key": "the review key cannot be read or is not a key",
    "not_a_review": "a workbook that is not a cancelkit review",
    # options and figures
    "impossible_figures": "more seller cancellations in the window than orders",
    "figures_ambiguous": "a plain figure beside figures per marketplace",
    # outputs
    "output_is_input": "an output path that is an input or a file the run reads",
    "output_twice": "one path named for two outputs",
    "output_exists": "an existing file without --force",
    "output_is_folder": "a folder named as an output file",
    "output_folder": "an output folder that is a file or cannot be created",
    "output_not_writable": "no write permission for an output",
    "output_path_too_long": "an output path the file system cannot hold",
    "report_format": "a report path of a format cancelkit does not write (not HTML or Markdown)",
    "write_failed": "the disk filled up or another OS error while writing",
    "over_target": "an upload file asked of a batch that puts the rate over the target",
    # the ledger
    "ledger_unusable": "the ledger cannot be opened or used",
    "ledger_read_only": "the ledger (or its folder) cannot be written",
    "ledger_missing": "no ledger yet where a command needs one",
    "ledger_is_folder": "--ledger names a folder",
    "ledger_unopenable": "the ledger (or its folder) cannot be created or opened",
    "ledger_busy": "another run held the ledger's write lock for the whole busy timeout",
    "not_a_ledger": "a file that is no cancelkit ledger",
    "ledger_damaged": "a ledger whose schema version or batch facts are unreadable",
    "ledger_too_new": "a ledger written by a newer cancelkit",
    "ledger_empty": "the ledger has no batches yet",
    "batch_not_found": "--batch names no batch",
    "batch_ambiguous": "--batch is a prefix of several batches",
    "batch_choice_needed": "several batches await confirmation and none was named",
    "record_not_in_batch": "Python API: a record number outside the batch",
    # the page (`cancelkit serve`)
    "web_listen": "serve cannot listen on the --host and --port given",
    "web_upload": "the page's upload could not be read (a malformed form)",
    "web_upload_interrupted": "the browser stopped sending an upload part way",
    "web_no_input": "a load on the page with no batch file and no review workbook",
    "web_input_and_review": "batch files and a review workbook loaded together",
    "web_two_reviews": "two review workbooks loaded at once",
    "web_no_batch": "a page address naming no batch of this session",
    "web_stale_page": "a tab too far behind the approvals another tab saved",
    # submit and reconcile
    "submit_refused": "a batch that cannot be sent or resumed as it stands",
    "submission_not_found": "Python API: a submission number the ledger does not hold",
    "already_submitted": "the batch was sent and reconciled before",
    "batch_superseded": "rows of the batch are superseded by a later batch",
    "batch_without_marketplace": "the batch names no marketplace",
    "batch_without_upload_file": "the batch has no recorded upload file",
    "upload_file_missing": "the batch's upload file is gone or unreadable",
    "upload_file_changed": "the upload file's sha256 is not the one generate recorded",
    "submit_in_progress": "another submit is sending this batch right now",
    "ledger_submission_inconsistent": "the ledger's open submission was edited on disk",
    "submission_endpoint_changed": "the open feed was created at another endpoint",
    "feed_still_processing": "Amazon had not finished the feed when the wait ended",
    "feed_cancelled": "Amazon cancelled the feed before processing it",
    "feed_outcome_unknown": "a FATAL feed without a report",
    "feed_without_result": "a DONE feed without a result document",
    # the SP-API
    "spapi_error": "any other SP-API failure",
    "spapi_sandbox": "the settings point at Amazon's sandbox",
    "spapi_not_installed": "httpx is missing",
    "spapi_credentials_missing": "a credential is not set",
    "spapi_endpoint_invalid": "an endpoint setting that cannot be called",
    "lwa_refused": "Login with Amazon refused the credentials",
    "spapi_forbidden": "HTTP 403 after a renewed token",
    "spapi_refused": "Amazon refused a call (HTTP 4xx)",
    "spapi_unavailable": "429 or 5xx through every retry",
    "create_feed_unclear": "createFeed got no clear answer and getFeeds did not find the feed",
    "create_feed_refused": "Amazon refused createFeed (4xx)",
    "feed_lookup_ambiguous": "a listed feed cannot be tied to this batch alone",
    "spapi_redirect": "a server answered with a redirect",
    "spapi_document_url": "a presigned document URL that is not https",
    "spapi_answer_mismatch": "an answer about another feed, document or marketplace",
    "spapi_answer_too_large": "an answer larger than the bound",
    "spapi_answer_invalid": "an answer packed in a way cancelkit does not read",
    "spapi_paging_loop": "a next-page token that repeats",
    "spapi_too_many_pages": "a listing longer than MAX_PAGES pages",
    "spapi_deadline": "the wait ran out in the middle of a call",
    "presigned_url_expired": "the presigned URL was refused three times",
    "result_document_too_large": "the result document unpacks past its bound",
    "result_document_invalid": "the result document is not the GZIP Amazon said",
}


# -- the SP-API (cancelkit/spapi/) ------------------------------------------------------


class SpapiError(CancelkitError):
    """A Selling Partner API call failed in a way the caller cannot fix by waiting."""

    code = "spapi_error"


class SpapiUnavailable(SpapiError):
    """Amazon throttled (429) or failed (5xx, no answer) every retry of a call."""

    code = "spapi_unavailable"


class CreateFeedUnclear(SpapiUnavailable):
    """createFeed got a 5xx or no answer: Amazon may or may not have created the feed."""

    code = "create_feed_unclear"


class SpapiRefused(SpapiError):
    """Amazon answered a definite refusal (4xx other than 429): nothing was done."""

    code = "spapi_refused"

    def __init__(self, message: str, status: int = 400, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.status = status


class SpapiForbidden(SpapiRefused):
    """Amazon refused the access token or the app's rights (HTTP 403)."""

    code = "spapi_forbidden"


class UploadExpired(SpapiError):
    """The presigned upload or download URL was refused (expired after 5 minutes)."""

    code = "presigned_url_expired"


class DeadlineReached(SpapiError):
    """The wait ran out in the middle of a call (or of a pause before one)."""

    code = "spapi_deadline"


class AnswerMismatch(SpapiError):
    """Amazon's answer is about something else than what was asked: nothing more is sent."""

    code = "spapi_answer_mismatch"


# -- the ledger and its submissions --------------------------------------------------


class LedgerError(CancelkitError):
    """The ledger cannot be opened or used (not a ledger, newer schema, busy, no batch);
    each raise names its precise code (`ledger_busy`, `batch_not_found`, ...)."""

    code = "ledger_unusable"

    code = "ledger_unusable"


class StillProcessing(CancelkitError):
    """Amazon had not finished the feed when the wait ran out; a rerun resumes it."""

    code = "feed_still_processing"

    def __init__(self, message: str, batch_id: str, feed_id: str, status: str) -> None:
        super().__init__(message)
        self.batch_id, self.feed_id, self.status = batch_id, feed_id, status


class SubmitInProgress(CancelkitError):
    """Another process is sending (or waiting for) the same batch right now."""

    code = "submit_in_progress"


class SubmitError(CancelkitError):
    """A batch cannot be sent or resumed as it stands (already sent, superseded, its upload
    file changed, the ledger's open submission inconsistent); each raise names its code."""

    code = "submit_refused"
