"""Limits on an Excel workbook, checked before and while it is read.

A ``.xlsx`` file is a ZIP archive of XML parts. A small archive can unpack to gigabytes, and a sheet
can declare (or, through one far-away cell, span) billions of cells that openpyxl would fill in one
by one. So, in this order:

1. ``check_archive`` reads only the archive's directory, nothing is unpacked: the number of parts,
   each part's unpacked size, the total and the compression ratio must be within the limits below,
   and the workbook may hold no macros (``vbaProject.bin``, Excel 4 macro sheets) and no links to
   other workbooks (``xl/externalLinks/``). Python's ``zipfile`` never unpacks a part beyond the
   size the directory gives, so the checked sizes hold.
2. ``check_dimension``: the cell range a worksheet declares (``<dimension ref="A1:F200"/>``, read
   by openpyxl when it opens the workbook) must be within Excel's own bounds and ``MAX_CELLS``.
3. ``SheetBudget`` holds the reading of the rows to the same bounds, for sheets that declare no
   range or a wrong one.

Every refusal is a problem naming the file (or ``file[sheet]``) that says what to change.
"""

from __future__ import annotations

import re
import zipfile
from typing import Any

from openpyxl.utils import get_column_letter

from loaders.problems import Problem

MAX_PARTS = 10_000
"""Parts in one archive (a workbook of 1,000 sheets has about 2,000)."""
MAX_PART_BYTES = 1 << 30
"""Unpacked size of one part: 1 GiB of sheet XML is about 25 million cells."""
MAX_TOTAL_BYTES = 2 << 30
"""Unpacked size of the whole workbook."""
MAX_RATIO = 100
"""Unpacked / packed size of a part. Sheet XML packs about 10:1; a ZIP bomb packs 1,000:1 and more."""
RATIO_FREE_BYTES = 1 << 20
"""Parts that unpack to less than this are too small to matter, whatever their ratio."""
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
"""Excel's own bounds: row 1,048,576 and column XFD."""
MAX_CELLS = 20_000_000
"""Cells of one sheet, counting the empty cells before each row's last cell."""
_LIMITS = (f"a sheet is read up to row {MAX_ROWS:,} and column {get_column_letter(MAX_COLUMNS)}, and at most "
           f"{MAX_CELLS:,} cells")

_MACROS = re.compile(r"(^|/)vbaProject[^/]*\.bin$|(^|/)macrosheets/", re.IGNORECASE)
_EXTERNAL_LINKS = re.compile(r"(^|/)externalLinks/[^/]+\.xml$", re.IGNORECASE)


def _mib(size: int) -> str:
    return f"{size / (1 << 20):,.0f} MiB"


def check_archive(archive: zipfile.ZipFile, name: str) -> list[Problem]:
    """Problems with the archive's parts, found from its directory alone."""
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        return [Problem(name, 1, 1, f"the workbook has {len(parts):,} parts; at most {MAX_PARTS:,} are read: "
                                    "is it really a workbook of records?")]
    problems: list[Problem] = []
    total = 0
    for part in parts:
        total += part.file_size
        if part.file_size > MAX_PART_BYTES:
            problems.append(Problem(name, 1, 1, f"the part {part.filename} unpacks to {_mib(part.file_size)}; at "
                                                f"most {_mib(MAX_PART_BYTES)} are read: split the data over several "
                                                "sheets or files"))
        elif part.file_size > RATIO_FREE_BYTES and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            ratio = part.file_size / max(part.compress_size, 1)
            problems.append(Problem(name, 1, 1, f"the part {part.filename} unpacks {ratio:,.0f} times larger "
                                                f"({_mib(part.file_size)}); at most {MAX_RATIO} times is read, more "
                                                "is the mark of a ZIP bomb: save the workbook again from Excel"))
        if _MACROS.search(part.filename):
            problems.append(Problem(name, 1, 1, f"the workbook holds macros ({part.filename}); macros are never "
                                                "run or loaded: save it as an .xlsx workbook without macros"))
        elif _EXTERNAL_LINKS.search(part.filename):
            problems.append(Problem(name, 1, 1, f"the workbook links to another workbook ({part.filename}); links "
                                                "are never followed: paste the linked cells as values and break "
                                                "the link (Excel: Data, Edit Links)"))
    if total > MAX_TOTAL_BYTES:
        problems.append(Problem(name, 1, 1, f"the workbook unpacks to {_mib(total)}; at most "
                                            f"{_mib(MAX_TOTAL_BYTES)} are read: split it into several files"))
    return problems


def check_dimension(ws: Any, source: str) -> Problem | None:
    """A problem when the range a worksheet declares is beyond the limits (openpyxl read-only sheet)."""
    if ws.max_row is None or ws.max_column is None:
        return None
    rows = ws.max_row - ws.min_row + 1
    columns = ws.max_column - ws.min_column + 1
    if ws.max_row <= MAX_ROWS and ws.max_column <= MAX_COLUMNS and rows * columns <= MAX_CELLS:
        return None
    ref = f"{get_column_letter(ws.min_column)}{ws.min_row}:{get_column_letter(ws.max_column)}{ws.max_row}"
    return Problem(source, 1, 1, f"the sheet declares the range {ref} ({rows:,} rows × {columns:,} columns); "
                                 f"{_LIMITS}: delete the unused rows and columns below and right of the data, "
                                 "or copy the data to a new sheet, and save again")



class SheetBudget:
    """Counts the rows and cells read from one worksheet."""

    def __init__(self) -> None:
        self.cells = 0

    def take(self, row: int, width: int) -> str | None:
        """Count row number ``row`` of ``width`` cells; the reason to stop reading, if any."""
        self.cells += width
        if row > MAX_ROWS or width > MAX_COLUMNS:
            return (f"the sheet has a cell beyond row {MAX_ROWS:,} or column {get_column_letter(MAX_COLUMNS)} "
                    f"(Excel's last); {_LIMITS}")
        if self.cells > MAX_CELLS:
            return (f"the sheet holds more than {MAX_CELLS:,} cells, counting the empty cells before each row's "
                    f"last one; {_LIMITS}: delete stray cells far right of the data, or split the sheet")
        return None
