"""Open311 GeoReport v2: categories are services, concerns are service requests.

Every endpoint of the specification in JSON and XML (the format comes from the URL suffix only):
discovery, services, service definitions, POST and GET of requests, one request, token lookup.
Shapes follow the specification exactly: XML `<services><service>…`, `<service_requests><request>…`,
`<errors><error><code/><description/></error></errors>`; JSON is the same data with list roots as
top-level arrays. Identifiers and codes are always strings, date-times W3C with +08:00.

Mapping (docs/api.md has the table):
- service_request_id is the concern's public reference (GQ-2026-000123); status is `open` for
  the open workflow states and `closed` for resolved, closed, declined and merged ones;
  status_notes is the latest public timeline entry; agency_responsible the department;
  expected_datetime the working-day resolution deadline.
- Concerns not yet accepted (and declined or merged ones) are listed with their state only: their
  text, place and coordinates appear once a dispatcher has accepted them, as on the public board,
  and always with phone numbers, ID numbers and the reporter's name masked.
- POST registers a concern through services.submit_concern (channel `api`) under an API key; the
  place is the village, community or grid named by `address_id` (its area code) or found in
  `address_string` / the description, else the deployment's default intake area. Contact fields
  (names, phone, email, device and account ids) are stored encrypted and never returned.
- A key in queued mode gets a `token` at once; the worker registers the concern and
  tokens/{token} then answers with its service_request_id.

Jurisdictions (a county deployment): `jurisdiction_id` is a town's area code (区划代码,
Area.code: stable, public and already what the county's offices call the town); discovery lists
every town that has one under `jurisdictions` (an extension: clients that do not know it ignore
it). With a jurisdiction, services and service definitions offer only that town's categories (the
county catalogue plus the town's own extras), and a POST files the concern in that town; a
service_code that is another town's extra is answered 404 there, like any service the
jurisdiction does not offer. Without jurisdiction_id a single-town deployment (or one with
ZHENWU_TOWN_CODE) answers for its town as before; a deployment of several towns answers 400
asking for it on every endpoint except discovery.

Errors are answered in the specification's format with 400 (bad input), 403 (missing, wrong or
revoked api_key), 404 (unknown jurisdiction, service, request or token), 413 (body too large)
and 429 (rate limit); never with an HTML page.
"""

import datetime
import hashlib
import json
import logging
import re
import secrets
import time
from decimal import Decimal, InvalidOperation
from functools import wraps
from urllib.parse import parse_qsl
from xml.etree import ElementTree as ET

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.core.handlers.wsgi import get_bytes_from_wsgi
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.db.models import Case, Count, F, OuterRef, Subquery, When
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from zhenwu.concerns.models import (
    OPEN_STATUSES,
    PUBLIC_STATUSES,
    AttributeDatatype,
    Category,
    Channel,
    Concern,
    ConcernEvent,
    ServiceAttribute,
    Status,
)
from zhenwu.concerns.redaction import redact_text
from zhenwu.concerns.services import (
    MAX_TEXT_LENGTH,
    ConcernError,
    category_setting_for,
    check_category_in_town,
    clean_reporter_phone,
    submit_concern,
)
from zhenwu.jobs.services import JobError, enqueue_job, job_handler
from zhenwu.lib.request_context import Actor, acting_as, client_ip
from zhenwu.org.models import Area, AreaLevel
from zhenwu.workdays import calendar as workdays

from . import keys
from .models import Open311Request, Open311Status

log = logging.getLogger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-07-01T00:00:00+08:00"  # bump when the shapes served here change
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
MAX_WINDOW = datetime.timedelta(days=90)
MAX_RESULTS = 1000
MAX_IDS = 1000
MAX_FIELDS = 200
SUBMIT_JOB = "open311_submit"
INTAKE_LEVELS = (AreaLevel.VILLAGE, AreaLevel.COMMUNITY, AreaLevel.GRID)
CLOSED_STATUSES = tuple(s for s in Status if s not in OPEN_STATUSES)
ANONYMOUS_RATE_PER_MINUTE = 600

# List containers and the tag of their items, for the XML rendering.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "notes": "note",
    "jurisdictions": "jurisdiction",
}


