"""Campaigns, their items, and coverage (不落一人) with the missing lists and the xlsx ledger."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_event
from zhenwu.core.roles import Role
from zhenwu.org.models import PartyOrg

from .. import access, coverage, services
from ..forms import CampaignForm, ItemForm, attach_errors
from ..models import CampaignItem, ItemKind, MakeUpStatus, MakeUpTask, StudyNotice

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def index(request):
    if request.user.role == Role.MEMBER:
        return redirect("study:my_study")
    access.require_study_staff(request.user)
    return redirect("study:campaign_list")


@login_required
@require_GET
def campaign_list(request):
    access.require_study_staff(request.user)
    campaigns = (
        access.visible_campaigns(request.user)
        .annotate(
            required_count=Count("items", filter=Q(items__kind=ItemKind.REQUIRED), distinct=True),
            optional_count=Count("items", filter=Q(items__kind=ItemKind.OPTIONAL), distinct=True),
            session_count=Count("sessions", distinct=True),
        )
        .order_by("-starts_on", "-id")
    )
    return render(request, "study/campaign_list.html", {
        "campaigns": campaigns,
        "can_add": access.can_edit_campaign(request.user),
        "unread_notices": StudyNotice.objects.filter(recipient=request.user, read_at__isnull=True).count(),
    })


def _campaign_orgs(user):
    return access.scope_orgs(user).order_by("path")


@login_required
def campaign_create(request):
    if not access.can_edit_campaign(request.user):
        raise PermissionDenied("只有镇管理员可以设置主题教育")
    form = CampaignForm(request.POST or None, orgs=_campaign_orgs(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.create_campaign(**form.cleaned_data, by=request.user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已创建主题教育“{campaign.name}”，请添加规定动作和自选动作")
            return redirect("study:campaign_detail", pk=campaign.pk)
    return render(request, "study/campaign_form.html", {"form": form, "campaign": None})


@login_required
def campaign_edit(request, pk):
    campaign = access.get_campaign_for_user(request.user, pk)
    if not access.can_edit_campaign(request.user, campaign):
        raise PermissionDenied("只有镇管理员可以修改主题教育")
    initial = {
        "name": campaign.name, "starts_on": campaign.starts_on, "ends_on": campaign.ends_on,
        "description": campaign.description, "party_orgs": list(campaign.party_orgs.all()),
    }
    form = CampaignForm(request.POST or None, initial=initial, orgs=_campaign_orgs(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_campaign(campaign, **form.cleaned_data, by=request.user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "主题教育已保存")
            return redirect("study:campaign_detail", pk=campaign.pk)
    return render(request, "study/campaign_form.html", {"form": form, "campaign": campaign})


@login_required
def campaign_detail(request, pk):
    user = request.user
    if user.role == Role.MEMBER:
        return redirect("study:my_study")
    access.require_study_staff(user)
    campaign = access.get_campaign_for_user(user, pk)
    items = list(campaign.items.annotate(session_count=Count("session_items")).order_by("position", "id"))
    overview = coverage.summary(campaign, user=user)
    sessions = (access.visible_sessions(user).filter(campaign=campaign)
                .annotate(present=Count("attendances")).order_by("starts_at")[:60])
    open_tasks = (MakeUpTask.objects.filter(item__campaign=campaign, status=MakeUpStatus.OPEN)
                  .filter(access.org_q(access.scope_paths(user), field="member__party_org")).count())
    return render(request, "study/campaign_detail.html", {
        "campaign": campaign,
        "orgs": campaign.party_orgs.order_by("path"),
        "required": [i for i in items if i.kind == ItemKind.REQUIRED],
        "optional": [i for i in items if i.kind == ItemKind.OPTIONAL],
        "overview": overview,
        "sessions": sessions,
        "open_tasks": open_tasks,
        "can_edit": access.can_edit_campaign(user, campaign),
        "can_generate": access.can_chase_coverage(user),
        "item_form": ItemForm(),
    })


@login_required
@require_POST
def item_create(request, pk):
    campaign = access.get_campaign_for_user(request.user, pk)
    if not access.can_edit_campaign(request.user, campaign):
        raise PermissionDenied("只有镇管理员可以设置规定动作和自选动作")
    form = ItemForm(request.POST)
    if form.is_valid():
        try:
            item = services.add_campaign_item(campaign, **form.cleaned_data, by=request.user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已添加{item.get_kind_display()}“{item.title}”")
            return redirect("study:campaign_detail", pk=campaign.pk)
    messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("study:campaign_detail", pk=campaign.pk)


@login_required
def item_edit(request, pk):
    item = get_object_or_404(CampaignItem.objects.select_related("campaign"), pk=pk)
    campaign = access.get_campaign_for_user(request.user, item.campaign_id)
    if not access.can_edit_campaign(request.user, campaign):
        raise PermissionDenied("只有镇管理员可以修改学习项目")
    initial = {"kind": item.kind, "title": item.title, "due_on": item.due_on, "description": item.description,
               "notes_rule": item.notes_rule}
    form = ItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_campaign_item(item, **form.cleaned_data, by=request.user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "学习项目已保存")
            return redirect("study:campaign_detail", pk=campaign.pk)
    return render(request, "study/item_form.html", {"form": form, "item": item, "campaign": campaign})


# --- coverage ---------------------------------------------------------------------------------------


@login_required
@require_GET
def coverage_page(request, pk):
    """不落一人: completion per town and organisation, per item, within the user's scope."""
    access.require_study_staff(request.user)
    campaign = access.get_campaign_for_user(request.user, pk)
    overview = coverage.summary(campaign, user=request.user)
    return render(request, "study/coverage.html", {
        "campaign": campaign,
        "overview": overview,
        "several_towns": len(overview.towns) > 1,
        "can_send": access.can_chase_coverage(request.user),
    })


