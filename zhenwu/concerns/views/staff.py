"""Staff pages of 民情办理: the dispatcher's inbox and registration, each department's queue,
the concern page with its actions, the concern list, supervision, call-backs, projects and
in-app notifications.

Every concern comes through zhenwu.concerns.access (404 outside the user's scope) and every
change through one service call; a refused change comes back as the service's Chinese message
on the form that was sent, with what the user typed kept. htmx requests get fragments of the
same templates (template partials); without htmx the forms post and redirect as usual.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from zhenwu.core.roles import AREA_SCOPED, Role
from zhenwu.lib.form_errors import attach_errors
from zhenwu.lib.paging import paginate
from zhenwu.lib.place_form import PlaceForm
from zhenwu.org.models import Area, AreaLevel, Department
from zhenwu.workdays import calendar as workdays

from .. import access, services
from ..callbacks import call_back_progress
from ..county import county_towns
from ..deadlines import pending_extension
from ..forms_deadlines import ExtensionDecisionForm, ExtensionRequestForm, ResumeForm, SuspendForm
from ..forms_staff import (
    AcceptForm,
    AdvanceForm,
    BulkDispatchForm,
    CallAttemptForm,
    CallBackForm,
    ConcernFilterForm,
    DeclineForm,
    DispatchForm,
    DocumentForm,
    DuplicateForm,
    HandDownForm,
    PhotoForm,
    ProjectForm,
    ReasonForm,
    RecategoriseForm,
    ReferUpForm,
    ResolveForm,
    StageForm,
    SuperviseForm,
    UnreachableForm,
    UpdateForm,
    register_form,
    resolution_photos,
)
from ..models import (
    AWAITING_RESPONSE_STATUSES,
    CLOCK_STATUSES,
    OPEN_STATUSES,
    CallBackChannel,
    Concern,
    ConcernPhoto,
    Notification,
    PhotoKind,
    Project,
    ProjectDocument,
    ProjectStage,
    ReplyTemplate,
    Status,
    Supervision,
)
from ..photos import split_photos
from ..redaction import redact_text
from ..similar import find_similar_concerns

INBOX_ROLES = access.DISPATCH_ROLES
LIST_ROLES = AREA_SCOPED + (Role.HANDLER,)
SUPERVISION_ROLES = access.SUPERVISE_ROLES
REGISTER_PAGE_ROLES = access.REGISTER_PAGE_ROLES


# --- helpers ------------------------------------------------------------------------------------


def _require_role(user, roles, message):
    if getattr(user, "role", None) not in roles:
        raise PermissionDenied(message)


def _render_list(request, template, context):
    """The whole page, or for an htmx request (filters, paging) the results block only."""
    if request.htmx and not request.htmx.boosted:
        template = f"{template}#results"
    return render(request, template, context)


_active_categories = services.active_categories


def _town_departments(town_id):
    return Department.objects.filter(town_id=town_id, is_active=True).only("id", "name", "town_id")


def _ancestor(area, levels):
    """The nearest area at one of `levels` on the path from the root to `area` (itself included)."""
    step = area.steplen
    prefixes = [area.path[:i] for i in range(step, len(area.path) + 1, step)]
    found = [a for a in Area.objects.filter(path__in=prefixes, level__in=levels).order_by("-depth")]
    return found[0] if found else None


def _user_departments(user):
    """Departments the user's filters and bulk dispatch offer: those of the user's town (a
    county account: of its towns)."""
    if user.area_id:
        area = user.area
        if area.level == AreaLevel.COUNTY:
            return Department.objects.filter(town__path__startswith=area.path, is_active=True)
        if area.level == AreaLevel.TOWN:
            town_id = area.pk
        else:
            town = _ancestor(area, (AreaLevel.TOWN,))
            town_id = town.pk if town else None
    else:
        town_id = user.department.town_id if user.department_id else None
    return _town_departments(town_id)


def _user_villages(user):
    """Villages and communities the user's list may be filtered by (none below a village)."""
    if not user.area_id:
        return Area.objects.none()
    area = user.area
    if area.level == AreaLevel.GRID:
        village = _ancestor(area, (AreaLevel.VILLAGE, AreaLevel.COMMUNITY))
        return Area.objects.filter(pk=village.pk) if village else Area.objects.none()
    return Area.objects.filter(
        path__startswith=area.path, level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY)
    ).order_by("path")


def _safe_next(request, default):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# --- the concern page and its actions --------------------------------------------------------------

# Which reply templates (by the state they lead to) prefill which action's text.
REPLY_TARGETS = {
    "accept": (Status.ACCEPTED, "public_text"),
    "decline": (Status.DECLINED, "reason"),
    "dispatch": (Status.DISPATCHED, "note"),
    "return": (Status.RETURNED, "reason"),
    "update": (Status.IN_PROGRESS, "text"),
    "resolve": (Status.RESOLVED, "text"),
}


def _project_choices(user, concern):
    return (
        Project.objects.visible_to(user)
        .filter(town_id=concern.town_id, is_completed=False)
        .only("id", "name", "stage")
        .order_by("-created_at")
    )