class Open311Error(Exception):
    def __init__(self, status, description, *, code=None, headers=None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.code = code or status
        self.headers = headers or {}


# --- rendering -------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry (a stored text may hold them; the output must still parse).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value):
    if value is None:
        return None
    if value is True or value is False:
        return "true" if value else "false"
    return _XML_INVALID.sub("\ufffd", str(value))


def _xml_element(parent, tag, value):
    element = ET.SubElement(parent, tag) if parent is not None else ET.Element(tag)
    if isinstance(value, list):
        item_tag = ITEM_TAGS[tag]
        for item in value:
            _xml_element(element, item_tag, item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if item is None and key in ("lat", "long"):
                continue  # an empty element is no number; other empty fields stay, as in the spec
            _xml_element(element, key, item)
    else:
        element.text = _xml_text(value)
    return element


def render(fmt, root, data, *, status=200, headers=None):
    """`data` (a list for list roots, a dict otherwise) as the specification's JSON or XML."""
    if fmt == "xml":
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
            _xml_element(None, root, data), encoding="unicode"
        )
    else:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _response(fmt, body.encode("utf-8"), status=status, headers=headers)


def _response(fmt, body, *, status=200, headers=None):
    response = HttpResponse(body, status=status, content_type=FORMATS[fmt])
    response["Access-Control-Allow-Origin"] = "*"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(fmt, status, description, *, code=None, headers=None):
    errors = [{"code": str(code or status), "description": description}]
    return render(fmt if fmt in FORMATS else "json", "errors", errors, status=status, headers=headers)


def w3c(value, zone=None):
    """A W3C date-time in local time with its offset: 2026-10-08T09:30:00+08:00. A list passes the
    `zone` it looked up once: timezone.localtime finds the current zone through a context-local,
    which cost 5 us a call, most of a 1,000-request page's rendering."""
    if value is None:
        return None
    if zone is None:
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.astimezone(zone).isoformat(timespec="seconds")


# --- input -----------------------------------------------------------------------------------


class Params:
    """Parameters from the query string and a form-encoded body (the body wins), decoded as strict
    UTF-8. `get` treats an empty value like an absent one, as the specification asks."""

    def __init__(self, pairs):
        self.lists = {}
        for key, value in pairs:
            self.lists.setdefault(key, []).append(value)

    def get(self, name, default=""):
        values = self.lists.get(name)
        return values[-1].strip() if values else default

    def raw(self, name):
        values = self.lists.get(name)
        return values[-1] if values else ""

    def attributes(self):
        """{code: [values]} from attribute[code]=v and attribute[code][]=v."""
        found = {}
        for key, values in self.lists.items():
            match = re.fullmatch(r"attribute\[([^\[\]]{1,60})\](\[\])?", key)
            if match:
                found.setdefault(match.group(1), []).extend(v.strip() for v in values if v.strip())
        return found


def _pairs(raw, what):
    try:
        text = raw.decode("utf-8")
        return parse_qsl(
            text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=MAX_FIELDS
        )
    except UnicodeDecodeError:
        raise Open311Error(400, f"{what}不是有效的UTF-8编码") from None
    except ValueError:
        raise Open311Error(400, f"{what}的参数过多（最多{MAX_FIELDS}个）") from None


def _query_bytes(request):
    try:
        return get_bytes_from_wsgi(request.META, "QUERY_STRING", "")
    except UnicodeEncodeError:
        return request.META.get("QUERY_STRING", "").encode("utf-8")


def read_params(request, *, body=False):
    pairs = _pairs(_query_bytes(request), "查询参数")
    if body:
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type == "multipart/form-data":
            try:
                pairs += [(k, v) for k, values in request.POST.lists() for v in values]
            except TooManyFieldsSent:
                raise Open311Error(400, f"请求体的参数过多（最多{MAX_FIELDS}个）") from None
        else:
            data = request.body
            if data.strip():
                if content_type not in ("application/x-www-form-urlencoded", ""):
                    raise Open311Error(400, "请求体须为 application/x-www-form-urlencoded 表单")
                pairs += _pairs(data, "请求体")
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        raise Open311Error(400, "参数中不能含有空字符")
    return Params(pairs)


_DATE_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)\s*(Z|[+\- ]\d{2}:?\d{2})?)?$"
)


