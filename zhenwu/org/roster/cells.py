"""One cell of a roster as a value: trimmed text, an ID number (refusing numbers Excel has
rounded), a date in the forms people type, yes/no; and a cell masked for the preview."""

import datetime
import re

from zhenwu.lib.idnumber import InvalidIdNumber, validate_id_number
from zhenwu.lib.masking import mask_id_number, mask_phone
from zhenwu.lib.uploads import echo

_SCI_RE = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YES = frozenset({"是", "Y", "YES", "√", "✓", "1", "TRUE", "有"})
_NO = frozenset({"否", "N", "NO", "×", "0", "FALSE", "无", ""})
LOST_DIGITS = "身份证号被 Excel 存成了数字，只保留15位有效数字，末尾几位已丢失；请把该列设为“文本”格式后重新填写"


def cell_text(value):
    """A cell as trimmed text; whole numbers lose Excel's '.0'."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\u00a0", " ").replace("\u3000", " ").strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if not (value.hour or value.minute or value.second) else str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def parse_id_cell(value, *, today):
    """(normalised number, birth date) from a text or number cell, or InvalidIdNumber."""
    if isinstance(value, float):
        raise InvalidIdNumber(LOST_DIGITS)
    text = cell_text(value)
    if _SCI_RE.match(text):
        raise InvalidIdNumber(LOST_DIGITS)
    return validate_id_number(text, today=today)


def parse_date_cell(value):
    """A date from a date cell, an Excel serial number or text (2019-07-01 / 2019/7/1 / 2019年7月1日)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 10000101 <= value <= 99991231:
            value = str(int(value))
        elif 1 <= value < 2958466:
            from openpyxl.utils.datetime import from_excel  # heavy: web workers import it only here

            return from_excel(value).date()
        else:
            raise ValueError("日期格式应为 2019-07-01、2019/7/1 或 2019年7月1日")
    text = cell_text(value).split(" ")[0]
    match = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
    if not match:
        raise ValueError("日期格式应为 2019-07-01、2019/7/1 或 2019年7月1日")
    try:
        return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError(f"日期“{echo(text)}”不存在") from None


def parse_yes_no(value):
    if isinstance(value, bool):
        return value
    text = cell_text(value).upper()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError("应填写“是”或“否”")


def mask_cell(key, text):
    if key == "id_number":
        return mask_id_number(text)
    if key == "phone":
        return mask_phone(text)
    return text