def _blank_form(action, concern, user, *, data=None, files=None, initial=None, rules=None):
    """The form of `action` on the concern page, unbound or bound to what was posted. Ids carry
    the action's name so the page's many forms never share one. `rules`: the category's setting in
    the concern's town, when the caller has it already."""
    opts = {"auto_id": f"id_{action}_%s", "initial": initial or {}}
    if data is not None:
        opts["data"] = data
        opts["files"] = files
    if action == "dispatch":
        if data is None and not concern.held_at_county:
            rules = rules or services.category_setting_for(concern.category, town_id=concern.town_id)
            if rules.default_department is not None:
                opts["initial"].setdefault("department", rules.default_department.pk)
        return DispatchForm(
            departments=services.dispatch_departments(concern).only("id", "name", "town_id"),
            county=concern.held_at_county,
            **opts,
        )
    if action == "recategorise":
        return RecategoriseForm(categories=_active_categories(concern.town_id).exclude(pk=concern.category_id), **opts)
    if action == "project":
        return ProjectForm(projects=_project_choices(user, concern), **opts)
    if action == "photos":
        # 办理前/办理后 photos come from the department holding the concern.
        kinds = list(PhotoKind) if access.can_handle(user, concern) else [PhotoKind.REPORTED]
        return PhotoForm(kinds=kinds, **opts)
    form_class = {
        "accept": AcceptForm,
        "decline": DeclineForm,
        "duplicate": DuplicateForm,
        "return": ReasonForm,
        "update": UpdateForm,
        "resolve": ResolveForm,
        "call_back": CallBackForm,
        "call_attempt": CallAttemptForm,
        "unreachable": UnreachableForm,
        "reopen": ReasonForm,
        "supervise": SuperviseForm,
        "refer_up": ReferUpForm,
        "hand_down": HandDownForm,
        **DEADLINE_FORMS,
    }.get(action)
    if form_class is None:
        return None  # sign: a button, nothing to fill in
    return form_class(**opts)


DEADLINE_FORMS = {
    "extend": ExtensionRequestForm,
    "decide_extension": ExtensionDecisionForm,
    "suspend": SuspendForm,
    "resume": ResumeForm,
}

# The concern page's action panels, in the order work flows: (action, heading, button, url name).
ACTION_PANELS = [
    ("sign", "签收", "签收派单", "concerns:concern_sign"),
    ("accept", "受理", "受理", "concerns:concern_accept"),
    ("dispatch", "派单", "派单", "concerns:concern_dispatch"),
    ("hand_down", "下派到镇", "下派", "concerns:concern_hand_down"),
    ("refer_up", "上报县级受理中心", "上报", "concerns:concern_refer_up"),
    ("update", "办理进展 / 内部备注", "保存", "concerns:concern_update"),
    ("resolve", "办结", "办结", "concerns:concern_resolve"),
    ("call_back", "电话回访", "登记回访结果", "concerns:concern_call_back"),
    ("decide_extension", "延期审批", "提交审批", "concerns:concern_decide_extension"),
    ("resume", "恢复办理", "恢复办理", "concerns:concern_resume"),
    ("call_attempt", "回访未联系上", "登记未联系上", "concerns:concern_call_attempt"),
    ("unreachable", "联系不上（结束回访）", "登记联系不上", "concerns:concern_unreachable"),
    ("supervise", "督办", "督办", "concerns:concern_supervise"),
    ("extend", "申请延期", "提交延期申请", "concerns:concern_extend"),
    ("suspend", "挂起", "挂起", "concerns:concern_suspend"),
    ("return", "退单", "退回受理员", "concerns:concern_return"),
    ("decline", "不予受理", "不予受理", "concerns:concern_decline"),
    ("reopen", "重新办理", "重新办理", "concerns:concern_reopen"),
    ("recategorise", "调整类别", "调整类别", "concerns:concern_recategorise"),
    ("duplicate", "合并为重复件", "合并", "concerns:concern_duplicate"),
    ("project", "立项 / 并入项目", "确定", "concerns:concern_project"),
    ("photos", "补充照片", "上传", "concerns:concern_photos"),
]