def parse_w3c(value, name):
    """A W3C-DTF date or date-time. A date means its start (local time); a date-time without an
    offset is local time; a '+' that a client forgot to escape arrives as a space and is read back."""
    match = _DATE_RE.match(value)
    if not match:
        raise Open311Error(400, f"{name}格式不正确，应为W3C日期时间，如2026-10-01T08:00:00+08:00")
    day, clock, zone = match.groups()
    text = day + ("T" + clock if clock else "T00:00:00")
    if zone:
        zone = "+" + zone[1:] if zone[0] == " " else zone
        text += "+00:00" if zone == "Z" else zone
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(400, f"{name}不是有效的日期时间") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=workdays.local_zone())
    return parsed


def _number(value, name, *, low, high):
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Open311Error(400, f"{name}格式不正确，应为数字") from None
    if not number.is_finite() or not (low <= number <= high):
        raise Open311Error(400, f"{name}超出范围（{low}到{high}）")
    return number


def _positive_int(value, name, *, default, maximum):
    if not value:
        return default
    if not value.isdigit() or not (1 <= int(value) <= maximum):
        raise Open311Error(400, f"{name}须为1到{maximum}之间的整数")
    return int(value)


# --- jurisdiction, services ------------------------------------------------------------------


def jurisdiction(params):
    """The town a request is about: by `jurisdiction_id` (a town's area code), else the default
    (settings.ZHENWU_TOWN_CODE, or the only town). 404 for an unknown one, 400 when a deployment
    with several towns and no default is asked without one."""
    code = params.get("jurisdiction_id")
    towns = Area.objects.filter(level=AreaLevel.TOWN)
    if code:
        town = towns.filter(code=code).first()
        if town is None:
            raise Open311Error(404, f"jurisdiction_id“{code[:40]}”不存在")
        return town
    default = getattr(settings, "ZHENWU_TOWN_CODE", "")
    if default:
        town = towns.filter(code=default).first()
        if town is not None:
            return town
    found = list(towns[:2])
    if len(found) == 1:
        return found[0]
    raise Open311Error(400, "请提供jurisdiction_id（本系统服务多个镇，填写镇的区划代码）")


def _service(category):
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or None,
        "metadata": bool(category.attribute_count),
        "type": "realtime",
        "keywords": ",".join(k for k in re.split(r"[\s,，、]+", category.keywords) if k) or None,
        "group": category.group or None,
    }


def _attribute(attribute):
    return {
        "variable": True,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": attribute.datatype_description or None,
        "order": attribute.order,
        "description": attribute.description,
        "values": [{"key": key, "name": name} for key, name in attribute.choices],
    }


def _active_category(code, town):
    category = Category.objects.filter(code=code, is_active=True).first() if code else None
    if category is None:
        raise Open311Error(404, f"service_code“{code[:40]}”不存在")
    _check_offered(category, town)
    return category


def _check_offered(category, town):
    """Another town's own extra category is not a service of this jurisdiction (the concerns' own
    rule, check_category_in_town, answered as Open311's 404)."""
    try:
        check_category_in_town(category, town_id=town.pk)
    except ConcernError:
        raise Open311Error(404, f"service_code“{category.code[:40]}”不是{town.name}的服务（是其他镇自设的类别）") from None


# --- views -----------------------------------------------------------------------------------


