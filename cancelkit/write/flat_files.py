"""The upload file: Amazon's flat file of the accepted rows, whole, in numbered parts or
one per marketplace."""

from __future__ import annotations

import hashlib
import io
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from ..amazon import flatfile
from ..errors import OutputError
from . import split
from .files import atomic_write, refuse_existing
from .plan import usable_path
from .result_data import RunResult
from .verdict import over_target_reason


def _numbered(path: Path, rows: int, max_rows: int | None) -> list[Path]:
    """`path`, or with `max_rows` the numbered parts `NAME-1.txt`, ... holding `rows` rows
    (at least one part)."""
    if max_rows is None:
        return [path]
    count = max(1, -(-rows // max_rows))
    return [path.with_name(f"{path.stem}-{n}{path.suffix}") for n in range(1, count + 1)]


def _write_body(
    body_path: Path, targets: list[Path], max_rows: int | None, force: bool
) -> dict[str, str]:
    """Write a spooled flat-file body (template and header rows first) to its upload file,
    or with `max_rows` split in order into the `targets`, each a complete flat file.
    Returns the SHA-256 of a file written in one piece, by its path."""
    if max_rows is None:
        digest = hashlib.sha256()

        def copy(out: BinaryIO) -> None:
            for chunk in iter(lambda: body.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)

        with open(body_path, "rb") as body:
            atomic_write(targets[0], copy, force=force, mode="wb")
        return {str(targets[0]): digest.hexdigest()}
    if not force:
        for target in targets:
            refuse_existing(target)
    with open(body_path, encoding="ascii", newline="") as lines:
        header = flatfile.line_format().skip_header(lines)  # the body's own header rows

        def write_part(out: io.TextIOBase) -> None:
            out.write(header)
            out.writelines(islice(lines, max_rows))

        for target in targets:
            atomic_write(target, write_part, force=force, encoding="ascii")
    return {}


def flat_file_parts(result: RunResult, path: str | Path, max_rows: int | None = None) -> list[Path]:
    """The upload file name(s): `path` itself, or with `max_rows` the numbered parts
    `NAME-1.txt`, `NAME-2.txt`, ... (at least one, even for no accepted rows). A batch
    spanning several marketplaces has one file per marketplace, `NAME-DE.txt`, ... (with
    `max_rows`: `NAME-DE-1.txt`, ...)."""
    return [target for _, targets in _file_plan(result, path, max_rows) for target in targets]


def _file_plan(result: RunResult, path: str | Path, max_rows: int | None) -> list[tuple]:
    """(marketplace or None, its upload file names) for each upload body."""
    if max_rows is not None and max_rows < 1:
        raise ValueError(f"max_rows must be at least 1 (got {max_rows})")
    if len(result.markets) > 1:
        return [
            (b, _numbered(split.market_path(path, b.market.code), b.count.accepted, max_rows))
            for b in result.markets
        ]
    return [(None, _numbered(Path(path), result.accepted, max_rows))]


def write_flat_file(
    result: RunResult,
    path: str | Path,
    force: bool = False,
    max_rows: int | None = None,
    allow_over_target: bool = False,
) -> Path:
    """Write Amazon's Order Cancellation flat file of the accepted rows; returns its path.

    With `max_rows`, the rows are split in input order into numbered files of at most
    that many rows (see `flat_file_parts`), each with the template and header rows and
    each written atomically; the first part's path is returned and `outputs["flat_files"]`
    lists them all. Without `force` no part is written when any of them exists. A batch
    spanning several marketplaces is written as one file per marketplace (`NAME-DE.txt`,
    ..., each split by `max_rows` on its own), the first returned.

    A batch that puts a marketplace's rate over its target is refused with
    `OutputError` (code `over_target`) unless `allow_over_target` (here, or in `check`).
    """
    if result.over_target_blocked() and not allow_over_target:
        raise OutputError(
            f"{path}: {over_target_reason(result)} (Python: allow_over_target=True)",
            code="over_target",
        )
    plan = _file_plan(result, usable_path(path, "upload file"), max_rows)
    targets = [target for _, group in plan for target in group]
    for target in targets:
        result._never_an_input("upload file", target)
    if len(plan) > 1:
        if not force:
            for target in targets:
                refuse_existing(target)
        bodies = split.split_body(
            Path(result._workdir) / "flat.txt",
            result.batch_rows.kept_markets(),
            {b.count.number: b.market.code for b, _ in plan},
        )
        for batch, group in plan:
            result.flat_file_sha256.update(
                _write_body(bodies[batch.count.number], group, max_rows, force)
            )
    else:
        result.flat_file_sha256.update(
            _write_body(Path(result._workdir) / "flat.txt", targets, max_rows, force)
        )
    result.upload_bodies = plan
    result.max_rows_per_file = max_rows
    result.outputs["flat_file"] = str(targets[0])
    result.outputs["flat_files"] = [str(target) for target in targets]
    return targets[0]
