"""Pages residents use without an account, phone first (most open them inside WeChat):

- the phone form (/concerns/report/), which offers similar concerns already on the board while the
  resident types, and answers with the reference number and the private follow link;
- the private follow page (/concerns/follow/<reference>/<token>/): the public timeline, project
  progress, adding information and photos, and the call-back once the concern is resolved;
- the public board 公示栏 (/concerns/board/), its detail pages, and the department rates.

Nothing here shows a reporter's name or phone: the board renders concern text through
zhenwu.concerns.redaction, and names units, never staff. Photos are served through views that
check the concern is public (board) or the link is valid (follow page); there is no public media
tree. Wrong follow links get a Chinese 404, and an address that keeps trying wrong links is
refused for a while (the tokens are 256-bit random values; this is defence in depth).
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenwu.lib import http_errors, ratelimits
from zhenwu.lib.form_errors import attach_errors
from zhenwu.lib.params import int_or_none
from zhenwu.org.models import Area, AreaLevel, Department
from zhenwu.workdays import calendar as workdays

from .. import access, rates_summary, services
from ..board import board_filters, board_query_text
from ..forms_public import (
    GARBLED,
    AddInformationForm,
    AddPhotosForm,
    CallBackForm,
    FollowForm,
    ReportForm,
    new_submission_key,
    served_towns,
)
from ..models import (
    MAX_PHOTOS_PER_CONCERN,
    PUBLIC_STATUSES,
    CallBackChannel,
    Category,
    Channel,
    Concern,
    ConcernEvent,
    ConcernPhoto,
    EventKind,
    PhotoKind,
    Project,
    ProjectStage,
    Status,
)
from ..photos import is_visible, split_photos, visible_photos
from ..rates import EMPTY_LABELS, SKIP, combine_rows, group_labels, summarise
from ..redaction import redact_concern_text, redact_text
from ..report_form_cache import FRAGMENT_SECONDS, report_form_state
from ..similar import find_similar_concerns

PAGE_SIZE = 20
SIMILAR_MIN_CHARS = 6
SIMILAR_MAX_CHARS = 500

# (attempts, seconds) per client address; settings may override either.
FOLLOW_FAILURE_LIMIT = (30, 600)  # wrong follow links before the address is refused
SIMILAR_LIMIT = (120, 60)  # similar-concern look-ups (each segments its text)

# Events a reporter sees on their own follow page besides the public ones: what they added.
REPORTER_OWN_KINDS = (EventKind.REPORTER_ADDED, EventKind.PHOTO_ADDED)


# --- small helpers ---------------------------------------------------------------------------


def _limit(name, default):
    return getattr(settings, f"ZHENWU_{name}", default)


def _over_limit(request, scope, limit):
    return ratelimits.over_limit(request, group=f"zhenwu.concerns.{scope}", limit=limit)


def _count_attempt(request, scope, limit):
    ratelimits.count_attempt(request, group=f"zhenwu.concerns.{scope}", limit=limit)


def _too_many(request):
    return render(request, "concerns/public_too_many.html", status=429)


def _not_found(request, *, title="没有找到该诉求", message=""):
    return render(request, "concerns/public_not_found.html", {"title": title, "message": message}, status=404)


class _Page:
    """One page of a list without counting the whole table (the board may hold a county's
    millions of concerns): fetch one row more than shown to know whether a next page exists."""

    def __init__(self, queryset, number, size=PAGE_SIZE):
        self.number = max(1, min(number or 1, 10_000))
        offset = (self.number - 1) * size
        rows = list(queryset[offset : offset + size + 1])
        self.object_list = rows[:size]
        self.has_next = len(rows) > size
        self.has_previous = self.number > 1
        self.next_page_number = self.number + 1
        self.previous_page_number = self.number - 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


def _pick(options, value):
    pk = int_or_none(value)
    return next((o for o in options if o.pk == pk), None)


def _local_day(value):
    return workdays.local_date(value) if value else None


# --- what the follow page and the board detail share -----------------------------------------


def _timeline(concern, *, redact, include_own=False):
    """The concern's public events (plus, for its reporter, what they added), oldest first, as
    dicts the templates render; each names a unit or the resident, never a member of staff."""
    events = ConcernEvent.objects.filter(concern=concern).select_related("department")
    if include_own:
        events = events.filter(Q(is_public=True) | Q(kind__in=REPORTER_OWN_KINDS))
    else:
        events = events.filter(is_public=True)
    items = []
    for event in events.order_by("at", "id"):
        if event.kind == EventKind.REPORTER_ADDED:
            text = event.internal_note
        elif event.kind == EventKind.PHOTO_ADDED:
            text = f"补充照片{(event.data or {}).get('photos', '')}张"
        else:
            text = event.public_text
        if redact:
            text = redact_concern_text(concern, text)
        items.append(
            {
                "at": event.at,
                "label": event.get_kind_display(),
                "kind": event.kind,
                "actor": event.public_actor_label,
                "text": text,
                "reason": event.reason if event.kind == EventKind.DECLINED else "",
            }
        )
    return items


def _project(concern):
    if concern.project_id is None:
        return None
    return (
        Project.objects.filter(pk=concern.project_id)
        .select_related("department")
        .prefetch_related(Prefetch("stages", queryset=ProjectStage.objects.order_by("order")))
        .first()
    )


def _concern_context(concern, *, redact, include_own=False, now=None):
    """`include_own`: the reporter's own view (their private link), which also shows what they
    added: their updates and their photos, published or not."""
    now = now or timezone.now()
    every_photo = list(
        concern.photos.order_by("uploaded_at", "id").only("id", "concern_id", "kind", "is_public")
    )
    reported, resolution = split_photos([p for p in every_photo if is_visible(p, reporter=include_own)])
    return {
        "concern": concern,
        "title": redact_concern_text(concern, concern.title) if redact else concern.title,
        "text": redact_concern_text(concern, concern.text) if redact else concern.text,
        "timeline": _timeline(concern, redact=redact, include_own=include_own),
        "photos": reported,
        "reported_photo_count": sum(1 for p in every_photo if p.kind == PhotoKind.REPORTED),
        "before_photos": resolution["before"],
        "after_photos": resolution["after"],
        "project": _project(concern),
        "due_day": _local_day(concern.resolution_due),
        "overdue": concern.is_overdue(now),
        "received_day": _local_day(concern.received_at),
    }


def _serve_photo(photo, *, cache_control):
    try:
        handle = photo.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("照片文件不存在") from None
    response = FileResponse(handle, content_type=photo.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = cache_control
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- the phone form --------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def report(request):
    """The resident's phone form. A POST with the key of an earlier successful submission (a
    double tap, a retried request, the back button) shows that concern again, never a new one."""
    photos_lost = False
    status = 200
    if request.method == "POST":
        if ratelimits.anonymous_write_refused(request, scope="report"):
            return http_errors.too_many_requests(request, what="提交反映")
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.submit_concern(
                    text=data["text"],
                    category=data["category"],
                    area=data["area"],
                    channel=Channel.WEB,
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    latitude=data["latitude"] or None,
                    longitude=data["longitude"] or None,
                    coord_system=data["coord_system"] or "wgs84",
                    photos=data["photos"],
                    idempotency_key=data["key"],
                )
            except services.ConcernError as exc:
                attach_errors(form, exc, fields={"latitude": None, "longitude": None, "coord_system": None})
            else:
                return _show_follow_link(
                    request,
                    result.concern,
                    result.follow_token,
                    mode="created" if result.created else "repeat",
                )
        photos_lost = bool(request.FILES.getlist("photos"))
        if any(form.has_error(name, code=GARBLED) for name in ("text", "reporter_name")):
            status = 400  # bytes that are not UTF-8: refused, the form kept with a message
        if "key" in form.errors:
            # A fresh key so the corrected form can be sent; nothing was stored under the old one.
            form.data = form.data.copy()
            form.data["key"] = new_submission_key()
    else:
        form = ReportForm(initial={"key": new_submission_key(), "town": request.GET.get("town")})
    state = report_form_state()
    max_photo_bytes = services.max_photo_bytes()
    return render(
        request,
        "concerns/public_report.html",
        {
            "form": form,
            "photos_lost": photos_lost,
            "max_photo_bytes": max_photo_bytes,
            "max_photo_mb": max_photo_bytes // (1024 * 1024),
            # What the form promises about publication must hold in every town it serves.
            "photos_reviewed": state.photos_reviewed,
            # The fields of an empty form are drawn once per worker and version (report_form_cache).
            "fields_version": None if form.is_bound or state.version is None else (
                f"{state.version}:{max_photo_bytes}:{int_or_none(form.initial.get('town'))}"),
            "fragment_seconds": FRAGMENT_SECONDS,
        },
        status=status,
    )


@require_GET
def report_places(request):
    """htmx fragment: the place field of the form for the town just chosen (deployments serving
    several towns list one town's villages and grids, not the county's thousand)."""
    form = ReportForm(initial={"town": request.GET.get("town")})
    response = render(request, "concerns/includes/report_area_field.html", {"form": form})
    response["Cache-Control"] = "public, max-age=300"
    return response


def _follow_url(request, concern, token):
    return request.build_absolute_uri(reverse("concerns:follow", args=[concern.reference, token]))


def _show_follow_link(request, concern, token, *, mode):
    return render(
        request,
        "concerns/public_report_done.html",
        {
            "concern": concern,
            "follow_url": _follow_url(request, concern, token),
            "follow_path": reverse("concerns:follow", args=[concern.reference, token]),
            "mode": mode,
        },
    )


@require_POST
def report_similar(request):
    """htmx fragment: open concerns on the board that look like what the resident is typing, in
    the same village or category, each with a way to follow it instead of reporting it again."""
    limit = _limit("SIMILAR_LIMIT", SIMILAR_LIMIT)
    if _over_limit(request, "similar", limit):
        return render(request, "concerns/public_similar.html", {"matches": []})
    _count_attempt(request, "similar", limit)
    text = (request.POST.get("text") or "").strip()[:SIMILAR_MAX_CHARS]
    category = Category.objects.filter(pk=int_or_none(request.POST.get("category")), is_active=True).first()
    village = None
    area = Area.objects.filter(pk=int_or_none(request.POST.get("area"))).first()
    if area is not None:
        if area.level == AreaLevel.GRID:
            village = Area.objects.filter(path=area.path[: -area.steplen]).first()
        elif area.level in (AreaLevel.VILLAGE, AreaLevel.COMMUNITY):
            village = area
    matches = []
    if len(text) >= SIMILAR_MIN_CHARS and (village or category):
        found = find_similar_concerns(text, village=village, category=category, limit=3)
        names = dict(
            Concern.objects.filter(pk__in=[m.concern.pk for m in found]).values_list("pk", "reporter_name")
        )
        for match in found:
            concern = match.concern
            matches.append(
                {
                    "concern": concern,
                    "title": redact_text(concern.title, names=(names.get(concern.pk, ""),)),
                }
            )
    return render(request, "concerns/public_similar.html", {"matches": matches})


# --- the private follow page -----------------------------------------------------------------


def _followed(request, reference, token):
    """(concern, is_reporter, None) for a valid follow link, else (None, False, response)."""
    limit = _limit("FOLLOW_FAILURE_LIMIT", FOLLOW_FAILURE_LIMIT)
    if _over_limit(request, "follow", limit):
        return None, False, _too_many(request)
    concern = access.get_concern_by_follow_token(reference, token)
    if concern is None:
        _count_attempt(request, "follow", limit)
        return (
            None,
            False,
            _not_found(
                request,
                title="查询链接无效",
                message="这个查询链接不正确或已失效。请检查链接是否完整（提交成功后页面上显示的整条链接），"
                "或在公示栏按编号查看公开的办理进度；链接丢失可在“我的反映”用手机号找回。",
            ),
        )
    return concern, access.is_reporters_link(concern, token), None


def _render_follow(request, concern, token, is_reporter, *, forms=None, status=200):
    editable = concern.status not in (Status.DECLINED, Status.DUPLICATE, Status.CLOSED)
    forms = forms or {}
    context = _concern_context(concern, redact=not is_reporter, include_own=is_reporter)
    context.update(
        {
            "token": token,
            "is_reporter": is_reporter,
            "editable": editable,
            "can_call_back": is_reporter and concern.status == Status.RESOLVED,
            "redo_on_unsatisfied": services.reopens_on_unsatisfied(concern),
            "info_form": forms.get("info") or AddInformationForm(),
            "photos_form": forms.get("photos") or AddPhotosForm(),
            "callback_form": forms.get("callback") or CallBackForm(),
            "photo_room": max(0, MAX_PHOTOS_PER_CONCERN - context["reported_photo_count"]),
            "follow_url": _follow_url(request, concern, token),
            "submitted": request.GET.get("new") == "1",
        }
    )
    return render(request, "concerns/public_follow.html", context, status=status)


def _final_original(concern):
    current, hops = concern, 0
    while current.status == Status.DUPLICATE and current.duplicate_of_id and hops < 20:
        current = Concern.objects.only("id", "reference", "status", "duplicate_of_id").get(
            pk=current.duplicate_of_id
        )
        hops += 1
    return current


@never_cache
@require_GET
def follow(request, reference, token):
    concern, is_reporter, refused = _followed(request, reference, token)
    if refused:
        return refused
    if concern.status == Status.DUPLICATE:
        original = _final_original(concern)
        if original.pk != concern.pk and access.get_concern_by_follow_token(original.reference, token):
            messages.info(
                request, f"您关注的诉求{concern.reference}与{original.reference}是同一事项，已合并办理。"
            )
            return redirect("concerns:follow", original.reference, token)
    response = _render_follow(request, concern, token, is_reporter)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _follow_post(request, reference, token, *, form_name, form, act):
    """Shared POST flow of the follow page's forms: check the link, validate, call one service,
    redirect back with a message; on an error show the page again with what was typed."""
    concern, is_reporter, refused = _followed(request, reference, token)
    if refused:
        return refused
    if ratelimits.anonymous_write_refused(request, scope="follow"):
        return http_errors.too_many_requests(request, what="补充内容")
    if form.is_valid():
        try:
            message = act(concern, form.cleaned_data, is_reporter)
        except services.ConcernError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("concerns:follow", concern.reference, token)
    return _render_follow(request, concern, token, is_reporter, forms={form_name: form}, status=200)


@never_cache
@require_POST
def follow_add_information(request, reference, token):
    def act(concern, data, is_reporter):
        services.add_reporter_update(concern, text=data["text"])
        return "补充说明已提交，承办人员会看到。"

    return _follow_post(
        request, reference, token, form_name="info", form=AddInformationForm(request.POST), act=act
    )


@never_cache
@require_POST
def follow_add_photos(request, reference, token):
    def act(concern, data, is_reporter):
        services.add_photos(concern, photos=data["photos"])
        return f"已补充{len(data['photos'])}张照片。"

    return _follow_post(
        request,
        reference,
        token,
        form_name="photos",
        form=AddPhotosForm(request.POST, request.FILES),
        act=act,
    )


@never_cache
@require_POST
def follow_call_back(request, reference, token):
    def act(concern, data, is_reporter):
        if not is_reporter:
            raise services.ConcernError("回访评价由反映人本人填写，关注人不能评价")
        concern = services.record_call_back(
            concern,
            result=data["result"],
            solved=data["solved"],
            channel=CallBackChannel.FOLLOW_PAGE,
            note=data["note"],
        )
        if concern.status == Status.CLOSED:
            return "感谢您的评价，诉求已办结关闭。"
        return "已收到您的评价。诉求将重新办理，请继续关注进展。"

    return _follow_post(
        request, reference, token, form_name="callback", form=CallBackForm(request.POST), act=act
    )


@never_cache
@require_GET
def follow_photo(request, reference, token, pk):
    concern, is_reporter, refused = _followed(request, reference, token)
    if refused:
        return refused
    photo = visible_photos(concern, reporter=is_reporter).filter(pk=pk).first()
    if photo is None:
        raise Http404("照片不存在")
    return _serve_photo(photo, cache_control="private, no-store")


# --- the public board ------------------------------------------------------------------------


def _board_queryset():
    return (
        Concern.objects.public()
        .select_related("category", "department", "village", "project")
        .defer("text", "reporter_phone", "resolution_text", "address", "latitude", "longitude")
        .order_by("-received_at", "-id")
    )


@require_GET
def board(request):
    """公示栏: accepted concerns, newest first, filterable by town (in a county deployment),
    village, category, status and words of the title or part of the number; a whole reference
    number typed in the look-up box opens its page."""
    # The look-up box: a whole reference opens its page; anything else (part of a number, words of
    # a title) narrows the list below. `ref` is the box's former name, kept for old links.
    q = board_query_text(request.GET)
    if q and Concern.objects.public().filter(reference=q.upper()).exists():
        return redirect("concerns:board_detail", q.upper())

    now = timezone.now()
    filters = board_filters(request.GET)
    # 列表 | 地图: the map view draws the same filters' concerns from board/map.json instead.
    view = "map" if request.GET.get("view") == "map" else "list"
    if view == "map":
        return render(request, "concerns/public_board.html", {"view": view, **filters.context()})
    concerns = filters.apply(_board_queryset(), now=now)
    page = _Page(concerns, int_or_none(request.GET.get("page")))
    rows = [
        {
            "concern": c,
            "title": redact_concern_text(c, c.title),
            "overdue": c.is_overdue(now),
            "due_day": _local_day(c.resolution_due),
            "received_day": _local_day(c.received_at),
        }
        for c in page
    ]
    context = {"view": view, "page": page, "rows": rows, **filters.context()}
    template = "concerns/public_board.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


def _public_concern(reference):
    return (
        Concern.objects.public()
        .select_related("category", "department", "village", "area")
        .filter(reference=reference)
        .first()
    )


@require_GET
def board_detail(request, reference):
    concern = _public_concern(reference)
    if concern is None:
        return _not_found(
            request,
            message="该编号的诉求不存在或尚未公示。新提交的诉求经受理后才会在公示栏显示。",
        )
    context = _concern_context(concern, redact=True)
    context["can_follow"] = concern.status != Status.CLOSED
    return render(request, "concerns/public_board_detail.html", context)


@require_GET
def board_photo(request, reference, pk):
    photo = (
        ConcernPhoto.objects.filter(
            pk=pk, is_public=True, concern__reference=reference, concern__status__in=PUBLIC_STATUSES
        )
        .only("id", "file", "content_type")
        .first()
    )
    if photo is None:
        raise Http404("照片不存在")
    return _serve_photo(photo, cache_control="public, max-age=600")


@never_cache
@require_http_methods(["GET", "POST"])
def board_follow(request, reference):
    """跟进这一条: a resident with the same problem follows a concern on the board instead of
    reporting it again, and gets their own private follow link."""
    concern = _public_concern(reference)
    if concern is None:
        return _not_found(request, message="该编号的诉求不存在或尚未公示。")
    if concern.status == Status.CLOSED:
        messages.info(request, "该诉求已办结关闭。如果问题仍然存在，请重新反映。")
        return redirect("concerns:board_detail", concern.reference)
    # "跟进这一条" from the report form posts what the resident has typed there: the page opens with
    # their number and their text filled in (nothing is written until they confirm).
    carried = request.method == "POST" and request.POST.get("carry") == "1"
    if carried:
        form = FollowForm(initial={
            "phone": (request.POST.get("reporter_phone") or "")[:20],
            "note": (request.POST.get("text") or "")[:2000],
        })
    else:
        if request.method == "POST" and ratelimits.anonymous_write_refused(request, scope="follow"):
            return http_errors.too_many_requests(request, what="跟进诉求")
        form = FollowForm(request.POST or None)
    if request.method == "POST" and not carried and form.is_valid():
        try:
            token = services.follow_concern(
                concern, phone=form.cleaned_data["phone"], note=form.cleaned_data["note"]
            )
        except services.ConcernError as exc:
            attach_errors(form, exc, fields={"reporter_phone": "phone"})
        else:
            return _show_follow_link(request, concern, token, mode="followed")
    return render(
        request,
        "concerns/public_board_follow.html",
        {"concern": concern, "title": redact_concern_text(concern, concern.title), "form": form},
    )


# --- department performance ------------------------------------------------------------------


def _month_options(today, count=12):
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return months


def _month_end(first):
    return (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


@require_GET
def board_rates(request):
    """部门绩效: 响应率, 解决率, 满意率 and the median working days to resolve (definitions in
    zhenwu.concerns.rates), by department for a month or the last twelve months, and month by
    month for the town or for one department.

    The figures are public statistics: the page body is kept in the cache for
    ZHENWU_PUBLIC_RATES_CACHE_SECONDS (a minute) per town, month and department shown, and says
    when it was computed (数据更新于 HH:MM). Parameters that name nothing (an unknown town, month
    or department) share the entry of the page they show, so the entries are bounded."""
    now = timezone.now()
    today = workdays.local_date(now)
    months = _month_options(today)
    month = next((m for m in months if request.GET.get("month") == f"{m:%Y-%m}"), None)
    towns = served_towns()
    town = _pick(towns, request.GET.get("town")) if len(towns) > 1 else None
    wanted = int_or_none(request.GET.get("department"))
    if wanted is not None and not Department.objects.filter(pk=wanted).exists():
        wanted = None  # the page of no department (as before: an unknown one matches no concern)
    seconds = settings.ZHENWU_PUBLIC_RATES_CACHE_SECONDS
    key = f"concerns:board_rates:{today:%Y%m%d}:{town.pk if town else ''}:{month or ''}:{wanted or ''}"
    body = cache.get(key) if seconds > 0 else None
    if body is None:
        body = _rates_body(now, today, months, month, towns, town, wanted)
        if seconds > 0:
            cache.set(key, body, seconds)
    # The body is our own template's output (escaped there), kept as text in the cache.
    return render(request, "concerns/public_rates.html", {"body": mark_safe(body)})


def _rates_body(now, today, months, month, towns, town, wanted):
    """The rates page's body (HTML) as of `now`: the (department × month) cells of the twelve
    months (rates_summary.department_month_cells); the other views are sums of its rows."""
    start, end = (month, _month_end(month)) if month else (months[-1], today)
    cells = rates_summary.department_month_cells(months, today=today, now=now, town=town)
    names = group_labels(("department",), cells.counts)["department"]

    def named(row, pk):
        row.key, row.label = {"department": pk}, names.get(pk) or EMPTY_LABELS["department"]
        return row

    # The (department, month) cells summed by department over the period and by month for the
    # trend; the None department (not dispatched) counts in the overall figures only.
    in_period = (lambda g: g[0]) if month is None else (lambda g: g[0] if g[1] == month else SKIP)
    per_department = summarise(cells, in_period)
    overall = combine_rows(per_department.values())
    rows = [named(row, pk) for pk, row in per_department.items() if pk is not None]
    rows.sort(key=lambda r: (-r.received, r.label))

    department, by_month = None, None
    if wanted is not None:
        by_month = summarise(cells, lambda g: g[1] if g[0] == wanted else SKIP)
        department = next((r for r in rows if r.key["department"] == wanted), None)
        if department is None and by_month:
            # A department with concerns in the twelve months but none in the chosen month.
            department = named(combine_rows(by_month.values()), wanted)
    if department is None:
        by_month = summarise(cells, lambda g: g[1])
    trend = []
    for m in sorted((m for m in by_month if m is not None), reverse=True):
        row = by_month[m]
        row.key, row.label = {"month": m}, f"{m:%Y-%m}"
        trend.append(row)
    return render_to_string(
        "concerns/public_rates_body.html",
        {
            "months": months,
            "month": month,
            "start": start,
            "end": end,
            "towns": towns if len(towns) > 1 else [],
            "town": town,
            "rows": rows,
            "overall": overall,
            "department": department,
            "trend": trend,
            "updated_at": now,
            "callback_attempts": settings.ZHENWU_CALLBACK_ATTEMPTS,
        },
    )


urlpatterns = [
    path("report/", report, name="report"),
    path("report/similar/", report_similar, name="report_similar"),
    path("report/places/", report_places, name="report_places"),
    path("follow/<str:reference>/<str:token>/", follow, name="follow"),
    path("follow/<str:reference>/<str:token>/add/", follow_add_information, name="follow_add_information"),
    path("follow/<str:reference>/<str:token>/photos/", follow_add_photos, name="follow_add_photos"),
    path("follow/<str:reference>/<str:token>/callback/", follow_call_back, name="follow_call_back"),
    path("follow/<str:reference>/<str:token>/photos/<int:pk>/", follow_photo, name="follow_photo"),
    path("board/", board, name="board"),
    path("board/rates/", board_rates, name="board_rates"),
    path("board/<str:reference>/", board_detail, name="board_detail"),
    path("board/<str:reference>/follow/", board_follow, name="board_follow"),
    path("board/<str:reference>/photos/<int:pk>/", board_photo, name="board_photo"),
]