def _detail_context(request, concern, *, failed=None, error="", notice=""):
    """Everything the concern page shows. `failed` is (action, bound form) of a refused action,
    shown open with the user's input and the reason."""
    user = request.user
    concern = (
        Concern.objects.select_related(
            "category__default_department", "department", "area", "village", "town", "project",
            "duplicate_of", "registered_by",
        )
        .get(pk=concern.pk)
    )
    progress = call_back_progress(concern) if concern.status == Status.RESOLVED else None
    actions = access.allowed_actions(user, concern, progress=progress)
    rules = services.category_setting_for(concern.category, town_id=concern.town_id)
    forms = {}
    for action in sorted(actions):
        form = _blank_form(action, concern, user, rules=rules)
        if form is not None:
            forms[action] = form
    failed_action = None
    if failed is not None:
        failed_action, form = failed
        forms[failed_action] = form
        actions.add(failed_action)
    wanted = {REPLY_TARGETS[a][0] for a in forms if a in REPLY_TARGETS}
    replies = {}
    if wanted:
        for template in ReplyTemplate.objects.filter(is_active=True, status__in=wanted):
            replies.setdefault(template.status, []).append(template)
    panels = []
    for name, heading, button, url_name in ACTION_PANELS:
        if name not in actions:
            continue
        state, reply_field = REPLY_TARGETS.get(name, (None, ""))
        panels.append({
            "name": name,
            "heading": heading,
            "button": button,
            "url": reverse(url_name, args=[concern.pk]),
            "form": forms.get(name),
            "replies": replies.get(state, []),
            "reply_field": reply_field,
            "failed": name == failed_action,
            "multipart": name in ("photos", "resolve"),
        })
    similar = []
    if "duplicate" in actions:
        similar = find_similar_concerns(
            f"{concern.title} {concern.text}",
            village=concern.village,
            category=concern.category,
            queryset=Concern.objects.visible_to(user),
            include_unreviewed=True,
            exclude=concern,
            limit=5,
        )
    now = timezone.now()
    events = list(concern.events.select_related("department").order_by("at", "id"))
    call_backs = list(concern.call_backs.select_related("by"))
    supervisions = list(concern.supervisions.filter(closed_at__isnull=True).select_related("created_by"))
    text_masked = _mask_free_text(concern, events, call_backs, supervisions, similar)
    return {
        "concern": concern,
        "category_rules": rules,
        "text_masked": text_masked,
        "actions": actions,
        "forms": forms,
        "failed_action": failed_action,
        "error": error,
        "notice": notice,
        "panels": panels,
        "back_url": _home_list(user),
        "events": events,
        **_photo_context(user, concern),
        "supervisions": supervisions,
        "call_backs": call_backs,
        "call_back_progress": progress,
        "call_back_attempts": list(concern.call_back_attempts.select_related("by")),
        "duplicates": list(concern.duplicates.only("id", "reference", "title", "duplicate_of_id")),
        "similar": similar,
        "can_reveal": access.can_reveal_reporter(user, concern),
        "is_overdue": concern.is_overdue(now),
        "is_response_overdue": concern.is_response_overdue(now),
        "pending_extension": pending_extension(concern),
        "open_suspension": concern.suspensions.filter(ended_at__isnull=True).first()
        if concern.status == Status.SUSPENDED
        else None,
        "can_see_project": bool(
            concern.project_id and Project.objects.visible_to(user).filter(pk=concern.project_id).exists()
        ),
    }


def _photo_context(user, concern):
    """The concern's photos for the staff page: the resident's, the handler's 办理前/办理后, and
    whether this user may choose which the public board shows."""
    photos = list(concern.photos.only("id", "concern_id", "uploaded_at", "kind", "is_public"))
    reported, resolution = split_photos(photos)
    return {
        "photos": reported,
        "before_photos": resolution["before"],
        "after_photos": resolution["after"],
        "can_publish_photos": access.can_publish_photos(user, concern),
    }


def _mask_free_text(concern, events, call_backs, supervisions, similar):
    """Phone and ID numbers, and the reporter's name, masked in the free text the page shows (the
    concern's title and text, updates, notes, reasons, call-back and supervision notes), as the
    structured fields are; the text is revealed through reporter_reveal (audited). The rows are
    display copies, never saved. Returns whether the text itself changed (a reveal is offered)."""
    names = (concern.reporter_name,)
    original = concern.text
    concern.title = redact_text(concern.title, names=names)
    concern.text = redact_text(concern.text, names=names)
    concern.resolution_text = redact_text(concern.resolution_text, names=names)
    for event in events:
        event.public_text = redact_text(event.public_text, names=names)
        event.internal_note = redact_text(event.internal_note, names=names)
        event.reason = redact_text(event.reason, names=names)
    for row in (*call_backs, *supervisions):
        row.note = redact_text(row.note, names=names)
    for match in similar:
        match.concern.title = redact_text(match.concern.title)
    return concern.text != original


def _detail_response(request, concern, *, status=200, **kwargs):
    template = "concerns/staff_concern_detail.html"
    if request.htmx and not request.htmx.boosted:
        template += "#panel"
    return render(request, template, _detail_context(request, concern, **kwargs), status=status)


@login_required
@require_GET
def concern_detail(request, pk):
    concern = access.get_concern_for_user(request.user, pk)
    return _detail_response(request, concern)


def _row_template(request):
    """Inline forms on the call-back and supervision lists answer with that list's row."""
    return {
        "callback_list": "concerns/staff_callback_list.html#row",
        "supervision": "concerns/staff_supervision.html#row",
    }.get(request.POST.get("from", ""))


