"""Reading the .xlsx files people upload, one sheet at a time, whatever wrote them (Excel, WPS).

`open_sheet()` picks a sheet and returns a `SheetReader` whose rows are tuples of plain values,
`None` for an empty cell, with absolute positions (row 1 is the sheet's first row, index 0 its
column A) however far from A1 the data starts.

Two engines, chosen by the size of the sheets' XML inside the file:
- calamine (Rust, python-calamine) reads a sheet about 13 times faster than openpyxl, but holds
  the whole sheet in memory (about 1.3 bytes per byte of sheet XML: 18 MB for a 20,000-row roster);
- openpyxl's read-only mode streams the XML, so memory stays flat however big the sheet, at
  openpyxl's speed.
Sheets up to IN_MEMORY_LIMIT bytes of XML go to calamine; bigger ones are streamed, so the memory
an upload can take is bounded by the limit, not by the file.

Before either engine sees a file, zhenwu.lib.uploads.check_xlsx holds it to the spreadsheet limits
(members, uncompressed size of every member, shared strings, rows and columns; FileLimitExceeded
names the limit passed). calamine fills the rectangle between the first and the last cell, so it
only gets sheets whose every cell names its position within those limits; others are streamed.
While rows are read, a text cell longer than Excel allows stops the reading.

Both engines give the same values: numbers that are whole and exact in a float (below 2**53) as
int, other numbers as float (so an 18-digit ID number typed as a number is a float either way,
and the roster says to store it as text), date cells as date/datetime, booleans as bool, text as str.
"""

import zipfile

from . import uploads
from .uploads import FileLimitExceeded, check_cell

IN_MEMORY_LIMIT = uploads.XLSX_IN_MEMORY_SHEET_BYTES  # bytes of sheet XML calamine may hold at once
_EXACT = 2**53

__all__ = ["FileLimitExceeded", "NoSheetError", "SheetReader", "SpreadsheetError", "open_sheet"]


class SpreadsheetError(Exception):
    """The file cannot be read as a workbook (damaged, encrypted, not a spreadsheet)."""


class NoSheetError(SpreadsheetError):
    """The workbook holds no worksheet."""


def _fits_in_memory(fileobj, extents, limit):
    """True when every sheet may go to calamine: small enough, and every cell at a named position
    (the positions were held to the row and column limits by check_xlsx)."""
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            sizes = [i.file_size for i in archive.infolist() if i.filename.startswith(uploads.SHEET_PREFIX)]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise SpreadsheetError("not a zip archive") from None
    finally:
        fileobj.seek(0)
    return max(sizes, default=0) <= limit and not any(e.implicit for e in extents.values())


def _pick(titles, preferred):
    if not titles:
        raise NoSheetError("no worksheet")
    if preferred:
        for title in titles:
            if title.strip() == preferred:
                return title
    return titles[0]


def _plain(value):
    if value == "":
        return None
    if type(value) is float and value.is_integer() and -_EXACT < value < _EXACT:
        return int(value)
    if type(value) is int and not -_EXACT < value < _EXACT:
        return float(value)  # calamine reads every number as a float: beyond 2**53 both engines agree
    return value


class SheetReader:
    """One sheet of an open workbook. Use as a context manager or call close()."""

    engine = ""
    title = ""
    estimated_rows = 0  # the last row the file claims to use; may be wrong, never trusted as a bound

    def iter_rows(self, *, min_row=1, max_row=None, max_col=None):
        raise NotImplementedError

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _CalamineSheet(SheetReader):
    engine = "calamine"

    def __init__(self, fileobj, preferred):
        from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

        try:
            self._workbook = CalamineWorkbook.from_filelike(fileobj)
            titles = [m.name for m in self._workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
            self.title = _pick(titles, preferred)
            self._sheet = self._workbook.get_sheet_by_name(self.title)
        except CalamineError:
            raise SpreadsheetError("damaged workbook") from None
        except (ValueError, OSError):  # a zip or XML fault surfacing as a plain error
            raise SpreadsheetError("damaged workbook") from None
        start, end = self._sheet.start, self._sheet.end
        self._col_offset = start[1] if start else 0
        self.estimated_rows = end[0] + 1 if end else 0

    def iter_rows(self, *, min_row=1, max_row=None, max_col=None):
        pad = (None,) * self._col_offset
        for number, row in enumerate(self._sheet.iter_rows(), start=1):
            if max_row is not None and number > max_row:
                return
            if number < min_row:
                continue
            values = pad + tuple(_plain(v) for v in row)
            _check_cells(values, number)
            if max_col is not None:
                values = values[:max_col]
                if len(values) < max_col:
                    values += (None,) * (max_col - len(values))
            yield values

    def close(self):
        self._workbook.close()


class _OpenpyxlSheet(SheetReader):
    engine = "openpyxl"

    def __init__(self, fileobj, preferred):
        from openpyxl import load_workbook

        try:
            self._workbook = load_workbook(fileobj, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many types on a damaged file; each means the same here
            raise SpreadsheetError("damaged workbook") from None
        sheets = {s.title: s for s in self._workbook.worksheets}
        self.title = _pick(list(sheets), preferred)
        self._sheet = sheets[self.title]
        self.estimated_rows = self._sheet.max_row or 0
        self._sheet.reset_dimensions()  # some writers store a wrong size; read every row there is

    def iter_rows(self, *, min_row=1, max_row=None, max_col=None):
        # Rows that name no position were not held to the row limit by check_xlsx: hold them here.
        last = uploads.XLSX_MAX_ROWS + 1 if max_row is None else min(max_row, uploads.XLSX_MAX_ROWS + 1)
        rows = self._sheet.iter_rows(min_row=min_row, max_row=last, max_col=max_col, values_only=True)
        iterator = iter(rows)
        number = min_row - 1
        while True:
            try:
                row = next(iterator)
            except StopIteration:
                return
            except Exception:  # XML or zip errors deep in the parser: the file is damaged
                raise SpreadsheetError("damaged sheet") from None
            number += 1
            if number > uploads.XLSX_MAX_ROWS:
                raise FileLimitExceeded(f"表格超过{uploads.XLSX_MAX_ROWS}行；请把文件拆分后分别导入")
            values = tuple(_plain(v) for v in row)
            _check_cells(values, number)
            yield values

    def close(self):
        self._workbook.close()


def _check_cells(values, number):
    for index, value in enumerate(values):
        if type(value) is str and len(value) > uploads.XLSX_MAX_CELL_CHARS:
            from openpyxl.utils import get_column_letter

            check_cell(value, row=number, column=get_column_letter(index + 1))


def open_sheet(fileobj, *, preferred_title=None, in_memory_limit=None):
    """Open the sheet titled `preferred_title` (else the first worksheet) of an .xlsx file object,
    after holding the file to the limits of zhenwu.lib.uploads.

    Raises FileLimitExceeded (a limit passed, named in Chinese) or SpreadsheetError
    (NoSheetError when there is no worksheet)."""
    limit = IN_MEMORY_LIMIT if in_memory_limit is None else in_memory_limit
    try:
        extents = uploads.check_xlsx(fileobj)
    except uploads.XlsxDamaged:
        raise SpreadsheetError("damaged archive") from None
    engine = _CalamineSheet if _fits_in_memory(fileobj, extents, limit) else _OpenpyxlSheet
    fileobj.seek(0)
    return engine(fileobj, preferred_title)
