"""Progress of long admin work (catalog import, first sync, provisioning) drawn with tqdm on
stderr — only when stderr is a terminal and `--json` is off, so scripts, pipes, systemd and
the JSON output never see a bar. The work reports `(done, total)`; this module only draws."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

OnProgress = Callable[[int, "int | None"], None]


def wanted(as_json: bool) -> bool:
    return not as_json and sys.stderr.isatty()


@contextmanager
def progress_bar(desc: str, *, as_json: bool, unit: str = " items",
                 total: int | None = None) -> Iterator[OnProgress | None]:
    """Yields `on_progress(done, total)`, or None when no bar is wanted."""
    if not wanted(as_json):
        yield None
        return
    with _tqdm(desc, unit, total) as bar:

        def on_progress(done: int, new_total: int | None = None) -> None:
            if new_total is not None and new_total != bar.total:
                bar.total = new_total
            bar.update(done - bar.n)

        yield on_progress


def count_lines(path: str | Path) -> int | None:
    """Lines of a file, read in blocks (a 100k-item catalog in well under a second)."""
    try:
        with open(path, "rb") as fh:
            return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
    except OSError:
        return None  # the import itself names the file's problem


def _size() -> tuple[int, int]:
    """The terminal's columns and rows; 80×24 where it reports 0 (a pty nobody sized: tqdm
    would draw nothing in 0 rows)."""
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError):
        return 80, 24
    return size.columns or 80, size.lines or 24


def _tqdm(desc: str, unit: str, total: int | None) -> Any:
    from tqdm import tqdm

    columns, rows = _size()
    return tqdm(desc=desc, unit=unit, total=total, file=sys.stderr, ncols=columns, nrows=rows,
                leave=True, mininterval=0.2)


@contextmanager
def staged_bar(stages: dict[str, str], *, as_json: bool, unit: str,
               total: int | None) -> Iterator[Callable[[str, int], None] | None]:
    """One bar redrawn per stage of the work (`on_progress(stage, done)`), each over `total`."""
    if not wanted(as_json):
        yield None
        return
    with _tqdm("", unit, total) as bar:
        current = [""]

        def on_progress(stage: str, done: int) -> None:
            if stage != current[0]:
                if current[0]:
                    bar.update((total or bar.n) - bar.n)  # the stage before ran to its end
                    bar.reset(total)
                bar.set_description(stages.get(stage, stage), refresh=False)
                current[0] = stage
            bar.update(done - bar.n)

        yield on_progress
        if current[0] and total:
            bar.update(total - bar.n)