def _act(request, pk, action, perform, *, done):
    """Run one action of the concern page: validate the form, call the service (`perform`),
    and answer with the refreshed page, or with the form, the input kept, and the reason."""
    user = request.user
    concern = access.get_concern_for_user(user, pk)
    form = _blank_form(action, concern, user, data=request.POST, files=request.FILES)
    row_template = _row_template(request)
    status = 200
    error = ""
    if form is None or form.is_valid():
        try:
            perform(concern, form.cleaned_data if form is not None else {})
        except services.ConcernPermissionDenied as exc:
            error, status = exc.message, 403
        except services.ConcernError as exc:
            if form is None:
                error = exc.message
            else:
                attach_errors(form, exc)
        else:
            return _after_success(request, concern, done, row_template)
    if row_template:
        return render(request, row_template, {"c": concern, "form": form, "error": error}, status=status)
    return _detail_response(request, concern, failed=(action, form), error=error, status=status)


def _after_success(request, concern, done, row_template):
    still_visible = Concern.objects.visible_to(request.user).filter(pk=concern.pk).exists()
    if callable(done):
        done = done(Concern.objects.select_related("department").get(pk=concern.pk))
    if request.htmx and row_template:
        concern = Concern.objects.select_related("category", "department").get(pk=concern.pk)
        return render(request, "concerns/staff_row_done.html", {"c": concern, "notice": done})
    if request.htmx and still_visible:
        return _detail_response(request, concern, notice=done)
    messages.success(request, done)
    default = reverse("concerns:concern_detail", args=[concern.pk]) if still_visible else _home_list(request.user)
    target = _safe_next(request, default)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def _home_list(user):
    if user.role == Role.HANDLER:
        return reverse("concerns:queue")
    if user.role in INBOX_ROLES:
        return reverse("concerns:inbox")
    return reverse("concerns:concern_list")


@login_required
@require_POST
def concern_accept(request, pk):
    def perform(concern, data):
        services.accept_concern(concern, by=request.user, public_text=data["public_text"])

    return _act(request, pk, "accept", perform, done="已受理")


@login_required
@require_POST
def concern_decline(request, pk):
    def perform(concern, data):
        services.decline_concern(concern, by=request.user, reason=data["reason"])

    return _act(request, pk, "decline", perform, done="已作不予受理处理")


@login_required
@require_POST
def concern_dispatch(request, pk):
    def perform(concern, data):
        services.dispatch_concern(concern, by=request.user, department=data["department"], note=data["note"])

    return _act(request, pk, "dispatch", perform, done=lambda c: f"已派单至{c.department.name}")


@login_required
@require_POST
def concern_refer_up(request, pk):
    def perform(concern, data):
        services.escalate_concern_to_county(concern, by=request.user, reason=data["reason"])

    return _act(request, pk, "refer_up", perform, done="已上报县级受理中心")


@login_required
@require_POST
def concern_hand_down(request, pk):
    def perform(concern, data):
        services.hand_down_concern(concern, by=request.user, reason=data["reason"])

    return _act(request, pk, "hand_down", perform, done=lambda c: f"已下派{c.town.name}")


@login_required
@require_POST
def concern_recategorise(request, pk):
    def perform(concern, data):
        services.recategorise_concern(concern, by=request.user, category=data["category"], reason=data["reason"])

    return _act(request, pk, "recategorise", perform, done="类别已调整")


@login_required
@require_POST
def concern_duplicate(request, pk):
    def perform(concern, data):
        original = Concern.objects.visible_to(request.user).filter(reference=data["original"]).first()
        if original is None:
            raise services.ConcernError(f"未找到编号为{data['original']}的诉求", field="original")
        services.link_duplicate(concern, original, by=request.user, note=data["note"])

    return _act(request, pk, "duplicate", perform, done="已合并为重复件")


@login_required
@require_POST
def concern_sign(request, pk):
    def perform(concern, data):
        services.sign_for_concern(concern, by=request.user)

    return _act(request, pk, "sign", perform, done="已签收")


@login_required
@require_POST
def concern_return(request, pk):
    def perform(concern, data):
        services.return_concern(concern, by=request.user, reason=data["reason"])

    return _act(request, pk, "return", perform, done="已退单，诉求退回民情受理员")


@login_required
@require_POST
def concern_update(request, pk):
    def perform(concern, data):
        services.post_update(concern, by=request.user, text=data["text"], public=data["public"])

    return _act(request, pk, "update", perform, done="已保存")


@login_required
@require_POST
def concern_resolve(request, pk):
    def perform(concern, data):
        services.resolve_concern(
            concern,
            by=request.user,
            outcome=data["outcome"],
            text=data["text"],
            photos=resolution_photos(data),
        )

    return _act(request, pk, "resolve", perform, done="已办结，等待回访")


@login_required
@require_POST
def concern_call_back(request, pk):
    def perform(concern, data):
        services.record_call_back(
            concern,
            by=request.user,
            result=data["result"],
            solved=data["solved"],
            channel=CallBackChannel.PHONE,
            note=data["note"],
        )

    return _act(request, pk, "call_back", perform, done="回访结果已登记")


@login_required
@require_POST
def concern_reopen(request, pk):
    def perform(concern, data):
        services.reopen_concern(concern, by=request.user, reason=data["reason"])

    return _act(request, pk, "reopen", perform, done="诉求已重新办理")


