"""The briefing as an A4 Word document (python-docx) and an A4 PDF (WeasyPrint from an HTML
template), laid out as a Chinese official 简报 after the common practice of GB/T 9704-2012:

- 版头: the masthead (报头, "工作简报") in large red type, the issue number (第N期) under it, the
  issuing unit (编发单位) on the left and the date of issue on the right, a red rule;
- the title, the highlights (本月要闻), the sections with their headings (一、二、…) and photos;
- 版记 at the end: 报送 and 抄送 between rules, and the print run (共印N份);
- page numbers "— N —" in the footer (a PAGE field in Word, counter(page) in the PDF).

Fonts: Word names the fonts offices use — 方正小标宋简体 for the masthead and title, 仿宋 for the
body, 黑体 for headings, 楷体 for the lead phrases — and records a fallback for each in the font
table (w:altName: 宋体 for 方正小标宋简体), so Word or WPS without the 方正 font substitutes a Song
face instead of a random one. The PDF asks for the same families first and falls back to the Noto
CJK fonts installed with the server (Noto Serif CJK SC, Noto Sans CJK SC), embedded in the file.

The PDF is justified with CJK line breaking (zhenwu.reports.cjk_justify). WeasyPrint fetches nothing
from outside: its url_fetcher serves only stored media (`media:` URLs, through the storage API)
and refuses every other address.
"""

import io
import mimetypes
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from PIL import Image, UnidentifiedImageError

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
LEAD_FONT = "楷体"
NUMBER_FONT = "宋体"
LATIN_FONT = "Times New Roman"
# Substitutes recorded in the Word font table: (font, alternative, panose of the alternative).
FONT_FALLBACKS = [
    (TITLE_FONT, "宋体", "02010600030101010101"),
    (BODY_FONT, "宋体", "02010609060101010101"),
    (HEADING_FONT, "宋体", "02010609060101010101"),
    (LEAD_FONT, "宋体", "02010609060101010101"),
]
RED = (0xE6, 0x00, 0x12)
MEDIA_SCHEME = "media:"

# A4 and the GB/T 9704 type area: 156 mm × 225 mm, top margin 37 mm, left (binding) 28 mm.
PAGE_WIDTH, PAGE_HEIGHT = 210, 297
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 37, 35, 28, 26
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
BODY_SIZE = 16  # 三号
LINE = 28.9  # 22 lines in the 225 mm type area
# Photos go two to a row (a last odd one alone, larger), at 150 dpi or better where the file allows:
# (most photos in a row, largest width, largest height) in millimetres.
PHOTO_ROW_SIZES = {1: (120, 85), 2: (74, 56)}
PHOTO_MIN_WIDTH, PHOTO_DPI = 50, 150
NUMERALS = "一二三四五六七八九十"


@dataclass
class Meta:
    title: str
    area: str
    month: str
    date: object
    masthead: str = "工作简报"
    issuing_unit: str = ""
    issue_year: int | None = None
    issue_number: int | None = None
    version: int | None = None
    highlights: list = field(default_factory=list)
    report_to: str = ""
    copy_to: str = ""
    copies: int | None = None

    @property
    def issue_label(self):
        """第N期 of a published version; a working copy says it is a draft."""
        if self.version is None:
            return f"第{self.issue_number}期（修改稿）" if self.issue_number else "（草稿，发布时编号）"
        return f"第{self.issue_number}期" if self.issue_number else ""

    @property
    def date_label(self):
        return f"{self.date.year}年{self.date.month}月{self.date.day}日"


def heading_number(index):
    """一、 二、 … 十、 十一、 for the sections (index from 1)."""
    if index <= 10:
        return NUMERALS[index - 1] + "、"
    tens, ones = divmod(index, 10)
    return (NUMERALS[tens - 1] if tens > 1 else "") + "十" + (NUMERALS[ones - 1] if ones else "") + "、"


# --- photos ----------------------------------------------------------------------------------------


def _open_photo(name):
    try:
        with default_storage.open(name, "rb") as handle:
            return io.BytesIO(handle.read())
    except (FileNotFoundError, OSError, ValueError):
        return None


def pixel_size(data):
    """(width, height) in pixels, or None for a file that is not a readable image."""
    try:
        with Image.open(data) as image:
            size = image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    finally:
        data.seek(0)
    return size if size[0] and size[1] else None


