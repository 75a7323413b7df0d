"""The ledger commit of a written upload file: one batch per upload file."""

from __future__ import annotations

from itertools import islice

from ..ledger.store import Ledger


def record_in_ledger(self) -> str | None:
    """Record the written upload file and its rows as a new batch in the ledger (one
    transaction); returns the batch id, or None without a ledger or upload file.

    An upload split into parts is recorded as one batch per part (Amazon's processing
    report numbers records per uploaded file), in part order; `batch_ids` lists them
    and the first part's id is returned."""
    path, flat_file = self.options.ledger, self.outputs["flat_file"]
    if path is None or flat_file is None:
        return None
    parts = self.outputs["flat_files"] or [flat_file]
    meta = {
        "created_at": self.generated_at,
        "marketplace": self.market.code,
        "options": {
            "orders_in_window": self.metrics["orders_in_window"],
            "cancels_in_window": self.metrics["seller_cancels_in_window"],
            "fail_on": self.options.fail_on,
            "orders_reports": self.options.orders_reports,
        },
        "inputs": self.inputs,
        "flat_file": flat_file,
    }
    if self.over_target() and self.options.allow_over_target:
        # the upload file of a batch over the target was asked for (`--allow-over-target`)
        meta["options"]["allow_over_target"] = self.over_target()
    rows = self._rows.ledger_rows()
    self.batch_ids = []
    self.batch_marketplaces = []
    with Ledger.open(path) as ledger:
        if len(self._plan) > 1:
            _record_markets(self, ledger, meta)
        elif len(parts) == 1:
            self.batch_ids.append(ledger.record_batch(meta, rows))
        else:
            for number, part in enumerate(parts, start=1):
                options = {
                    **meta["options"],
                    "max_rows_per_file": self._max_rows,
                    "part": f"{number}/{len(parts)}",
                }
                part_meta = {**meta, "options": options, "flat_file": part}
                self.batch_ids.append(ledger.record_batch(part_meta, islice(rows, self._max_rows)))
    self.batch_id = self.batch_ids[0]
    return self.batch_id


def _record_markets(self, ledger: Ledger, meta: dict) -> None:
    """One batch per upload file of a batch spanning several marketplaces, each with
    its marketplace and that marketplace's window figures."""
    total = sum(len(group) for _, group in self._plan)
    number = 0
    for batch, group in self._plan:
        metrics = self.metrics_by_marketplace[batch.market.code]
        rows = self._rows.ledger_rows(batch.count.number)
        for part in group:
            number += 1
            options = {
                **meta["options"],
                "orders_in_window": metrics["orders_in_window"],
                "cancels_in_window": metrics["seller_cancels_in_window"],
                "part": f"{number}/{total}",
            }
            if self._max_rows is not None:
                options["max_rows_per_file"] = self._max_rows
            part_meta = {
                **meta,
                "marketplace": batch.market.code,
                "options": options,
                "flat_file": part,
            }
            part_rows = rows if self._max_rows is None else islice(rows, self._max_rows)
            self.batch_ids.append(ledger.record_batch(part_meta, part_rows))
            self.batch_marketplaces.append(batch.market.code)