@login_required
@require_POST
def concern_supervise(request, pk):
    def perform(concern, data):
        services.supervise_concern(concern, by=request.user, note=data["note"])

    return _act(request, pk, "supervise", perform, done="已督办")


@login_required
@require_POST
def concern_project(request, pk):
    def perform(concern, data):
        services.start_or_join_project(
            concern,
            by=request.user,
            project=data["project"],
            name=data["name"],
            description=data["description"],
        )

    return _act(request, pk, "project", perform, done="已立项或并入项目")


@login_required
@require_POST
def concern_photos(request, pk):
    def perform(concern, data):
        services.add_photos(concern, by=request.user, photos=data["photos"], kind=data.get("kind") or PhotoKind.REPORTED)

    return _act(request, pk, "photos", perform, done="照片已上传")


@login_required
@require_GET
def reply_text(request, pk, action):
    """htmx: the action's text box filled from a reply template (rendered for this concern)."""
    if action not in REPLY_TARGETS:
        raise Http404
    concern = access.get_concern_for_user(request.user, pk)
    state, field = REPLY_TARGETS[action]
    text = ""
    template_id = request.GET.get("template", "")
    if template_id.isdigit():
        template = ReplyTemplate.objects.filter(pk=int(template_id), status=state, is_active=True).first()
        if template is not None:
            text = template.render(concern)
    form = _blank_form(action, concern, request.user, initial={field: text})
    return HttpResponse(str(form[field]))


@never_cache
@login_required
@require_POST
def reporter_reveal(request, pk, field):
    """htmx: the reporter's full phone or name in place of the masked one; the look is logged."""
    concern = access.get_concern_for_user(request.user, pk)
    try:
        value = services.reveal_reporter(concern, field=field, by=request.user)
    except services.ConcernPermissionDenied as exc:
        raise PermissionDenied(exc.message) from None
    except services.ConcernError:
        raise Http404 from None
    return render(request, "concerns/staff_revealed.html", {"value": value, "field": field})


@login_required
@require_GET
def concern_photo(request, pk, photo_pk):
    """A concern's photo, for staff who may see the concern."""
    concern = access.get_concern_for_user(request.user, pk, related=("category",))
    photo = get_object_or_404(ConcernPhoto, pk=photo_pk, concern=concern)
    try:
        handle = photo.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- registration -------------------------------------------------------------------------------