@login_required
@require_GET
def coverage_org(request, pk, org_pk):
    """One organisation: who has done, made up, been excused from or still misses each item."""
    access.require_study_staff(request.user)
    campaign = access.get_campaign_for_user(request.user, pk)
    org = get_object_or_404(PartyOrg, pk=org_pk)
    if not access.in_scope(request.user, org):
        raise Http404
    items = coverage.required_items(campaign)
    rows = coverage.org_grid(campaign, org, user=request.user, items=items)
    counts = {s: 0 for s in coverage.Status.LABELS}
    for row in rows:
        for _, status in row.cells:
            counts[status] += 1
    legend = [(key, label, counts[key]) for key, label in coverage.Status.LABELS.items()
              if key != coverage.Status.NOTES_DUE or any(i.notes_rule for i in items)]
    can_lesson = request.user.role in access.SESSION_EDITOR_ROLES
    return render(request, "study/coverage_org.html", {
        "campaign": campaign,
        "org": org,
        "items": items,
        "rows": rows,
        "missing_rows": [r for r in rows if r.missing_items],
        "excused_rows": [r for r in rows if r.excused_items and not r.missing_items],
        "counts": counts,
        "legend": legend,
        "labels": coverage.Status.LABELS,
        "short": coverage.Status.SHORT,
        "can_lesson": can_lesson,
    })


@login_required
@require_GET
def coverage_export(request, pk):
    """The ledger of every member in scope × required item, as .xlsx (audited)."""
    access.require_study_staff(request.user)
    campaign = access.get_campaign_for_user(request.user, pk)
    out, count = coverage.write_coverage(campaign, user=request.user)
    record_event(action=AuditAction.EXPORT, obj=campaign, note=f"导出不落一人台账：{count}名党员")
    filename = f"不落一人-{campaign.name}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(out, as_attachment=True, filename=filename, content_type=XLSX)


@login_required
@require_POST
def makeup_generate(request, pk):
    if not access.can_chase_coverage(request.user):
        raise PermissionDenied("只有镇管理员或支部书记可以生成补学任务")
    campaign = access.get_campaign_for_user(request.user, pk)
    count = services.generate_makeup_tasks(campaign=campaign)
    messages.success(request, f"已生成补学任务{count}项" if count else "没有需要新生成的补学任务")
    return redirect("study:campaign_detail", pk=campaign.pk)


@login_required
@require_POST
def missing_send(request, pk):
    if not access.can_chase_coverage(request.user):
        raise PermissionDenied("只有镇管理员或支部书记可以发送缺学名单")
    campaign = access.get_campaign_for_user(request.user, pk)
    count = services.send_missing_lists(campaign=campaign, user=request.user)
    if count:
        messages.success(request, f"已向支部书记和指导员发送缺学名单{count}条")
    else:
        messages.info(request, "没有缺学的党员，或相关党组织尚无书记、指导员账号")
    return redirect("study:coverage", pk=campaign.pk)
