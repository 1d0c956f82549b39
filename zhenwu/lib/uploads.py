"""The limits on every file that comes in, and the checks that hold them (one module owns them).

Files are parsed in two places: spreadsheets (zhenwu.lib.excel, for the roster imports) and
photos (zhenwu.lib.photos); every other upload (project documents, study materials, contest
entries) is stored as it came and only its size matters. A small file can still claim a huge
content (a zip bomb, a 20000×20000 canvas in 50 KB), so each parser checks what the file *claims*
before reading it and what it *gives* while reading it, and stops at the first limit passed with
a Chinese message that names the limit. The answer comes in seconds with flat memory.

Spreadsheets (.xlsx, a zip of XML):
- the file itself: at most `max_upload_bytes()` (ZHENWU_MAX_UPLOAD_BYTES, 20 MB);
- members: at most XLSX_MAX_MEMBERS, and together at most XLSX_MAX_UNCOMPRESSED bytes of XML,
  counted over *every* member (shared strings, styles, drawings: not only the sheets);
- shared strings (sharedStrings.xml, which both engines hold whole in memory): at most
  XLSX_MAX_SHARED_STRINGS bytes;
- positions: no row past XLSX_MAX_ROWS, no column past XLSX_MAX_COLUMNS (a reader that fills a
  rectangle would otherwise turn two far-apart cells into millions);
- a cell: at most XLSX_MAX_CELL_CHARS characters (Excel's own limit).
The claimed sizes come from the zip's directory; `check_xlsx` then inflates every member once,
in 1 MB pieces, so a member that claims less than it holds is caught (the zip module stops at the
claimed size and the checksum fails) before any parser sees it.

Photos: at most `max_photo_bytes()` per file and MAX_IMAGE_PIXELS pixels (read from the header,
before anything is decoded).

Request bodies: Django's DATA_UPLOAD_MAX_MEMORY_SIZE bounds the fields of a form; the files of a
multipart body are bounded by MAX_REQUEST_BYTES (zhenwu.core... see zhenwu.lib.http_errors), so a
20 MB body to a form that takes photos gets the Chinese 413 page, never a parse.
"""

import re
import zipfile

from django.conf import settings

MB = 1024 * 1024

# --- every upload ------------------------------------------------------------------------------


def max_upload_bytes():
    """Rosters, documents, study materials, contest entries."""
    return settings.ZHENWU_MAX_UPLOAD_BYTES


def max_photo_bytes():
    return getattr(settings, "ZHENWU_MAX_PHOTO_BYTES", 10 * MB)


def max_request_bytes():
    """A whole request body: the largest file plus room for the form around it (the resident's
    form takes up to nine photos, sent one request at a time by the browser)."""
    return getattr(settings, "ZHENWU_MAX_REQUEST_BYTES", max(max_upload_bytes(), 9 * max_photo_bytes()) + MB)


def megabytes(value):
    return f"{value / MB:.0f}MB" if value >= MB else f"{value // 1024}KB"


