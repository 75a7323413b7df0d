"""`Patches.kind_runs`: a range of rows as stretches of one `kind_of`, the same as a look-up
a row (the JSON writer finishes a run of duplicates once per stretch)."""

from __future__ import annotations

from array import array
from itertools import groupby

from hypothesis import given, settings
from hypothesis import strategies as st

from cancelkit.validate.batch import Patch, Patches

ROWS = 40


def _by_row(patches: Patches, start: int, stop: int) -> list[tuple[int, int, int | None]]:
    stretches = []
    for kind, rows in groupby(range(start, stop), patches.kind_of):
        rows = list(rows)
        stretches.append((rows[0], rows[-1] + 1, kind))
    return stretches


@settings(max_examples=200, deadline=None)
@given(
    kept=st.lists(st.sampled_from([-1, 0, 1, 5]), min_size=ROWS, max_size=ROWS),
    rejected=st.lists(st.tuples(st.integers(0, ROWS - 1), st.sampled_from(["a", "b"])), max_size=6),
    bounds=st.tuples(st.integers(0, ROWS - 1), st.integers(1, ROWS)),
)
def test_kind_runs_are_the_kinds_row_by_row(kept, rejected, bounds):
    patches = Patches(ROWS)
    duplicates = [(seq, first) for seq, first in enumerate(kept) if first >= 0 and seq != first]
    if duplicates:
        patches.duplicates_of(
            [seq for seq, _ in duplicates], [first for _, first in duplicates], str
        )
    shared = {"a": Patch("rejected", "a", "a"), "b": Patch("rejected", "b", "b")}
    for seq, which in rejected:
        patches.reject([seq], [0], shared[which])
    start, stop = min(bounds), max(bounds)
    if start == stop:
        stop += 1
    assert list(patches.kind_runs(start, stop)) == _by_row(patches, start, stop)


def test_a_run_of_duplicates_of_one_row_is_one_stretch():
    patches = Patches(1_000)
    patches.duplicates_of_one(array("q", range(1_000)), str)
    assert list(patches.kind_runs(1, 1_000)) == [(1, 1_000, patches.kind_of(1))]
    assert list(Patches(10).kind_runs(2, 7)) == [(2, 7, None)]
