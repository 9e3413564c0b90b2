"""Loading files into the store: read every file, validate every record, check them against the
store, and only then write — all or nothing."""

from __future__ import annotations

import gc
import getpass
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from graph.store import DEFAULT_BATCH_SIZE, GraphStore
from graph.write_lock import LockHolder, holding_write_lock
from loaders.plan import make_plan
from loaders.problems import LoadRejected, Problem
from loaders.progress import LoadProgress
from loaders.readers import FORMATS, expand_paths, read_file
from loaders.report import LoadReport
from loaders.validation import Collected
from loaders.writer import write_plan

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"
DATASETS: dict[str, str] = {"shanxi": "shanxi_liuxin"}
"""Datasets shipped with the project: name → folder under ``loaders/datasets``."""


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: a large load makes millions of small lists and dicts
    that are all alive, and the collector would walk them again and again for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def collect(paths: Iterable[str | Path], *, encoding: str | None = None, fmt: str | None = None,
            bar: LoadProgress | None = None) -> Collected:
    """Read and validate files (no store needed); problems are in ``.problems``."""
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    files, problems = expand_paths(paths, fmt)
    collected = Collected(problems=problems)
    if bar is not None:
        bar.start("reading and checking", len(files), unit="files")
    for path in files:
        collected.files.append(str(path))
        sheets, read_problems = read_file(path, fmt=fmt, encoding=encoding)
        collected.problems.extend(read_problems)
        records = sum(collected.add_sheet(sheet) for sheet in sheets)
        if not records and not read_problems:
            collected.problems.append(Problem(str(path), 1, 1, "the file holds no records (only a header?)"))
        if bar is not None:
            bar.advance(1)
    return collected


def default_owner(action: str = "load") -> str:
    """Who holds the write lock, as other writers are told: the command, user, host and process."""
    return f"ecomap {action} by {getpass.getuser()}@{socket.gethostname()}, pid {os.getpid()}"


def load_paths(store: GraphStore, paths: Iterable[str | Path] | str | Path, *, dry_run: bool = False,
               encoding: str | None = None, fmt: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
               progress: bool = False, owner: str | None = None, lock_wait_s: float = 0.0,
               on_lock_wait: Callable[[LockHolder], None] | None = None) -> LoadReport:
    """Load data files (or every data file in the given folders) into ``store``.

    Parameters
    ----------
    paths : files or folders (``.csv``, ``.tsv``, ``.xlsx``, ``.json``, ``.jsonl``, ``.yaml``).
    dry_run : validate and report what would change, without writing.
    encoding : the text encoding of CSV/JSON/YAML files (default: detected).
    fmt : read every file as this format (``csv``, ``tsv``, ``xlsx``, ``json``, ``jsonl``, ``yaml``).
    batch_size : records per write query.
    progress : show a progress bar with rows/s on stderr.
    owner : who is loading, as a concurrent load is told (default: user, host and process).
    lock_wait_s : one load writes to a graph at a time: how long to wait for another one to finish
        (``on_lock_wait(holder)`` is called once when waiting starts) before ``WriteLocked``.

    Returns
    -------
    LoadReport : created / updated / unchanged / deleted per node label and relationship type.

    Raises
    ------
    LoadRejected : when any record has a problem; ``.problems`` lists them all and nothing was written.
    WriteLocked : when another load still holds the graph's write lock after ``lock_wait_s``.

    Examples
    --------
    >>> report = load_paths(store, ["companies.csv", "links.xlsx"])  # doctest: +SKIP
    >>> report.nodes["Enterprise"]["created"]  # doctest: +SKIP
    """
    started = time.perf_counter()
    if isinstance(paths, str | Path):
        paths = [paths]
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    # The plan compares the files with the store, so the lock covers planning and writing.
    lock = nullcontext() if dry_run else holding_write_lock(store, owner or default_owner(), wait_s=lock_wait_s,
                                                              on_wait=on_lock_wait)
    with paused_gc():
        return _load(store, paths, lock, dry_run=dry_run, encoding=encoding, fmt=fmt, batch_size=batch_size,
                     progress=progress, started=started)


def _load(store: GraphStore, paths: Iterable[str | Path], lock, *, dry_run: bool, encoding: str | None,
          fmt: str | None, batch_size: int, progress: bool, started: float) -> LoadReport:
    with LoadProgress(progress) as bar:
        collected = collect(paths, encoding=encoding, fmt=fmt, bar=bar)
        with lock:
            if not dry_run and not collected.problems:
                store.setup_schema()  # the lookups below need the id index
            plan = make_plan(store, collected)
            if collected.problems:
                raise LoadRejected(collected.problems)
            report = write_plan(store, plan, dry_run=dry_run, files=collected.files, batch_size=batch_size,
                                bar=bar)
    report.seconds = time.perf_counter() - started
    return report


def dataset_path(name: str) -> Path:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; available: {', '.join(sorted(DATASETS))}")
    return DATASETS_DIR / DATASETS[name]


def load_dataset(store: GraphStore, name: str = "shanxi", **options: object) -> LoadReport:
    """Load a dataset shipped with the project (``shanxi``: the curated 六新 dataset); options as
    for ``load_paths``."""
    return load_paths(store, [dataset_path(name)], **options)
