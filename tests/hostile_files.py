"""Hostile files, built in memory: what an attacker (or a broken tool) uploads. Shared by the
hostile-input tests (tests/test_hostile.py) and the benchmark that times their refusal
(bench/hostile.py). Each builder returns bytes; none needs more than a few MB to build."""

import io
import struct
import zipfile
import zlib

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="住户花名册" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"
_SST_HEAD = '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
HEADERS = ("村(社区)", "网格", "户编号", "地址", "姓名", "性别", "与户主关系", "身份证号", "联系电话", "标签")
_COLUMNS = "ABCDEFGHIJ"


def _inline(ref, text):
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _header_row():
    return '<row r="1">' + "".join(_inline(f"{c}1", h) for c, h in zip(_COLUMNS, HEADERS, strict=True)) + "</row>"


def _data_row(number, phone_cell):
    values = ("九龙村", "九龙村第一网格", f"HB-{number}", "九龙村一组", "甄测试", "男", "户主", "", "", "")
    cells = "".join(_inline(f"{c}{number}", v) for c, v in zip(_COLUMNS, values, strict=True) if v)
    return f'<row r="{number}">{cells}{phone_cell}</row>'


class _Writer:
    """A zip written member by member, with members that may be streamed in chunks (so a 300 MB
    member is compressed without ever being held whole)."""

    def __init__(self):
        self.buffer = io.BytesIO()
        self.zip = zipfile.ZipFile(self.buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9)

    def text(self, name, text):
        self.zip.writestr(name, text)

    def stream(self, name, parts):
        info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with self.zip.open(info, "w", force_zip64=True) as out:
            for part in parts:
                out.write(part)

    def close(self):
        self.zip.close()
        return self.buffer.getvalue()


def _skeleton(writer, *, sheet=None, shared=None):
    writer.text("[Content_Types].xml", _CONTENT_TYPES)
    writer.text("_rels/.rels", _RELS)
    writer.text("xl/workbook.xml", _WORKBOOK)
    writer.text("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
    if sheet is not None:
        writer.text("xl/worksheets/sheet1.xml", sheet)
    if shared is not None:
        writer.text("xl/sharedStrings.xml", shared)


def _repeat(chunk, total):
    block = chunk * (1 << 20)
    left = total
    while left > 0:
        piece = block[: min(len(block), left)]
        left -= len(piece)
        yield piece


def shared_strings_bomb(*, megabytes=300):
    """A roster whose sharedStrings.xml holds one string of `megabytes` MB, used as a resident's
    phone number (the error message and the preview would echo it). About 300 KB zipped."""
    writer = _Writer()
    sheet = _SHEET_HEAD + _header_row() + _data_row(2, '<c r="I2" t="s"><v>0</v></c>') + _SHEET_TAIL
    _skeleton(writer, sheet=sheet)
    parts = [(_SST_HEAD + '<si><t>').encode(), *_repeat(b"1", megabytes << 20), b"</t></si></sst>"]
    writer.stream("xl/sharedStrings.xml", parts)
    return writer.close()


def sheet_bomb(*, megabytes=400):
    """A roster whose one worksheet is padded with `megabytes` MB of whitespace inside a row."""
    writer = _Writer()
    _skeleton(writer, shared=_SST_HEAD + "</sst>")
    head = (_SHEET_HEAD + _header_row() + '<row r="2">').encode()
    parts = [head, *_repeat(b" ", megabytes << 20), b"</row>" + _data_row(3, "").encode() + _SHEET_TAIL.encode()]
    writer.stream("xl/worksheets/sheet1.xml", parts)
    return writer.close()


def many_members(*, count=20_000):
    """A valid small roster plus `count` empty extra zip members."""
    writer = _Writer()
    _skeleton(writer, sheet=_SHEET_HEAD + _header_row() + _data_row(2, "") + _SHEET_TAIL,
              shared=_SST_HEAD + "</sst>")
    for i in range(count):
        writer.text(f"xl/media/pad{i}.xml", "")
    return writer.close()


def far_cell(*, row=60_000, column="ZZ"):
    """Two cells, A1 and one far down and right: 2 KB that a dense reader turns into rows x columns
    cells (calamine: 1.3 GB for ZZ60000)."""
    sheet = (_SHEET_HEAD + _header_row()
             + f'<row r="{row}">{_inline(f"{column}{row}", "x")}</row>' + _SHEET_TAIL)
    writer = _Writer()
    _skeleton(writer, sheet=sheet, shared=_SST_HEAD + "</sst>")
    return writer.close()


def long_cell(*, characters=40_000):
    """A valid-looking roster whose address cell holds more characters than Excel allows."""
    sheet = _SHEET_HEAD + _header_row() + _data_row(2, _inline("D3", "")) + _SHEET_TAIL
    sheet = sheet.replace("九龙村一组", "长" * characters)
    writer = _Writer()
    _skeleton(writer, sheet=sheet, shared=_SST_HEAD + "</sst>")
    return writer.close()


def valid_roster(rows=3, *, phone=""):
    """A small correct residents roster (for the demo-less town of the tests: 九龙村 / 九龙村第一网格);
    `phone`, when given, is written in every row's phone column."""
    cell = (lambda n: _inline(f"I{n}", phone)) if phone else (lambda n: "")
    body = "".join(_data_row(n, cell(n)) for n in range(2, rows + 2))
    writer = _Writer()
    _skeleton(writer, sheet=_SHEET_HEAD + _header_row() + body + _SHEET_TAIL, shared=_SST_HEAD + "</sst>")
    return writer.close()


# --- images ----------------------------------------------------------------------------------


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_pixel_bomb(*, width=20_000, height=20_000):
    """A 1-bit greyscale PNG of width x height black pixels: a few hundred KB that decode to
    width*height pixels (400 million for 20000x20000)."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    chunks = []
    block = row * 256
    done = 0
    while done < height:
        take = min(256, height - done)
        chunks.append(compressor.compress(block if take == 256 else row * take))
        done += take
    chunks.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", b"".join(chunks)) + _png_chunk(
        b"IEND", b""
    )


def jpeg_claiming(*, width=20_000, height=20_000):
    """A tiny JPEG whose frame header claims width x height (Pillow reads the size from it)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "JPEG")
    data = bytearray(out.getvalue())
    i = 2
    while i < len(data):
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC2):
            data[i + 5 : i + 9] = struct.pack(">HH", height, width)
            break
        i += 2 + length
    return bytes(data)


def lying_sizes(*, megabytes=300):
    """The shared-strings bomb with its zip directory claiming 1 KB for the 300 MB member (both the
    local header and the central directory), so only inflating it shows what it holds."""
    data = bytearray(shared_strings_bomb(megabytes=megabytes))
    name = b"xl/sharedStrings.xml"
    # Central directory entry: signature PK\1\2, uncompressed size at offset 24, name at 46.
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_length = struct.unpack("<H", data[at + 28 : at + 30])[0]
        extra_length = struct.unpack("<H", data[at + 30 : at + 32])[0]
        if bytes(data[at + 46 : at + 46 + name_length]) == name:
            extra_at = at + 46 + name_length
            extra = data[extra_at : extra_at + extra_length]
            if extra[:2] == b"\x01\x00":  # zip64: the real sizes live in the extra field
                data[extra_at + 4 : extra_at + 12] = struct.pack("<Q", 1024)
            else:
                data[at + 24 : at + 28] = struct.pack("<I", 1024)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)