def photo_size(pixels, *, max_width, max_height):
    """(width, height) in millimetres at which a photo prints well: as large as its place allows,
    not below PHOTO_DPI (a small picture is printed smaller rather than blurred) unless that would
    make it narrower than PHOTO_MIN_WIDTH."""
    px_w, px_h = pixels
    ratio = px_h / px_w
    fit = min(max_width, max_height / ratio)
    width = max(min(fit, px_w / PHOTO_DPI * 25.4), min(fit, PHOTO_MIN_WIDTH))
    return round(width, 1), round(width * ratio, 1)


def _docx_image(data):
    """Word takes JPEG, PNG, GIF, BMP and TIFF; anything else (WebP) is converted to PNG."""
    try:
        with Image.open(data) as image:
            if image.format in ("JPEG", "PNG", "GIF", "BMP", "TIFF"):
                data.seek(0)
                return data
            out = io.BytesIO()
            image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB").save(out, "PNG")
            out.seek(0)
            return out
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def photo_rows(section):
    """The section's readable photos in rows of two (an odd last one alone), each with its data
    and print size."""
    readable = []
    for photo in section.get("photos", []):
        data = _open_photo(photo["name"])
        pixels = pixel_size(data) if data is not None else None
        if pixels is not None:
            readable.append(dict(photo, data=data, pixels=pixels))
    rows = [readable[i:i + 2] for i in range(0, len(readable), 2)]
    for row in rows:
        max_width, max_height = PHOTO_ROW_SIZES[len(row)]
        for photo in row:
            photo["width"], photo["height"] = photo_size(photo["pixels"], max_width=max_width, max_height=max_height)
    return rows


# --- Word ------------------------------------------------------------------------------------------


def _fonts(run, east_asian, *, size=None, bold=False, color=None, latin=LATIN_FONT):
    run.font.name = latin
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    if size:
        run.font.size = Pt(size)
    run.font.bold = bold
    if color:
        run.font.color.rgb = RGBColor(*color)
    return run


# Word is strict about the order of a property element's children (ECMA-376): these are inserted
# before the first of their successors that is present.
P_PR_ORDER = ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
              "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
              "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
              "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
              "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
              "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
R_PR_ORDER = ("w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps", "w:strike",
              "w:dstrike", "w:outline", "w:shadow", "w:emboss", "w:imprint", "w:noProof", "w:snapToGrid",
              "w:vanish", "w:webHidden", "w:color", "w:spacing", "w:w", "w:kern", "w:position", "w:sz", "w:szCs",
              "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs",
              "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath")


def _insert_ordered(parent, element, order):
    tag = element.tag
    name = next(n for n in order if qn(n) == tag)
    parent.insert_element_before(element, *order[order.index(name) + 1:])
    return element


def _element(name, **attrs):
    element = OxmlElement(name)
    for key, value in attrs.items():
        element.set(qn(f"w:{key}"), str(value))
    return element


def _rule(side, size_eighths, color="000000", space=1):
    """A border edge (size in eighths of a point, as Word counts)."""
    return _element(f"w:{side}", val="single", sz=size_eighths, space=space, color=color)


def _border(paragraph, side, *, size_eighths, color="000000", space=1):
    """A rule along one side of a paragraph."""
    p_pr = paragraph._p.get_or_add_pPr()
    borders = p_pr.find(qn("w:pBdr"))
    if borders is None:
        borders = _insert_ordered(p_pr, OxmlElement("w:pBdr"), P_PR_ORDER)
    borders.append(_rule(side, size_eighths, color, space))


def _no_autospace(element):
    """No automatic gap between Chinese and Latin letters or digits ("10月14日", not "10 月 14 日"),
    as in the PDF and in documents typed by hand; set on the style and on each paragraph (LibreOffice
    reads only the latter)."""
    p_pr = element.get_or_add_pPr()
    for name in ("w:autoSpaceDE", "w:autoSpaceDN"):
        if p_pr.find(qn(name)) is None:
            _insert_ordered(p_pr, _element(name, val=0), P_PR_ORDER)


def _paragraph(doc, *, align=None, indent_chars=0, line=LINE, before=0, after=0, size=BODY_SIZE):
    p = doc.add_paragraph()
    _no_autospace(p._p)
    fmt = p.paragraph_format
    if align is not None:
        p.alignment = align
    if indent_chars:
        fmt.first_line_indent = Pt(size * indent_chars)
    if line:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line)
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    return p


def _field(paragraph, instruction, placeholder, **font):
    """A Word field (PAGE, NUMPAGES): begin, instruction, separator, the shown value, end."""
    def char(kind):
        run = _fonts(paragraph.add_run(), NUMBER_FONT, **font)
        fld = OxmlElement("w:fldChar")
        fld.set(qn("w:fldCharType"), kind)
        run._r.append(fld)

    char("begin")
    run = _fonts(paragraph.add_run(), NUMBER_FONT, **font)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    char("separate")
    _fonts(paragraph.add_run(placeholder), NUMBER_FONT, **font)
    char("end")


