"""The briefing as a Word document (python-docx) and as a PDF (WeasyPrint from an HTML template).

Both embed the photos of the records. Fonts: Word gets East Asian fonts set on every run (宋体 for
the body, 黑体 for headings, as offices and WPS expect); the PDF uses the system's Noto CJK fonts by
family name. WeasyPrint fetches nothing from outside: its url_fetcher serves only stored media
(`media:` URLs, through the storage API) and refuses every other address.
"""

import io
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
MEDIA_SCHEME = "media:"


@dataclass
class Meta:
    title: str
    area: str
    month: str
    date: object
    version: int | None = None


def _set_font(run, east_asian, size=None, bold=False, color=None):
    run.font.name = LATIN_FONT
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    if size:
        run.font.size = Pt(size)
    run.font.bold = bold
    if color:
        run.font.color.rgb = RGBColor(*color)


def _open_photo(name):
    try:
        with default_storage.open(name, "rb") as handle:
            return io.BytesIO(handle.read())
    except (FileNotFoundError, OSError, ValueError):
        return None


def render_docx(meta, sections):
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(14)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2.6)
        section.top_margin, section.bottom_margin = Cm(3.0), Cm(2.5)

    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(head.add_run("工 作 简 报"), HEADING_FONT, size=26, bold=True, color=(0xC0, 0x00, 0x00))
    sub = doc.add_paragraph()
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    label = f"{meta.area}  {meta.month}" + (f"  第{meta.version}版" if meta.version else "  （草稿）")
    _set_font(sub.add_run(label), BODY_FONT, size=12)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(title.add_run(meta.title), HEADING_FONT, size=20, bold=True)

    for section in sections:
        if section.get("heading"):
            p = doc.add_paragraph()
            p.paragraph_format.space_before = Pt(12)
            _set_font(p.add_run(section["heading"]), HEADING_FONT, size=16, bold=True)
        for text in section.get("paragraphs", []):
            p = doc.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(28)
            p.paragraph_format.line_spacing = 1.5
            _set_font(p.add_run(text), BODY_FONT, size=14)
        for photo in section.get("photos", []):
            data = _open_photo(photo["name"])
            if data is None:
                continue
            doc.add_picture(data, width=Cm(14))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            caption = doc.add_paragraph()
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _set_font(caption.add_run(photo.get("caption", "")), BODY_FONT, size=11)

    foot = doc.add_paragraph()
    foot.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _set_font(foot.add_run(f"{meta.area}  {meta.date.year}年{meta.date.month}月{meta.date.day}日"), BODY_FONT, size=12)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


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
        mime = "image/png" if name.lower().endswith(".png") else "image/jpeg"
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
    return render_to_string("reports/briefing_pdf.html", {
        "meta": meta,
        "sections": [dict(s, photos=[dict(p, url=MEDIA_SCHEME + p["name"]) for p in s.get("photos", [])])
                     for s in sections],
    })


def render_pdf(meta, sections):
    from weasyprint import HTML

    html = render_html(meta, sections)
    return HTML(string=html, base_url="media:", url_fetcher=local_url_fetcher()).write_pdf()
