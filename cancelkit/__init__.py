"""cancelkit: validate Amazon order cancellations, check their Cancellation Rate impact,
and write Amazon's Order Cancellation flat file with a risk report.

    import cancelkit
    result = cancelkit.check("cancellations.xlsx", orders_in_window=4000, marketplace="US")
    result.write_flat_file("upload.txt")
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

from .errors import CancelkitError, ConfigError, InputError, OutputError  # noqa: E402
from .options import build_options  # noqa: E402
from .pipeline.run import run  # noqa: E402
from .version import __version__  # noqa: E402
from .write.result import Result  # noqa: E402


def check(
    path_or_paths: str | Path | Sequence[str | Path] | None = None,
    rows: Iterable | None = None,
    **options,
):
    """Validate and assess cancellations from files and/or in-memory rows.

    `path_or_paths`: a CSV/TSV/xlsx path or a list of them. `rows`: any iterable of
    mappings (csv.DictReader, DataFrame.to_dict("records")) or of sequences whose first
    item is the header row. Options: `sheet`, `marketplace`, `orders_in_window`,
    `cancels_in_window`, `fail_on`, `keep_records`, `config` (a cancelkit.toml path),
    `from_review` (a review workbook: only its approved rows are checked),
    `orders_reports` (Amazon order report paths), `ledger` (a ledger path; default
    `CANCELKIT_LEDGER` or the user data folder) and `no_ledger`. `check` only reads the
    ledger; `Result.record_in_ledger()` records a written upload file.
    Returns a `Result` with `summary`, `metrics`, `records`, `listing_risks` and writers.
    """
    if path_or_paths is None:
        paths: list[str] = []
    elif isinstance(path_or_paths, (str, Path)):
        paths = [str(path_or_paths)]
    else:
        paths = [str(p) for p in path_or_paths]
    return run(paths, rows, build_options(**options))


__all__ = [
    "CancelkitError",
    "ConfigError",
    "InputError",
    "OutputError",
    "Result",
    "__version__",
    "check",
]