def _setup(doc):
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT)
    section.top_margin, section.bottom_margin = Mm(MARGIN_TOP), Mm(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Mm(MARGIN_LEFT), Mm(MARGIN_RIGHT)
    section.header_distance, section.footer_distance = Mm(15), Mm(25)

    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(BODY_SIZE)
    r_pr = normal.element.get_or_add_rPr()
    r_pr.get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    _insert_ordered(r_pr, _element("w:lang", val="en-US", eastAsia="zh-CN"), R_PR_ORDER)
    normal.paragraph_format.space_after = Pt(0)
    _no_autospace(normal.element)

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _no_autospace(footer._p)
    _fonts(footer.add_run("— "), NUMBER_FONT, size=14)
    _field(footer, "PAGE", "1", size=14)
    _fonts(footer.add_run(" —"), NUMBER_FONT, size=14)

    for part in doc.part.package.iter_parts():
        if part.partname.endswith("/fontTable.xml"):
            entries = "".join(
                f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:panose1 w:val="{panose}"/>'
                '<w:charset w:val="86"/><w:family w:val="auto"/><w:pitch w:val="variable"/></w:font>'
                for name, alt, panose in FONT_FALLBACKS)
            part._blob = part.blob.replace(b"</w:fonts>", entries.encode() + b"</w:fonts>")


def _masthead(doc, meta):
    p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, line=None, after=6)
    run = _fonts(p.add_run(meta.masthead), TITLE_FONT, size=42, color=RED)
    # A quarter of a character between the masthead's characters (in twentieths of a point).
    _insert_ordered(run._element.get_or_add_rPr(), _element("w:spacing", val=42 * 20 // 4), R_PR_ORDER)
    p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, after=6)
    _fonts(p.add_run(meta.issue_label), BODY_FONT, size=BODY_SIZE)
    p = _paragraph(doc, after=0)
    p.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH), WD_TAB_ALIGNMENT.RIGHT)
    _fonts(p.add_run(f"{meta.issuing_unit}\t{meta.date_label}"), BODY_FONT, size=BODY_SIZE)
    _border(p, "bottom", size_eighths=18, color="E60012", space=4)


def _title(doc, meta):
    p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, line=None, before=24, after=18)
    p.paragraph_format.line_spacing = 1.15
    _fonts(p.add_run(meta.title), TITLE_FONT, size=22)