def open311_view(methods, *, keyed=()):
    """The frame of every endpoint: allowed methods, CSRF exemption (clients are not browsers),
    the per-address rate limit, and every failure turned into the specification's error format.
    Requests of the `keyed` methods name an API key and are counted in its bucket instead (by
    the view; a wrong key is counted by address there)."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, fmt="json", **kwargs):
            if fmt not in FORMATS:
                return error_response("json", 404, "不支持的格式，请使用 .json 或 .xml")
            if request.method not in methods:
                response = error_response(fmt, 405, f"此地址不支持{request.method}请求")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                if request.method not in keyed:
                    _count_address(request)
                return view(request, fmt, *args, **kwargs)
            except Open311Error as exc:
                return error_response(fmt, exc.status, exc.description, code=exc.code, headers=exc.headers)
            except ConcernError as exc:
                return error_response(fmt, 400, _field_message(exc))
            except RequestDataTooBig:
                limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
                return error_response(fmt, 413, f"请求体过大（上限{limit}MB）")
            except Exception:
                log.exception("open311 %s %s failed", request.method, request.path)
                return error_response(fmt, 500, "系统错误，请稍后再试")

        return wrapper

    return decorator


def _anonymous_rate():
    return getattr(settings, "ZHENWU_OPEN311_RATE_PER_MINUTE", ANONYMOUS_RATE_PER_MINUTE)


def _count_address(request):
    """The per-address limit of requests without a valid key (readers, wrong keys)."""
    ok, retry = keys.allow_request(f"open311:ip:{client_ip(request)}", _anonymous_rate())
    if not ok:
        raise Open311Error(429, "请求过于频繁，请稍后再试", headers={"Retry-After": str(retry)})


_FIELD_NAMES = {
    "text": "description",
    "title": "description",
    "reporter_phone": "phone",
    "reporter_name": "first_name/last_name",
    "latitude": "lat",
    "longitude": "long",
    "address": "address_string",
    "category": "service_code",
    "area": "address_id",
}


def _field_message(exc):
    name = _FIELD_NAMES.get(exc.field or "")
    return f"{name}：{exc.message}" if name else exc.message


def jurisdictions():
    """The towns a client may name in jurisdiction_id: every town with an area code."""
    towns = Area.objects.filter(level=AreaLevel.TOWN).exclude(code="").order_by("code")
    return [{"jurisdiction_id": town.code, "name": town.name} for town in towns]


@open311_view(("GET",))
def discovery(request, fmt):
    base = request.build_absolute_uri("/open311/v2/")
    data = {
        "changeset": CHANGESET,
        "contact": getattr(settings, "ZHENWU_OPEN311_CONTACT", "镇党政办（民情受理中心）"),
        "key_service": "接口密钥由镇管理员在“接口密钥”页面创建，或在服务器上运行 python manage.py open311_key 名称",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "test" if settings.DEBUG else "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
        "jurisdictions": jurisdictions(),
    }
    return render(fmt, "discovery", data)


def _categories(town):
    return (
        Category.objects.for_town(town.pk)
        .filter(is_active=True)
        .annotate(attribute_count=Count("attributes"))
    )


@open311_view(("GET",))
def service_list(request, fmt):
    town = jurisdiction(read_params(request))
    return render(fmt, "services", [_service(c) for c in _categories(town)])


@open311_view(("GET",))
def service_definition(request, fmt, code):
    town = jurisdiction(read_params(request))
    category = _active_category(code, town)
    attributes = category.attributes.order_by("order")
    return render(
        fmt,
        "service_definition",
        {"service_code": category.code, "attributes": [_attribute(a) for a in attributes]},
    )


@open311_view(("GET", "POST"), keyed=("POST",))
def requests_endpoint(request, fmt):
    if request.method == "POST":
        return _post_request(request, fmt)
    return _get_requests(request, fmt)


@open311_view(("GET",))
def request_detail(request, fmt, request_id):
    town = jurisdiction(read_params(request))
    concern = _request_rows(Concern.objects.filter(town=town, reference=request_id)).first()
    if concern is None:
        raise Open311Error(404, f"service_request_id“{request_id[:40]}”不存在")
    return render(fmt, "service_requests", [_request(concern)])


@open311_view(("GET",))
def token_detail(request, fmt, token):
    jurisdiction(read_params(request))
    record = Open311Request.objects.filter(token=token).select_related("concern").first()
    if record is None:
        raise Open311Error(404, f"token“{token[:40]}”不存在")
    if record.status == Open311Status.FAILED:
        raise Open311Error(400, f"该请求未能登记：{record.error}")
    request_id = record.concern.reference if record.concern_id else None
    return render(fmt, "service_requests", [{"service_request_id": request_id, "token": record.token}])


@csrf_exempt
def not_found(request, rest=""):
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return error_response(fmt, 404, "没有这个接口地址，请查看 /open311/v2/discovery.json")


# --- GET requests ----------------------------------------------------------------------------


def _latest_public_note():
    return Subquery(
        ConcernEvent.objects.filter(concern=OuterRef("pk"), is_public=True)
        .exclude(public_text="")
        .order_by("-at", "-id")
        .values("public_text")[:1]
    )


# Read as plain values: a page of up to 1,000 requests is rendered without building model
# instances (three per row with the joins), which was most of its time at a million concerns.
ROW_FIELDS = (
    "reference", "status", "text", "address", "latitude", "longitude", "reporter_name", "received_at",
    "resolution_due", "category__code", "category__name", "department__name", "open311__address_id",
    "open311__media_url",
)


def _updated():
    """updated_datetime: a closed request's closing (or resolution) time, else its last change;
    computed by the database, so a row carries one timestamp to parse instead of three."""
    return Case(
        When(status__in=CLOSED_STATUSES, then=Coalesce("closed_at", "resolved_at", "updated_at")),
        default=F("updated_at"),
    )


def _request_rows(queryset):
    return queryset.annotate(latest_note=_latest_public_note(), updated=_updated()).values(
        *ROW_FIELDS, "latest_note", "updated"
    )


def _request(row, zone=None):
    """One concern (a row of _request_rows) as a GeoReport v2 `request`; `zone`: the current time
    zone, looked up once for a list (see w3c)."""
    zone = zone or timezone.get_current_timezone()
    public = row["status"] in PUBLIC_STATUSES
    closed = row["status"] not in OPEN_STATUSES
    names = (row["reporter_name"],)
    note = row["latest_note"]
    return {
        "service_request_id": row["reference"],
        "status": "closed" if closed else "open",
        "status_notes": redact_text(note, names=names) if note else None,
        "service_name": row["category__name"],
        "service_code": row["category__code"],
        "description": redact_text(row["text"], names=names) if public else None,
        "agency_responsible": row["department__name"],
        "service_notice": None,
        "requested_datetime": w3c(row["received_at"], zone),
        "updated_datetime": w3c(row["updated"], zone),
        "expected_datetime": w3c(row["resolution_due"], zone),
        "address": redact_text(row["address"], names=names) if public and row["address"] else None,
        "address_id": (row["open311__address_id"] or None) if public else None,
        "zipcode": None,
        "lat": float(row["latitude"]) if public and row["latitude"] is not None else None,
        "long": float(row["longitude"]) if public and row["longitude"] is not None else None,
        "media_url": (row["open311__media_url"] or None) if public else None,
    }


def _get_requests(request, fmt):
    params = read_params(request)
    town = jurisdiction(params)
    queryset = Concern.objects.filter(town=town)
    ids = [i.strip() for i in params.get("service_request_id").split(",") if i.strip()]
    if ids:
        if len(ids) > MAX_IDS:
            raise Open311Error(400, f"service_request_id最多{MAX_IDS}个")
        queryset = queryset.filter(reference__in=ids)
    else:
        codes = [c.strip() for c in params.get("service_code").split(",") if c.strip()]
        if codes:
            queryset = queryset.filter(category__code__in=codes)
        statuses = [s.strip().lower() for s in params.get("status").split(",") if s.strip()]
        if any(s not in ("open", "closed") for s in statuses):
            raise Open311Error(400, "status只能是open或closed（可用逗号分隔）")
        if statuses and set(statuses) != {"open", "closed"}:
            queryset = queryset.filter(
                status__in=OPEN_STATUSES if statuses[0] == "open" else CLOSED_STATUSES
            )
        start, end = params.get("start_date"), params.get("end_date")
        start = parse_w3c(start, "start_date") if start else None
        end = parse_w3c(end, "end_date") if end else None
        if start and end:
            if end < start:
                raise Open311Error(400, "end_date不能早于start_date")
            if end - start > MAX_WINDOW:
                raise Open311Error(400, "start_date与end_date相隔不能超过90天")
        elif start:
            end = start + MAX_WINDOW
        else:
            end = end or timezone.now()
            start = end - MAX_WINDOW
        queryset = queryset.filter(received_at__gte=start, received_at__lte=end)
    page = _positive_int(params.get("page"), "page", default=1, maximum=1_000_000)
    page_size = _positive_int(params.get("page_size"), "page_size", default=MAX_RESULTS, maximum=MAX_RESULTS)
    key = None
    seconds = getattr(settings, "ZHENWU_OPEN311_LIST_CACHE_SECONDS", LIST_CACHE_SECONDS)
    if not ids and seconds > 0:
        key = _list_cache_key(request, fmt, town)
        kept = cache.get(key)
        if kept is not None:
            body, headers = kept
            return _response(fmt, body, headers=headers)
    response = _list_response(request, fmt, queryset, page, page_size)
    if key is not None:
        cache.set(key, (response.content, {"Link": response["Link"]} if response.has_header("Link") else {}), seconds)
    return response


# A list of requests (no service_request_id) is kept this long per query: a public feed, read by
# aggregators that poll it, and its default page is a thousand requests (38 ms of CPU on a town of
# 20,000 concerns). A request is seen in the list at most this late; its own URL
# (requests/<id>.json) and service_request_id queries are always read live.
LIST_CACHE_SECONDS = 60


def _list_cache_key(request, fmt, town):
    query = sorted((k, v) for k, values in request.GET.lists() for v in values)
    chosen = [town.pk, fmt, request.build_absolute_uri(request.path), query]
    return "open311:requests:" + hashlib.sha256(json.dumps(chosen, ensure_ascii=False).encode()).hexdigest()


def _list_response(request, fmt, queryset, page, page_size):
    offset = (page - 1) * page_size
    rows = list(_request_rows(queryset.order_by("-received_at", "-id"))[offset : offset + page_size + 1])
    headers = {}
    if len(rows) > page_size:
        rows = rows[:page_size]
        query = request.GET.copy()
        query["page"] = str(page + 1)
        query["page_size"] = str(page_size)
        headers["Link"] = f'<{request.build_absolute_uri(request.path)}?{query.urlencode()}>; rel="next"'
    zone = timezone.get_current_timezone()
    return render(fmt, "service_requests", [_request(c, zone) for c in rows], headers=headers)


# --- POST requests ---------------------------------------------------------------------------


CONFIG_TTL = 30  # seconds a POST may use a cached category, its questions and the town's places
_CONFIG = {}  # key -> (monotonic expiry, value), per process


def _cached(key, build):
    """Configuration rows read on every POST, kept briefly in this process (a change to a
    category's questions or the area tree reaches the endpoint within CONFIG_TTL). In process
    memory rather than the shared cache: the file cache of a one-machine deployment read and
    unpickled them from disk on every POST (0.37 ms of 7.5)."""
    now = time.monotonic()
    hit = _CONFIG.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = build()
    if len(_CONFIG) >= 1000:
        _CONFIG.clear()
    _CONFIG[key] = (now + CONFIG_TTL, value)
    return value


def clear_config_cache():
    """Forget the cached configuration (tests; after bulk changes in a shell)."""
    _CONFIG.clear()


def _post_category(code):
    """(category, its questions by code) for a POST; the register step re-reads the category."""
    if not code or len(code) > 40:
        raise Open311Error(404, f"service_code“{code[:40]}”不存在")

    def build():
        category = Category.objects.filter(code=code, is_active=True).first()
        if category is None:
            return ()
        return category, list(ServiceAttribute.objects.filter(category=category).order_by("order"))

    found = _cached(f"zhenwu:open311:category:{hashlib.sha256(code.encode()).hexdigest()}", build)
    if not found:
        raise Open311Error(404, f"service_code“{code[:40]}”不存在")
    category, questions = found
    return category, {q.code: q for q in questions}


def _check_attributes(questions, answers):
    """The answers validated against the category's questions: {code: value or [values]}."""
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise Open311Error(400, f"attribute[{unknown[0][:40]}]不是该服务的补充问题")
    checked = {}
    for code, question in questions.items():
        values = answers.get(code, [])
        if not values:
            if question.required:
                raise Open311Error(400, f"请填写必填的补充问题attribute[{code}]（{question.description}）")
            continue
        label = f"attribute[{code}]"
        if question.datatype == AttributeDatatype.MULTI:
            allowed = {key for key, _ in question.choices}
            bad = [v for v in values if v not in allowed]
            if bad:
                raise Open311Error(400, f"{label}的取值“{bad[0][:40]}”不在可选项中")
            checked[code] = list(dict.fromkeys(values))
            continue
        if len(values) > 1:
            raise Open311Error(400, f"{label}只能有一个值")
        value = values[0]
        if question.datatype == AttributeDatatype.SINGLE:
            if value not in {key for key, _ in question.choices}:
                raise Open311Error(400, f"{label}的取值“{value[:40]}”不在可选项中")
        elif question.datatype == AttributeDatatype.NUMBER:
            try:
                number = Decimal(value)
            except InvalidOperation:
                raise Open311Error(400, f"{label}须为数字") from None
            if not number.is_finite():
                raise Open311Error(400, f"{label}须为数字")
        elif question.datatype == AttributeDatatype.DATETIME:
            value = w3c(parse_w3c(value, label))
        elif question.datatype == AttributeDatatype.STRING and len(value) > 200:
            raise Open311Error(400, f"{label}不能超过200字")
        elif len(value) > MAX_TEXT_LENGTH:
            raise Open311Error(400, f"{label}不能超过{MAX_TEXT_LENGTH}字")
        checked[code] = value
    return checked


def _answer_text(questions, answers):
    lines = []
    for code, value in answers.items():
        question = questions[code]
        if question.is_list:
            names = dict(question.choices)
            shown = "、".join(names.get(v, v) for v in (value if isinstance(value, list) else [value]))
        else:
            shown = value
        lines.append(f"{question.description}：{shown}")
    return "\n".join(lines)


def _intake_areas(town):
    return _cached(
        f"zhenwu:open311:areas:{town.pk}",
        lambda: list(
            Area.objects.filter(path__startswith=town.path, level__in=INTAKE_LEVELS).only(
                "id", "name", "code", "level", "path", "depth", "numchild"
            )
        ),
    )


def _area_for(town, *, address_id, texts):
    """The village, community or grid of a new request (see the module docstring)."""
    areas = _intake_areas(town)
    if address_id:
        for area in areas:
            if area.code and area.code == address_id:
                return area
        raise Open311Error(400, "address_id须为本镇村(社区)或网格的区划代码")
    for text in texts:
        if not text:
            continue
        named = [a for a in areas if len(a.name) >= 2 and a.name in text]
        if named:
            # The most specific place named: a grid before its village, a longer name first.
            return max(named, key=lambda a: (a.level == AreaLevel.GRID, len(a.name)))
    default = getattr(settings, "ZHENWU_OPEN311_DEFAULT_AREA", "")
    for area in areas:
        if default and area.code == default:
            return area
    villages = sorted((a for a in areas if a.level != AreaLevel.GRID), key=lambda a: a.path)
    if not villages:
        raise Open311Error(400, "本镇尚未设置村(社区)，无法受理")
    return villages[0]


def _clean(params, name, limit):
    value = params.get(name)
    if len(value) > limit:
        raise Open311Error(400, f"{name}不能超过{limit}字")
    return value


def _post_request(request, fmt):
    try:
        params = read_params(request, body=True)
    except Open311Error:
        _count_address(request)  # a malformed request has no key to count it by
        raise
    api_key = keys.authenticate_api_key(params.get("api_key"))
    if api_key is None:
        _count_address(request)  # guessing keys is limited by address
        raise Open311Error(403, "api_key缺失、无效或已吊销")
    ok, retry = keys.allow_request(f"open311:key:{api_key.pk}", api_key.rate_limit_per_minute)
    if not ok:
        raise Open311Error(
            429, f"超过该密钥每分钟{api_key.rate_limit_per_minute}次的上限", headers={"Retry-After": str(retry)}
        )
    town = jurisdiction(params)
    code = params.get("service_code")
    if not code:
        raise Open311Error(400, "请提供service_code")
    category, questions = _post_category(code)
    _check_offered(category, town)

    lat, long = params.get("lat"), params.get("long")
    if bool(lat) != bool(long):
        raise Open311Error(400, "lat和long须同时提供")
    latitude = _number(lat, "lat", low=-90, high=90) if lat else None
    longitude = _number(long, "long", low=-180, high=180) if long else None
    address = _clean(params, "address_string", 200)
    address_id = _clean(params, "address_id", 60)
    if latitude is None and not address and not address_id:
        raise Open311Error(400, "请提供位置：lat和long、address_string或address_id")

    description = params.raw("description").strip()
    if len(description) > MAX_TEXT_LENGTH:
        raise Open311Error(400, f"description不能超过{MAX_TEXT_LENGTH}字（现为{len(description)}字）")
    answers = _check_attributes(questions, params.attributes())
    media_url = _clean(params, "media_url", 500)
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise Open311Error(400, "media_url须为http或https链接") from None
    email = _clean(params, "email", 254)
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise Open311Error(400, "email格式不正确") from None
    contact = {
        name: _clean(params, name, 100)
        for name in ("first_name", "last_name", "device_id", "account_id")
        if params.get(name)
    }
    if email:
        contact["email"] = email
    reporter_name = (contact.get("last_name", "") + contact.get("first_name", "")).strip()[:50]
    phone = _clean(params, "phone", 30)

    area = _area_for(town, address_id=address_id, texts=(address, description))
    text = "\n\n".join(
        part for part in (description, _answer_text(questions, answers)) if part
    ) or f"（{category.name}，经接口提交，未填写描述）{address}"
    submission = {
        "text": text,
        "category": category.pk,
        "area": area.pk,
        "reporter_name": reporter_name,
        "reporter_phone": phone,
        "latitude": str(latitude) if latitude is not None else None,
        "longitude": str(longitude) if longitude is not None else None,
        "address": address,
        "received_at": timezone.now().isoformat(),
    }
    if len(text) > MAX_TEXT_LENGTH:
        raise Open311Error(400, f"description与补充问题合计不能超过{MAX_TEXT_LENGTH}字")
    record = Open311Request(
        token=secrets.token_urlsafe(18),
        api_key=api_key,
        category=category,
        attributes=answers,
        media_url=media_url,
        address_id=address_id,
        contact=contact or {},
    )
    actor = Actor(
        user_id=None,
        label=f"Open311:{api_key.name}"[:80],
        ip=client_ip(request),
        request_id=getattr(request, "request_id", ""),
    )
    if api_key.queued:
        # Checked now (a bad phone number fails here, not in the worker); registered by the worker.
        clean_reporter_phone(phone)
        with transaction.atomic():
            record.status = Open311Status.QUEUED
            record.submission = submission
            record.save()
            enqueue_job(kind=SUBMIT_JOB, payload={"open311_request": record.pk})
        return render(fmt, "service_requests", [{"token": record.token, "service_notice": "已排队，稍后可凭token查询编号"}])
    with acting_as(actor):
        concern = _register(record, submission)
    days = category_setting_for(category, town_id=concern.town_id).resolution_limit_days
    notice = f"已登记，编号{concern.reference}；办结时限{days}个工作日"
    return render(
        fmt, "service_requests", [{"service_request_id": concern.reference, "service_notice": notice}]
    )


@transaction.atomic
def _register(record, submission):
    """Register the concern of an Open311 request and link the request to it (both or neither)."""
    # Re-read: the POST saw them through a short-lived cache, and the worker runs later still.
    category = Category.objects.filter(pk=submission["category"]).first()
    if category is None:
        raise ConcernError("该类别已不存在", field="category")
    area = Area.objects.filter(pk=submission["area"]).first()
    if area is None:
        raise ConcernError("所在村(社区)或网格已不存在", field="area")
    result = submit_concern(
        text=submission["text"],
        category=category,
        area=area,
        channel=Channel.API,
        reporter_name=submission["reporter_name"],
        reporter_phone=submission["reporter_phone"],
        latitude=submission["latitude"],
        longitude=submission["longitude"],
        address=submission["address"],
        received_at=datetime.datetime.fromisoformat(submission["received_at"]),
    )
    record.concern = result.concern
    record.status = Open311Status.DONE
    record.submission = {}
    record.save()
    return result.concern


@job_handler(SUBMIT_JOB)
def run_queued_submission(job, report):
    """The worker's half of a queued POST: register the concern, or record why it could not be."""
    record = Open311Request.objects.select_related("api_key").get(pk=job.payload["open311_request"])
    if record.status != Open311Status.QUEUED:
        return {"message": "已处理"}
    try:
        with acting_as(Actor(user_id=None, label=f"Open311:{record.api_key.name}"[:80])):
            concern = _register(record, record.submission)
    except ConcernError as exc:
        Open311Request.objects.filter(pk=record.pk).update(
            status=Open311Status.FAILED, error=_field_message(exc)[:300], submission={}
        )
        raise JobError(f"Open311请求未能登记：{exc.message}") from None
    return {"message": f"已登记{concern.reference}"}
