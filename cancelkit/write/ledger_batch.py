"""The ledger commit of a written upload file: one batch per upload file, each described
by a `BatchMeta` (what `Ledger.record_batch` stores of it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from ..ledger.store import Ledger
from .result_data import RunResult


@dataclass(frozen=True)
class BatchMeta:
    """One ledger batch's facts: when, which marketplace, the run's options, the inputs
    and the upload file; `part` ("2/3") and `max_rows_per_file` for a split upload."""

    created_at: dt.datetime
    marketplace: str
    inputs: list[dict[str, Any]]
    flat_file: str
    orders_in_window: int | None
    cancels_in_window: int | None
    fail_on: str
    orders_reports: list[str]
    #: the marketplaces over the target whose upload file `--allow-over-target` wrote
    allow_over_target: list[str] | None = None
    max_rows_per_file: int | None = None
    part: str | None = None

    def to_json(self, sha256: dict[str, str] | None = None) -> dict[str, Any]:
        """The `meta` of `Ledger.record_batch`; `sha256`: the upload files' SHA-256 known
        from their writing, by path (else the ledger reads the file)."""
        options: dict[str, Any] = {
            "orders_in_window": self.orders_in_window,
            "cancels_in_window": self.cancels_in_window,
            "fail_on": self.fail_on,
            "orders_reports": self.orders_reports,
        }
        for key in ("allow_over_target", "max_rows_per_file", "part"):
            if getattr(self, key) is not None:
                options[key] = getattr(self, key)
        meta = {
            "created_at": self.created_at,
            "marketplace": self.marketplace,
            "options": options,
            "inputs": self.inputs,
            "flat_file": self.flat_file,
        }
        if sha256 and self.flat_file in sha256:
            meta["flat_file_sha256"] = sha256[self.flat_file]
        return meta


def batch_meta(result: RunResult, flat_file: str) -> BatchMeta:
    """The meta of the run's (first) upload file, with the run's window figures."""
    over = result.over_target() if result.options.allow_over_target else []
    return BatchMeta(
        created_at=result.generated_at,
        marketplace=result.market.code,
        inputs=result.inputs,
        flat_file=flat_file,
        orders_in_window=result.metrics["orders_in_window"],
        cancels_in_window=result.metrics["seller_cancels_in_window"],
        fail_on=result.options.fail_on,
        orders_reports=result.options.orders_reports,
        # the upload file of a batch over the target was asked for (`--allow-over-target`)
        allow_over_target=over or None,
    )


def record_in_ledger(result: RunResult) -> str | None:
    """Record the written upload file and its rows as a new batch in the ledger (one
    transaction); returns the batch id, or None without a ledger or upload file.

    An upload split into parts is recorded as one batch per part (Amazon's processing
    report numbers records per uploaded file), in part order, all in one transaction;
    `batch_ids` lists them and the first part's id is returned."""
    path, flat_file = result.options.ledger, result.outputs["flat_file"]
    if path is None or flat_file is None:
        return None
    parts = result.outputs["flat_files"] or [flat_file]
    meta = batch_meta(result, flat_file)
    result.batch_ids = []
    result.batch_marketplaces = []
    try:
        with Ledger.open(path) as ledger, ledger.transaction():  # every part, or none
            if len(result.upload_bodies) > 1:
                _record_markets(result, ledger, meta)
            else:
                _record_parts(result, ledger, meta, parts)
    except BaseException:
        result.batch_ids, result.batch_marketplaces = [], []  # none of them was recorded
        raise
    result.batch_id = result.batch_ids[0]
    return result.batch_id


def _record_parts(result: RunResult, ledger: Ledger, meta: BatchMeta, parts: list[str]) -> None:
    """One batch for the upload file, or one per numbered part."""
    rows = result.batch_rows.ledger_packed()
    if len(parts) == 1:
        result.batch_ids.append(ledger.record_batch(meta.to_json(result.flat_file_sha256), rows))
        return
    for number, part in enumerate(parts, start=1):
        part_meta = replace(
            meta,
            flat_file=part,
            max_rows_per_file=result.max_rows_per_file,
            part=f"{number}/{len(parts)}",
        )
        part_rows = rows.take(result.max_rows_per_file)
        result.batch_ids.append(
            ledger.record_batch(part_meta.to_json(result.flat_file_sha256), part_rows)
        )


def _record_markets(result: RunResult, ledger: Ledger, meta: BatchMeta) -> None:
    """One batch per upload file of a batch spanning several marketplaces, each with
    its marketplace and that marketplace's window figures."""
    total = sum(len(group) for _, group in result.upload_bodies)
    by_market = result.metrics_by_marketplace or {}
    number = 0
    for batch, group in result.upload_bodies:
        metrics = by_market[batch.market.code]
        rows = result.batch_rows.ledger_packed(batch.count.number)
        for part in group:
            number += 1
            part_meta = replace(
                meta,
                marketplace=batch.market.code,
                flat_file=part,
                orders_in_window=metrics["orders_in_window"],
                cancels_in_window=metrics["seller_cancels_in_window"],
                part=f"{number}/{total}",
                max_rows_per_file=result.max_rows_per_file,
            )
            most = result.max_rows_per_file
            part_rows = rows.take(most)
            result.batch_ids.append(
                ledger.record_batch(part_meta.to_json(result.flat_file_sha256), part_rows)
            )
            result.batch_marketplaces.append(batch.market.code)