class FileLimitExceeded(Exception):
    """A file passed one of the limits; `message` (Chinese) names the limit."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def check_size(upload, *, limit, label="文件"):
    size = getattr(upload, "size", 0) or 0
    if size > limit:
        raise FileLimitExceeded(f"{label}过大（{size / MB:.1f}MB），最大允许{megabytes(limit)}")


# --- images --------------------------------------------------------------------------------

MAX_IMAGE_PIXELS = 50_000_000  # a 50-megapixel photo is more than any phone takes


def image_pixels_message(name):
    return f"“{name}”图片像素过大（最大{MAX_IMAGE_PIXELS // 10_000}万像素），请缩小或截图后再上传"


def check_image_size(width, height, *, name):
    if width * height > MAX_IMAGE_PIXELS:
        raise FileLimitExceeded(
            f"“{name}”图片像素过大（{width}×{height}，最大{MAX_IMAGE_PIXELS // 10_000}万像素），请缩小或截图后再上传"
        )


# --- spreadsheets ------------------------------------------------------------------------------

XLSX_MAX_MEMBERS = 1000
XLSX_MAX_UNCOMPRESSED = 256 * MB
XLSX_MAX_SHARED_STRINGS = 48 * MB
XLSX_MAX_ROWS = 110_000  # the roster takes 100,000 records; a title, a header and blank rows fit
XLSX_MAX_COLUMNS = 200
XLSX_MAX_CELL_CHARS = 32_767
# Sheets up to this much XML are read whole into memory (calamine, fast); bigger ones are
# streamed (openpyxl). See zhenwu.lib.excel.
XLSX_IN_MEMORY_SHEET_BYTES = 32 * MB

SHEET_PREFIX = "xl/worksheets/"
SHARED_STRINGS = "xl/sharedStrings.xml"
_CHUNK = MB

_LIMIT_HINT = "请只保留花名册工作表、删除图片和多余的行列后另存为 .xlsx，或把文件拆分后分别导入"


def _too_much(what):
    return FileLimitExceeded(f"{what}；{_LIMIT_HINT}")


class XlsxDamaged(Exception):
    """Not a readable zip (or a member whose content does not match its directory entry)."""


# Positions of rows and cells in sheet XML, read from the raw bytes (prefixed or not). A cell or
# row without an `r` attribute takes the next position; it is counted, so the reader can be told.
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(c|row)(?=[\s/>])([^>]*)>")
_REF = re.compile(rb"""\sr\s*=\s*["']\$?([A-Za-z]{1,3})\$?([0-9]{1,9})["']""")
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["']([0-9]{1,9})["']""")


def _column_number(letters):
    number = 0
    for ch in letters.upper():
        number = number * 26 + (ch - 64)
    return number


class SheetExtent:
    """How far a sheet's cells reach, as its XML says: the largest row and column named, and
    whether some cells or rows name no position (then only a streaming reader is safe)."""

    def __init__(self):
        self.max_row = 0
        self.max_column = 0
        self.implicit = False
        self._tail = b""

    def feed(self, chunk):
        data = self._tail + chunk
        end = data.rfind(b"<")
        if end == -1 or data.find(b">", end) != -1:
            end = len(data)
        self._tail = data[end:]  # an unfinished tag waits for the next chunk
        if len(self._tail) > _MAX_TAG:
            self.implicit, self._tail = True, b""  # a tag this long is not one to trust positions of
        for match in _TAG.finditer(data, 0, end):
            if match.group(1) == b"c":
                ref = _REF.search(match.group(2))
                if ref is None:
                    self.implicit = True
                    continue
                column, row = _column_number(ref.group(1)), int(ref.group(2))
                if column > self.max_column:
                    self.max_column = column
                if row > self.max_row:
                    self.max_row = row
            else:
                ref = _ROW_NUMBER.search(match.group(2))
                if ref is None:
                    self.implicit = True
                elif int(ref.group(1)) > self.max_row:
                    self.max_row = int(ref.group(1))
        if self.max_row > XLSX_MAX_ROWS:
            raise _too_much(f"表格超过{XLSX_MAX_ROWS}行（第{self.max_row}行有内容或格式）")
        if self.max_column > XLSX_MAX_COLUMNS:
            raise _too_much(f"表格超过{XLSX_MAX_COLUMNS}列（第{self.max_column}列有内容或格式）")


_MAX_TAG = 64 * 1024


def _check_xml_piece(chunk, name):
    """A full 1 MB piece of XML without one tag is a text or a run of blanks longer than any cell
    may hold (32,767 characters): a padded file, refused before a parser holds it whole."""
    if len(chunk) == _CHUNK and b"<" not in chunk:
        if name == SHARED_STRINGS:
            raise _too_much(f"文件中有一段文字超过{XLSX_MAX_CELL_CHARS}个字符（Excel单元格的上限）")
        raise _too_much("工作表中有超过1MB的连续空白或文字（不是正常的表格内容）")


def check_xlsx(fileobj, *, inflate=True):
    """Check an .xlsx file object against the spreadsheet limits before any parser reads it.

    Returns {sheet member name: SheetExtent}. With `inflate=False` only what the zip directory
    claims is checked (cheap enough for the upload request; the job inflates) and the result is
    empty. Raises FileLimitExceeded (a limit, named in Chinese) or XlsxDamaged. Memory: one 1 MB
    piece at a time."""
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    if size > max_upload_bytes():
        raise FileLimitExceeded(f"文件过大（{size / MB:.1f}MB），最大允许{megabytes(max_upload_bytes())}")
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise XlsxDamaged(str(exc)) from None
    extents = {}
    try:
        members = archive.infolist()
        if len(members) > XLSX_MAX_MEMBERS:
            raise _too_much(f"文件包含的部件过多（{len(members)}个，最多{XLSX_MAX_MEMBERS}个）")
        claimed = sum(m.file_size for m in members)
        if claimed > XLSX_MAX_UNCOMPRESSED:
            raise _too_much(
                f"文件解压后过大（约{claimed / MB:.0f}MB，最大{megabytes(XLSX_MAX_UNCOMPRESSED)}）"
            )
        for member in members:
            if member.filename == SHARED_STRINGS and member.file_size > XLSX_MAX_SHARED_STRINGS:
                raise _too_much(
                    f"文件中的文字内容过多（约{member.file_size / MB:.0f}MB，最大{megabytes(XLSX_MAX_SHARED_STRINGS)}）"
                )
        for member in members if inflate else ():
            if member.is_dir():
                continue
            extent = None
            if member.filename.startswith(SHEET_PREFIX) and member.filename.endswith(".xml"):
                extent = extents[member.filename] = SheetExtent()
            xml = member.filename.endswith((".xml", ".rels"))
            with archive.open(member) as stream:
                # The zip module stops at the claimed size and checks the CRC at the end, so a
                # member that holds more than it claims fails here as damaged.
                while chunk := stream.read(_CHUNK):
                    if xml:
                        _check_xml_piece(chunk, member.filename)
                    if extent is not None:
                        extent.feed(chunk)
    except FileLimitExceeded:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, RuntimeError,
            NotImplementedError, KeyError) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression method.
        raise XlsxDamaged(str(exc)) from None
    finally:
        archive.close()
        fileobj.seek(0)
    return extents


def check_cell(value, *, row, column):
    """A text cell of at most XLSX_MAX_CELL_CHARS characters (the readers call this per cell)."""
    if type(value) is str and len(value) > XLSX_MAX_CELL_CHARS:
        raise FileLimitExceeded(
            f"第{row}行第{column}列的内容超过{XLSX_MAX_CELL_CHARS}个字符（Excel单元格的上限），请检查该单元格"
        )


# --- what a job may keep of a file -------------------------------------------------------------

ECHO_CHARS = 60  # characters of a cell's text repeated in an error message or a preview


def echo(text, limit=ECHO_CHARS):
    """A cell's text as a message may quote it: at most `limit` characters, then “…”."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"