@login_required
def concern_register(request):
    """登记 a call or a walk-in on a resident's behalf (the reporter's details are optional)."""
    user = request.user
    _require_role(user, REGISTER_PAGE_ROLES, "此角色不能登记诉求")
    if not user.area_id:
        raise PermissionDenied("账号未设置所辖区域，不能登记诉求")
    form = register_form(user, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.submit_concern(**form.submit_arguments(), by=user)
        except services.ConcernPermissionDenied as exc:
            raise PermissionDenied(exc.message) from None
        except services.ConcernError as exc:
            attach_errors(form, exc)
        else:
            concern = result.concern
            # The private follow link is shown this once, for the resident (a walk-in can be
            # handed it, a caller texted it); only its hash is stored.
            follow_url = request.build_absolute_uri(
                reverse("concerns:follow", args=[concern.reference, result.follow_token])
            )
            messages.success(
                request, f"已登记，编号{concern.reference}。请告知诉求人凭此查询办理进度：{follow_url}"
            )
            if Concern.objects.visible_to(user).filter(pk=concern.pk).exists():
                return redirect("concerns:concern_detail", pk=concern.pk)
            return redirect("concerns:concern_register")
    return render(request, "concerns/staff_register.html", {"form": form})


@login_required
@require_GET
def earlier_concerns(request):
    """htmx, on the registration page: this caller's earlier concerns (found by the phone's
    blind index, within the user's scope), so a repeat call is linked, not filed twice."""
    _require_role(request.user, REGISTER_PAGE_ROLES, "此角色不能登记诉求")
    phone = (request.GET.get("reporter_phone") or "").strip()[:30]
    found = []
    if phone:
        found = list(
            Concern.objects.visible_to(request.user)
            .with_reporter_phone(phone)
            .for_list()
            .order_by("-received_at", "-id")[:5]
        )
    return render(request, "concerns/staff_register.html#earlier", {"earlier": found, "phone": phone})


# --- work lists ----------------------------------------------------------------------------------


def _chosen_town(request, towns):
    """The town a county page's ?town= filter names (one of `towns`), or None for all of them."""
    raw = request.GET.get("town", "")
    if not raw.isdigit():
        return None
    return next((town for town in towns if town.pk == int(raw)), None)


@login_required
def inbox(request):
    """受理台: new, accepted-but-not-dispatched and returned concerns, earliest deadline first.
    A town's dispatcher sees those its town holds; a county account (the county centre) sees
    two sections, 县级待派 (held at the county) and 各镇待派 (every town's), with a town filter."""
    user = request.user
    _require_role(user, INBOX_ROLES, "只有民情受理员可以使用受理台")
    if access.works_at_county(user):
        return _county_inbox(request)
    concerns = (
        Concern.objects.visible_to(user).inbox().held_by_level_of(user).for_list()
        .select_related("category__default_department")
    )
    page = paginate(request, concerns)
    services.attach_default_departments(page.object_list)
    return _render_list(request, "concerns/staff_inbox.html", {
        "page": page,
        "departments": _user_departments(user),
    })


COUNTY_HELD_LIMIT = 200


def _county_inbox(request):
    """The county centre's 受理台: the concerns it holds (all of them, a short list by nature, up
    to COUNTY_HELD_LIMIT) and, paged, every town's concerns waiting for the town's dispatch.
    Nothing is bulk-dispatched here: each county-held concern is dispatched to a county department
    or handed down from its own page, and the towns dispatch their own."""
    user = request.user
    towns = county_towns(user.area)
    town = _chosen_town(request, towns)
    waiting = Concern.objects.visible_to(user).inbox().for_list().select_related("town")
    if town is not None:
        waiting = waiting.filter(town=town)
    held = list(waiting.filter(held_at_county=True)[: COUNTY_HELD_LIMIT + 1])
    page = paginate(request, waiting.filter(held_at_county=False))
    return _render_list(request, "concerns/staff_county_inbox.html", {
        "held": held[:COUNTY_HELD_LIMIT],
        "held_more": len(held) > COUNTY_HELD_LIMIT,
        "page": page,
        "towns": towns,
        "town": town,
    })


@login_required
@require_POST
def bulk_dispatch(request):
    """派单 several selected concerns at once: to one department, or each to its category's."""
    user = request.user
    _require_role(user, INBOX_ROLES, "只有民情受理员可以派单")
    if access.works_at_county(user):
        raise PermissionDenied("县级受理中心逐件派单或下派，不批量派单")
    posted = [int(i) for i in request.POST.getlist("ids") if str(i).isdigit()][:200]
    inbox_ids = list(
        Concern.objects.visible_to(user).inbox().held_by_level_of(user).filter(pk__in=posted)
        .values_list("pk", flat=True)
    )
    form = BulkDispatchForm(request.POST, departments=_user_departments(user), ids=inbox_ids)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("concerns:inbox")
    concerns = Concern.objects.visible_to(user).filter(pk__in=form.cleaned_data["ids"]).order_by(
        "response_due", "received_at", "id"
    )
    result = services.dispatch_concerns(list(concerns), by=user, department=form.cleaned_data["department"])
    if result.dispatched:
        messages.success(request, f"已派单{len(result.dispatched)}件")
    for reference, message in result.refused:
        messages.error(request, f"{reference}未派单：{message}")
    return redirect("concerns:inbox")


@login_required
def queue(request):
    """办理队列: the department's dispatched and in-progress concerns, 待签收 first, then overdue
    ones, then by deadline (ConcernQuerySet.department_queue)."""
    user = request.user
    _require_role(user, (Role.HANDLER,), "办理队列仅供职能部门办理人使用")
    if not user.department_id:
        raise PermissionDenied("账号未设置所属部门")
    concerns = Concern.objects.visible_to(user).department_queue(user.department_id).for_list()
    page = paginate(request, concerns)
    return _render_list(request, "concerns/staff_queue.html", {
        "page": page,
        "department": user.department,
    })


@login_required
def concern_list(request):
    user = request.user
    _require_role(user, LIST_ROLES, "此角色不查看民情诉求")
    departments = _user_departments(user)
    villages = _user_villages(user)
    form = ConcernFilterForm(
        request.GET or None, categories=_active_categories(services.user_town_id(request.user)), departments=departments, villages=villages
    )
    concerns = Concern.objects.visible_to(user)
    if form.is_bound:
        form.is_valid()  # errors are shown; the valid filters still apply
        data = form.cleaned_data
        if data.get("q"):
            concerns = concerns.matching(data["q"])
        status = data.get("status")
        if status == "open":
            concerns = concerns.open()
        elif status:
            concerns = concerns.filter(status=status)
        for key in ("category", "department", "village"):
            if data.get(key) is not None:
                concerns = concerns.filter(**{key: data[key]})
        if data.get("channel"):
            concerns = concerns.filter(channel=data["channel"])
        if data.get("overdue"):
            concerns = concerns.overdue()
        if data.get("supervised"):
            concerns = concerns.filter(is_supervised=True)
        if data.get("date_from"):
            concerns = concerns.filter(received_at__gte=workdays.start_of_day(data["date_from"]))
        if data.get("date_to"):
            end = data["date_to"] + datetime.timedelta(days=1)
            concerns = concerns.filter(received_at__lt=workdays.start_of_day(end))
    page = paginate(request, concerns.for_list().order_by("-received_at", "-id"))
    return _render_list(request, "concerns/staff_concern_list.html", {
        "page": page,
        "form": form,
        "can_register": access.can_register_for_residents(user),
        # Filters that could narrow this user's scope (a handler has one department, a village
        # secretary or grid worker one village).
        "show_department": user.role != Role.HANDLER,
        "show_village": user.area_id is not None and user.area.level in (AreaLevel.TOWN, AreaLevel.COUNTY),
    })


@login_required
def supervision(request):
    """督办: open concerns under supervision or past a deadline, earliest deadline first."""
    user = request.user
    _require_role(user, SUPERVISION_ROLES, "督办列表仅供镇领导和镇管理员使用")
    now = timezone.now()
    late_response = Q(status__in=AWAITING_RESPONSE_STATUSES, responded_at__isnull=True, response_due__lt=now)
    # A county account's list spans its towns: it may be narrowed to one (?town=).
    towns = county_towns(user.area) if access.works_at_county(user) else []
    town = _chosen_town(request, towns)
    scoped = Concern.objects.visible_to(user)
    if town is not None:
        scoped = scoped.filter(town=town)
    concerns = (
        scoped
        .filter(status__in=OPEN_STATUSES)
        .filter(Q(is_supervised=True) | Q(status__in=CLOCK_STATUSES, resolution_due__lt=now) | late_response)
        .for_list()
        .select_related("town")
        .prefetch_related(
            Prefetch(
                "supervisions",
                queryset=Supervision.objects.filter(closed_at__isnull=True).order_by("-created_at", "-id"),
                to_attr="open_supervisions",
            )
        )
        .urgent_first()
    )
    page = paginate(request, concerns)
    can_supervise = user.role in access.SUPERVISE_ROLES
    return _render_list(request, "concerns/staff_supervision.html", {
        "page": page,
        "can_supervise": can_supervise,
        "towns": towns,
        "town": town,
    })


# --- notifications -------------------------------------------------------------------------------


@login_required
def notification_list(request):
    notifications = Notification.objects.for_user(request.user).select_related("concern").only(
        "id", "text", "link", "created_at", "read_at", "concern__id", "concern__reference"
    )
    page = paginate(request, notifications)
    return render(request, "concerns/staff_notifications.html", {
        "page": page,
        "unread": Notification.objects.for_user(request.user).unread().count(),
    })


@login_required
@require_POST
def notifications_read(request):
    """Mark the posted notifications (or, with all=1, every one) read."""
    ids = None if request.POST.get("all") == "1" else request.POST.getlist("ids")
    count = services.mark_notifications_read(user=request.user, ids=ids)
    if not request.htmx:
        messages.success(request, f"已标记{count}条为已读")
    return redirect(_safe_next(request, reverse("concerns:notification_list")))


# --- projects ------------------------------------------------------------------------------------


def _get_project(user, pk):
    try:
        return Project.objects.visible_to(user).select_related("department", "town").get(pk=pk)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _stage_form(stage, project, data=None):
    form = StageForm(
        data,
        auto_id=f"id_stage{stage.pk}_%s",
        initial={
            "planned_start": stage.planned_start,
            "planned_end": stage.planned_end,
            "progress": stage.progress,
            "note": stage.note,
        },
    )
    if stage.kind != project.stage:
        del form.fields["progress"]  # only the current stage reports progress
    return form


def _document_form(stage, data=None, files=None):
    return DocumentForm(data, files, auto_id=f"id_doc{stage.pk}_%s")


def _project_context(request, project, *, failed=None, error=""):
    """The project page. `failed` is (key, form) of a refused change: key "advance", or
    ("stage", pk) / ("document", pk) for one stage's forms."""
    user = request.user
    stages = list(project.stages.prefetch_related("documents").order_by("order"))
    can_manage = access.can_manage_project(user, project)
    failed_key, failed_form = failed if failed is not None else (None, None)
    for stage in stages:
        stage.is_current = stage.kind == project.stage and not project.is_completed
        stage.form = stage.document_form = None
        if can_manage and not stage.is_done:
            stage.form = failed_form if failed_key == ("stage", stage.pk) else _stage_form(stage, project)
        if can_manage:
            stage.document_form = (
                failed_form if failed_key == ("document", stage.pk) else _document_form(stage)
            )
        stage.failed = failed_key in (("stage", stage.pk), ("document", stage.pk))
    concerns = Concern.objects.visible_to(user).filter(project=project).for_list().order_by("received_at")
    return {
        "project": project,
        "stages": stages,
        "can_manage": can_manage,
        "advance_form": failed_form if failed_key == "advance" else AdvanceForm(auto_id="id_advance_%s"),
        "advance_failed": failed_key == "advance",
        "location_form": (
            failed_form if failed_key == "location"
            else PlaceForm(auto_id="id_location_%s", initial={
                "latitude": project.latitude, "longitude": project.longitude})
        ) if can_manage else None,
        "location_failed": failed_key == "location",
        "failed_key": failed_key,
        "error": error,
        "concerns": list(concerns),
    }


@login_required
@require_GET
def project_detail(request, pk):
    project = _get_project(request.user, pk)
    return render(request, "concerns/staff_project.html", _project_context(request, project))


def _project_act(request, project, key, form, perform, *, done):
    if form.is_valid():
        try:
            perform(form.cleaned_data)
        except services.ConcernPermissionDenied as exc:
            return render(
                request, "concerns/staff_project.html",
                _project_context(request, project, failed=(key, form), error=exc.message), status=403,
            )
        except services.ConcernError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("concerns:project_detail", pk=project.pk)
    project.refresh_from_db()
    return render(request, "concerns/staff_project.html", _project_context(request, project, failed=(key, form)))


@login_required
@require_POST
def project_advance(request, pk):
    project = _get_project(request.user, pk)
    form = AdvanceForm(request.POST, auto_id="id_advance_%s")

    def perform(data):
        services.advance_project_stage(project, by=request.user, on_date=data["on_date"], note=data["note"])

    return _project_act(request, project, "advance", form, perform, done="已进入下一阶段")


@login_required
@require_POST
def project_location(request, pk):
    """Set, correct or clear where the project's works are (those who may manage the project)."""
    project = _get_project(request.user, pk)
    form = PlaceForm(request.POST, auto_id="id_location_%s")

    def perform(data):
        services.set_project_location(project, by=request.user, **form.point())

    return _project_act(request, project, "location", form, perform,
                        done="已清除项目位置" if form.clears else "已保存项目位置")


@login_required
@require_POST
def project_stage(request, pk):
    stage = get_object_or_404(ProjectStage.objects.select_related("project"), pk=pk)
    project = _get_project(request.user, stage.project_id)
    form = _stage_form(stage, project, request.POST)

    def perform(data):
        services.update_project_stage(
            stage,
            by=request.user,
            planned_start=data["planned_start"],
            planned_end=data["planned_end"],
            progress=data.get("progress"),
            note=data["note"],
        )

    return _project_act(request, project, ("stage", stage.pk), form, perform, done=f"{stage.get_kind_display()}已保存")


@login_required
@require_POST
def project_document(request, pk):
    stage = get_object_or_404(ProjectStage.objects.select_related("project"), pk=pk)
    project = _get_project(request.user, stage.project_id)
    form = _document_form(stage, request.POST, request.FILES)

    def perform(data):
        services.add_project_document(
            stage, by=request.user, title=data["title"], file=data["file"], is_public=data["is_public"]
        )

    return _project_act(request, project, ("document", stage.pk), form, perform, done="附件已上传")


@login_required
@require_GET
def project_document_file(request, pk):
    """A project document, for staff who may see its project."""
    document = get_object_or_404(ProjectDocument.objects.select_related("stage"), pk=pk)
    _get_project(request.user, document.stage.project_id)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    name = document.file.name.rsplit(".", 1)
    filename = document.title + (f".{name[1]}" if len(name) == 2 else "")
    response = FileResponse(handle, as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("inbox/", inbox, name="inbox"),
    path("inbox/dispatch/", bulk_dispatch, name="bulk_dispatch"),
    path("register/", concern_register, name="concern_register"),
    path("register/earlier/", earlier_concerns, name="earlier_concerns"),
    path("queue/", queue, name="queue"),
    path("list/", concern_list, name="concern_list"),
    path("supervision/", supervision, name="supervision"),
    path("notifications/", notification_list, name="notification_list"),
    path("notifications/read/", notifications_read, name="notifications_read"),
    path("<int:pk>/", concern_detail, name="concern_detail"),
    path("<int:pk>/accept/", concern_accept, name="concern_accept"),
    path("<int:pk>/decline/", concern_decline, name="concern_decline"),
    path("<int:pk>/dispatch/", concern_dispatch, name="concern_dispatch"),
    path("<int:pk>/refer-up/", concern_refer_up, name="concern_refer_up"),
    path("<int:pk>/hand-down/", concern_hand_down, name="concern_hand_down"),
    path("<int:pk>/recategorise/", concern_recategorise, name="concern_recategorise"),
    path("<int:pk>/duplicate/", concern_duplicate, name="concern_duplicate"),
    path("<int:pk>/sign/", concern_sign, name="concern_sign"),
    path("<int:pk>/return/", concern_return, name="concern_return"),
    path("<int:pk>/update/", concern_update, name="concern_update"),
    path("<int:pk>/resolve/", concern_resolve, name="concern_resolve"),
    path("<int:pk>/call-back/", concern_call_back, name="concern_call_back"),
    path("<int:pk>/reopen/", concern_reopen, name="concern_reopen"),
    path("<int:pk>/supervise/", concern_supervise, name="concern_supervise"),
    path("<int:pk>/project/", concern_project, name="concern_project"),
    path("<int:pk>/photos/", concern_photos, name="concern_photos"),
    path("<int:pk>/photos/<int:photo_pk>/", concern_photo, name="concern_photo"),
    path("<int:pk>/reply/<str:action>/", reply_text, name="reply_text"),
    path("<int:pk>/reveal/<str:field>/", reporter_reveal, name="reporter_reveal"),
    path("projects/<int:pk>/", project_detail, name="project_detail"),
    path("projects/<int:pk>/advance/", project_advance, name="project_advance"),
    path("projects/<int:pk>/location/", project_location, name="project_location"),
    path("projects/stages/<int:pk>/", project_stage, name="project_stage"),
    path("projects/stages/<int:pk>/documents/", project_document, name="project_document"),
    path("projects/documents/<int:pk>/", project_document_file, name="project_document_file"),
]
