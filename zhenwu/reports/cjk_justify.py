"""Justified Chinese text in WeasyPrint's PDFs.

WeasyPrint justifies a line by widening its spaces only, and Chinese has none, so `text-align:
justify` leaves every line of a Chinese paragraph ragged by up to a character (more when digits or
Latin letters or a line-start rule move a character to the next line). Chinese typesetting
justifies by spreading the line's remainder evenly between its characters (clreq §"Line
adjustment"), leaving runs of Latin letters and digits ("2019", "94.2%") whole. `install()` teaches
WeasyPrint that: the extra width of a line is applied as Pango letter spacing to the CJK characters
of its text boxes. Pango gives each spaced character half the spacing on either side and drops the
outer half at the two ends of a layout, so a box with k CJK characters widens by k spacings, less
half for a CJK first character and half for a CJK last one — which is what the box reports as its
number of justification opportunities. Text without CJK is justified as before (at its spaces).

Line breaking itself is Pango's (UAX #14 with the Chinese line-start and line-end rules: no closing
punctuation such as ，。、）” at the start of a line, no opening punctuation at its end), which
WeasyPrint uses when `lang="zh-CN"` is set.

This replaces two functions inside WeasyPrint (`layout.inline.count_expandable_spaces` and
`text.line_break.Layout.set_text`); pyproject pins WeasyPrint below the next major version, and a
test renders a paragraph and checks its lines end flush, so an upgrade that changes these internals
is noticed. If they are not found, install() leaves WeasyPrint as it is (ragged lines, nothing worse).
"""

import logging
import re

logger = logging.getLogger(__name__)

CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u3000-\u303f\u201c\u201d\u2018\u2019\u2014\u2026]")

_installed = False


def has_cjk(text):
    return bool(CJK.search(text or ""))


def opportunities(text):
    """How many spacings a text box widens by when its CJK characters are letter-spaced (see above)."""
    count = len(CJK.findall(text))
    if text and CJK.match(text[0]):
        count -= 0.5
    if text and CJK.match(text[-1]):
        count -= 0.5
    return max(0, count)


def cjk_byte_ranges(text):
    """(start, end) UTF-8 byte offsets of each run of CJK characters, as Pango attributes take them."""
    ranges = []
    for match in re.finditer(CJK.pattern + "+", text):
        start = len(text[:match.start()].encode())
        ranges.append((start, start + len(match.group().encode())))
    return ranges


def install():
    """Patch WeasyPrint once per process (idempotent). Returns whether justification is active."""
    global _installed
    if _installed:
        return True
    try:
        from weasyprint.formatting_structure import boxes
        from weasyprint.layout import inline
        from weasyprint.text import line_break
        from weasyprint.text.ffi import TO_UNITS, ffi, pango
    except ImportError:  # pragma: no cover - WeasyPrint is a dependency
        return False
    original_count = getattr(inline, "count_expandable_spaces", None)
    original_set_text = getattr(getattr(line_break, "Layout", None), "set_text", None)
    if original_count is None or original_set_text is None or not hasattr(inline, "justify_line"):
        logger.warning("WeasyPrint internals changed: Chinese text in briefings will not be justified")
        return False

    def count_expandable_spaces(box):
        if isinstance(box, boxes.TextBox) and has_cjk(box.text):
            return opportunities(box.text)
        return original_count(box)

    def set_text(self, text, justify=False):
        spacing = self.justification_spacing
        if not (justify and spacing and has_cjk(text)):
            return original_set_text(self, text, justify)
        self.justification_spacing = 0
        try:
            original_set_text(self, text, justify)
        finally:
            self.justification_spacing = spacing
        letter = self.style["letter_spacing"]
        letter = 0 if letter == "normal" else letter
        attrs = pango.pango_layout_get_attributes(self.layout)
        if attrs == ffi.NULL:
            attrs = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
        for start, end in cjk_byte_ranges(self.text):
            attr = pango.pango_attr_letter_spacing_new(int((letter + spacing) * TO_UNITS))
            attr.start_index, attr.end_index = start, end
            pango.pango_attr_list_change(attrs, attr)
        pango.pango_layout_set_attributes(self.layout, attrs)

    inline.count_expandable_spaces = count_expandable_spaces
    line_break.Layout.set_text = set_text
    _installed = True
    return True