def _heading(doc, text):
    p = _paragraph(doc, indent_chars=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    p.paragraph_format.keep_with_next = True
    _fonts(p.add_run(text), HEADING_FONT, size=BODY_SIZE)


def _body(doc, text, *, lead=""):
    p = _paragraph(doc, indent_chars=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    if lead:
        _fonts(p.add_run(lead), LEAD_FONT, size=BODY_SIZE, bold=True)
    _fonts(p.add_run(text), BODY_FONT, size=BODY_SIZE)


def _photo_cell(cell, photo):
    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.keep_with_next = True
    image = _docx_image(photo["data"])
    if image is not None:
        p.add_run().add_picture(image, width=Mm(photo["width"]), height=Mm(photo["height"]))
    caption = cell.add_paragraph()
    _no_autospace(caption._p)
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.space_after = Pt(6)
    _fonts(caption.add_run(photo.get("caption", "")), LEAD_FONT, size=12)


def _photo_row(doc, row):
    """A row of photos as a borderless table (one cell per photo), kept on one page."""
    table = doc.add_table(rows=1, cols=len(row))
    table.alignment = 1  # centred
    table.autofit = False
    for cell, photo in zip(table.rows[0].cells, row, strict=True):
        cell.width = Mm(TEXT_WIDTH / len(row))
        _photo_cell(cell, photo)
    table.rows[0]._tr.get_or_add_trPr().append(_element("w:cantSplit"))


def _colophon(doc, meta):
    """版记: a full-width table — 报送 and 抄送 in the first row, the print run in the second —
    ruled above and below with a thicker line and between the rows with a thinner one."""
    rows = [label + value for label, value in (("报送：", meta.report_to), ("抄送：", meta.copy_to)) if value]
    spacer = _paragraph(doc)
    spacer.paragraph_format.keep_with_next = True
    table = doc.add_table(rows=2 if rows else 1, cols=1)
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    borders = _element("w:tblBorders")
    borders.append(_rule("top", 8))
    borders.append(_rule("bottom", 8))
    if rows:
        borders.append(_rule("insideH", 4))
    tbl_pr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
                                 "w:tblDescription", "w:tblPrChange")
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is not None:
        tbl_w.set(qn("w:w"), str(Mm(TEXT_WIDTH).twips))
        tbl_w.set(qn("w:type"), "dxa")
    cells = [row.cells[0] for row in table.rows]
    for row in table.rows:
        row.cells[0].width = Mm(TEXT_WIDTH)
        row._tr.get_or_add_trPr().append(_element("w:cantSplit"))
    if rows:
        cell = cells[0]
        for index, text in enumerate(rows):
            p = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
            _no_autospace(p._p)
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            p.paragraph_format.line_spacing = Pt(LINE)
            p.paragraph_format.left_indent = Pt(14 * 4)  # a long list wraps under the first unit
            p.paragraph_format.first_line_indent = Pt(-14 * 3)
            p.paragraph_format.keep_with_next = True
            _fonts(p.add_run(text), BODY_FONT, size=14)
    p = cells[-1].paragraphs[0]
    _no_autospace(p._p)
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    p.paragraph_format.line_spacing = Pt(LINE)
    p.paragraph_format.right_indent = Pt(14)
    _fonts(p.add_run(f"（共印{meta.copies}份）" if meta.copies else ""), BODY_FONT, size=14)


def render_docx(meta, sections):
    doc = Document()
    _setup(doc)
    doc.core_properties.title = meta.title
    doc.core_properties.author = meta.issuing_unit
    doc.core_properties.language = "zh-CN"
    _masthead(doc, meta)
    _title(doc, meta)
    if meta.highlights:
        _heading(doc, "本月要闻")
        for item in meta.highlights:
            _body(doc, item.get("text", ""), lead=item["headline"].rstrip("。") + "。")
    numbered = 0
    for section in sections:
        if section.get("heading"):
            numbered += 1
            _heading(doc, heading_number(numbered) + section["heading"])
        for text in section.get("paragraphs", []):
            _body(doc, text)
        for row in photo_rows(section):
            _photo_row(doc, row)
    _colophon(doc, meta)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- PDF -------------------------------------------------------------------------------------------


class ExternalResourceRefused(ValueError):
    pass


def fetch_local(url):
    """(bytes, mime type) of a `media:<storage name>` URL from the storage; every other URL
    (network, file paths, data) is refused."""
    if url.startswith(MEDIA_SCHEME):
        name = url[len(MEDIA_SCHEME):]
        if ".." in name.split("/") or name.startswith("/"):
            raise ExternalResourceRefused(url)
        data = _open_photo(name)
        if data is None:
            raise ExternalResourceRefused(url)
        mime = mimetypes.guess_type(name)[0] or "image/jpeg"
        return data.getvalue(), mime
    raise ExternalResourceRefused(url)


def local_url_fetcher():
    """A WeasyPrint URL fetcher restricted to fetch_local (WeasyPrint ≥ 68 takes a URLFetcher
    object, older versions a function returning a dict)."""
    from weasyprint import urls

    if hasattr(urls, "URLFetcherResponse"):
        class LocalFetcher(urls.URLFetcher):
            def fetch(self, url, headers=None):
                body, mime = fetch_local(url)
                return urls.URLFetcherResponse(url, body=body, headers={"Content-Type": mime})

        return LocalFetcher()

    def fetcher(url, *args, **kwargs):
        body, mime = fetch_local(url)
        return {"string": body, "mime_type": mime}

    return fetcher


def render_html(meta, sections):
    numbered, shown = 0, []
    for section in sections:
        number = ""
        if section.get("heading"):
            numbered += 1
            number = heading_number(numbered)
        rows = [[dict(p, url=MEDIA_SCHEME + p["name"], data=None) for p in row] for row in photo_rows(section)]
        shown.append(dict(section, number=number, photo_rows=rows))
    return render_to_string("reports/briefing_pdf.html", {"meta": meta, "sections": shown, "page": {
        "margins": f"{MARGIN_TOP}mm {MARGIN_RIGHT}mm {MARGIN_BOTTOM}mm {MARGIN_LEFT}mm", "line": f"{LINE}pt",
        "body": f"{BODY_SIZE}pt"}})


def render_pdf(meta, sections):
    from weasyprint import HTML

    from . import cjk_justify

    cjk_justify.install()
    html = render_html(meta, sections)
    return HTML(string=html, base_url="media:", url_fetcher=local_url_fetcher()).write_pdf()
