"""The two roster layouts: their columns (header, aliases, help, width) and how a header cell is
matched to a column. The import reads them, the templates and the export write them."""

import re
from dataclasses import dataclass

from ..models import SENSITIVE_TAGS, ResidentTag

RESIDENTS = "residents"
MEMBERS = "members"
KIND_LABELS = {RESIDENTS: "住户花名册", MEMBERS: "党员花名册"}
KINDS = tuple(KIND_LABELS)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool  # the column must be present (its cells may still be optional, see help)
    help: str
    aliases: tuple = ()
    width: int = 14
    text: bool = False  # formatted as text in templates so Excel keeps every digit


TAG_LABELS = "、".join(t.label for t in ResidentTag)
_SENSITIVE_LABELS = "、".join(ResidentTag(t).label for t in ResidentTag if t in SENSITIVE_TAGS)

RESIDENT_COLUMNS = (
    Column("village", "村(社区)", True, "必填。村或社区名称，与系统中的名称一致（见下方“可填写的村(社区)和网格”）",
           ("村", "社区", "村/社区", "村（社区）", "村居", "所在村(社区)"), 12),
    Column("grid", "网格", True, "必填。该村(社区)下的网格名称", ("所在网格", "网格名称"), 16),
    Column("household", "户编号", True,
           "必填。同一户的成员填写相同的户编号；系统中已有该户编号时，本行居民加入该户", ("户号",), 12, True),
    Column("address", "地址", False, "新户必填（同一户填写一次即可，多次填写须一致）", ("住址", "家庭住址"), 24),
    Column("name", "姓名", True, "必填", (), 10),
    Column("gender", "性别", False, "男 / 女；不填则按身份证号判断", (), 6),
    Column("relation", "与户主关系", False, "如 户主、配偶、子、女、父亲、母亲", ("关系",), 10),
    Column("id_number", "身份证号", True,
           "18位公民身份号码（末位可为X）；请把本列设为“文本”格式，否则 Excel 会丢失末尾数字；无证件可留空",
           ("身份证号码", "公民身份号码", "身份证"), 22, True),
    Column("phone", "联系电话", False, "11位手机号", ("电话", "手机", "手机号", "手机号码", "联系方式"), 14, True),
    Column("tags", "标签", False,
           f"可选，多个用“、”或逗号分隔：{TAG_LABELS}。其中{_SENSITIVE_LABELS}为敏感信息，加密保存",
           ("人员标签", "特殊人群"), 20),
)

MEMBER_COLUMNS = (
    Column("name", "姓名", True, "必填", (), 10),
    Column("gender", "性别", False, "男 / 女；不填则按身份证号判断", (), 6),
    Column("id_number", "身份证号", True, "必填。18位公民身份号码；请把本列设为“文本”格式",
           ("身份证号码", "公民身份号码", "身份证"), 22, True),
    Column("phone", "联系电话", False, "11位手机号", ("电话", "手机", "手机号", "手机号码", "联系方式"), 14, True),
    Column("party_org", "所在党组织", True,
           "必填。党组织名称，与系统中的名称一致；名称重复时写“上级组织/本组织”",
           ("党组织", "所在支部", "所在党支部", "党支部"), 20),
    Column("joined_on", "入党日期", False, "如 2019-07-01、2019/7/1 或 2019年7月1日", ("入党时间",), 12),
    Column("status", "党员类型", False, "正式党员 / 预备党员；不填为正式党员", ("党员类别", "类型"), 10),
    Column("is_migrant", "流动党员", False, "是 / 否；填“是”时须填写流出地", (), 9),
    Column("migrant_location", "流出地", False, "流动党员外出所在地，如 广东省东莞市", ("外出地", "流入地"), 16),
    Column("is_elderly", "年老体弱", False, "是 / 否", (), 9),
    Column("is_ill", "患病/残疾", False, "是 / 否", ("患病残疾", "患病或残疾"), 9),
    Column("household", "户编号", False,
           "可选。填写时，本党员关联到该户中身份证号相同的居民；不填时按身份证号自动关联", ("户号",), 12, True),
)

LAYOUTS = {RESIDENTS: RESIDENT_COLUMNS, MEMBERS: MEMBER_COLUMNS}


def norm_header(value):
    text = str(value or "").replace("（", "(").replace("）", ")").replace("＊", "*")
    text = re.sub(r"\s+", "", text).strip("*")
    return re.sub(r"\((必填|选填|可选|是/否|是或否)\)$", "", text)


def header_lookup(columns):
    lookup = {}
    for col in columns:
        for name in (col.header, *col.aliases):
            lookup[norm_header(name)] = col
    return lookup

