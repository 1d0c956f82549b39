"""Pages of 智能分派与热点: model versions and settings, hot issues, and the suggestion actions
(dispatch as suggested, undo an automatic dispatch) posted from the concern pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from zhenwu.concerns import access as concern_access
from zhenwu.concerns import services as concern_services
from zhenwu.core.roles import Role
from zhenwu.org.models import Department

from . import hot, hot_decisions, services
from .access import can_act_on_hot_issues, can_adjust_hot_issues, can_see_hot_issues
from .models import RouterModel, RouterWord, RoutingSuggestion, WordKind

MODEL_VIEW_ROLES = (Role.TOWN_ADMIN, Role.LEADER, Role.DISPATCHER)
HOT_DAY_CHOICES = (7, 14, 30, 90)


def _require_role(user, roles, message):
    if getattr(user, "role", None) not in roles:
        raise PermissionDenied(message)


@login_required
@require_GET
def model_list(request):
    """分派模型: every version with its evaluation, the live agreement with dispatchers, the
    town's auto-dispatch setting and the segmentation dictionary."""
    user = request.user
    _require_role(user, MODEL_VIEW_ROLES, "只有镇管理员、镇领导和民情受理员可以查看分派模型")
    models = list(RouterModel.objects.defer("artefact").select_related("created_by")[:30])
    active = next((m for m in models if m.is_active), None)
    towns = list(services.towns_for(user))
    return render(request, "routing/model_list.html", {
        "models": models,
        "active": active,
        "live": services.acceptance(active) if active else None,
        "settings_rows": [(town, services.town_settings(town)) for town in towns],
        "words": list(RouterWord.objects.all()),
        "word_kinds": WordKind.choices,
        "can_edit": user.role == Role.TOWN_ADMIN,
    })


def _admin_post(request, perform, done):
    _require_role(request.user, (Role.TOWN_ADMIN,), "只有镇管理员可以修改智能分派设置")
    try:
        perform()
    except services.RoutingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("routing:model_list")


@login_required
@require_POST
def settings_save(request, town_pk):
    town = get_object_or_404(services.towns_for(request.user), pk=town_pk)
    return _admin_post(
        request,
        lambda: services.save_settings(
            town=town, by=request.user, auto_dispatch=request.POST.get("auto_dispatch") == "on",
            threshold=request.POST.get("threshold", ""),
        ),
        f"{town.name}的智能分派设置已保存",
    )


@login_required
@require_POST
def word_add(request):
    word = request.POST.get("word", "")
    return _admin_post(
        request,
        lambda: services.add_word(word=word, kind=request.POST.get("kind", ""), by=request.user),
        f"已添加“{word.strip()}”，下次训练模型时生效",
    )


@login_required
@require_POST
def word_delete(request, pk):
    row = get_object_or_404(RouterWord, pk=pk)
    return _admin_post(request, lambda: services.delete_word(row, by=request.user), f"已删除“{row.word}”")


@login_required
@require_POST
def model_activate(request, pk):
    row = get_object_or_404(RouterModel.objects.defer("artefact"), pk=pk)
    return _admin_post(request, lambda: services.activate_model(row, by=request.user), f"已启用v{row.version}")


# --- suggestion actions on a concern -------------------------------------------------------


def _back(concern):
    return redirect(reverse("concerns:concern_detail", args=[concern.pk]))


@login_required
@require_POST
def apply_suggestion(request, pk):
    """按建议派单: the dispatcher accepts the suggestion (category changed if needed, then
    dispatched to the suggested department) — their choice, recorded as theirs."""
    concern = concern_access.get_concern_for_user(request.user, pk)
    suggestion = get_object_or_404(RoutingSuggestion, pk=request.POST.get("suggestion"), concern=concern)
    if not suggestion.has_suggestion or suggestion.department_id is None:
        messages.error(request, "该建议没有类别或承办部门，请手动派单")
        return _back(concern)
    try:
        if suggestion.category_id != concern.category_id:
            concern_services.recategorise_concern(
                concern, by=request.user, category=suggestion.category, reason="采纳智能分派建议"
            )
        concern_services.dispatch_concern(
            concern, by=request.user, department=suggestion.department, note="采纳智能分派建议"
        )
    except concern_services.ConcernError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已按建议派单至{suggestion.department.name}")
    return _back(concern)


@login_required
@require_POST
def undo_auto_dispatch(request, pk):
    suggestion = get_object_or_404(RoutingSuggestion.objects.select_related("concern"), pk=pk)
    concern = concern_access.get_concern_for_user(request.user, suggestion.concern_id)
    try:
        services.undo_auto_dispatch(suggestion, by=request.user, reason=request.POST.get("reason", ""))
    except services.RoutingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已撤销自动派单，诉求退回受理台")
    return _back(concern)


# --- hot issues ------------------------------------------------------------------------------


def _days(request):
    try:
        days = int(request.POST.get("days") or request.GET.get("days") or 14)
    except ValueError:
        days = 14
    return days if days in HOT_DAY_CHOICES else 14


def _hot_context(request, days):
    user = request.user
    page = hot.hot_issue_page(user, days=days)
    departments = []
    if can_act_on_hot_issues(user) and user.area_id:
        departments = list(Department.objects.filter(is_active=True, town_id__in=services.towns_for(user)))
    return {
        "groups": page.groups,
        "other_adjustments": page.other_adjustments,
        "days": days,
        "day_choices": HOT_DAY_CHOICES,
        "departments": departments,
        "can_act": can_act_on_hot_issues(user),
        "can_adjust": can_adjust_hot_issues(user),
    }


@login_required
@require_GET
def hot_issue_list(request):
    """热点: groups of open concerns alike in text and place, most residents first."""
    if not can_see_hot_issues(request.user):
        raise PermissionDenied("只有镇领导、镇管理员和民情受理员可以查看热点")
    template = "routing/hot_issue_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, _hot_context(request, _days(request)))


def _adjust(request, perform, done):
    """Run one decision service; htmx gets the fresh results with the outcome in them, a plain
    form post a redirect to the list with a message."""
    if not can_adjust_hot_issues(request.user):
        raise PermissionDenied("只有镇领导、镇管理员和民情受理员可以调整热点")
    days = _days(request)
    notice = error = ""
    try:
        perform()
    except services.RoutingError as exc:
        error = exc.message
    else:
        notice = done
    if request.htmx:
        context = _hot_context(request, days)
        context.update(notice=notice, error=error)
        return render(request, "routing/hot_issue_list.html#results", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(f"{reverse('routing:hot_issue_list')}?days={days}")


@login_required
@require_POST
def hot_issue_merge(request):
    return _adjust(request, lambda: hot_decisions.merge_hot_issues(
        ids=request.POST.getlist("ids"), other_ids=request.POST.get("other", ""), by=request.user,
    ), "已合并两组热点")


@login_required
@require_POST
def hot_issue_split(request):
    return _adjust(request, lambda: hot_decisions.split_hot_issue(
        ids=request.POST.getlist("ids"), picked=request.POST.getlist("picked"), by=request.user,
    ), "已将所选诉求拆分为新的一组")


@login_required
@require_POST
def hot_issue_dismiss(request):
    return _adjust(request, lambda: hot_decisions.dismiss_hot_issue_members(
        ids=request.POST.getlist("ids"), picked=request.POST.getlist("picked"), by=request.user,
    ), "已将所选诉求移出本组")


@login_required
@require_POST
def hot_issue_restore(request, pk):
    def perform():
        decision = hot_decisions.decision_for_user(request.user, pk)
        hot_decisions.restore_hot_issue_decision(decision, by=request.user)

    return _adjust(request, perform, "已撤销调整，恢复为自动分组")


@login_required
@require_POST
def hot_issue_act(request):
    user = request.user
    if not can_act_on_hot_issues(user):
        raise PermissionDenied("只有民情受理员可以处理热点")
    ids = request.POST.getlist("ids")
    action = request.POST.get("action")
    department = None
    if request.POST.get("department"):
        department = Department.objects.filter(
            pk=request.POST["department"], is_active=True, town_id__in=services.towns_for(user)
        ).first()
    try:
        if action == "dispatch":
            result = hot.dispatch_group(user, ids, department=department)
            if result.done:
                messages.success(request, f"已统一派单{len(result.done)}件至{department.name}")
            for reference, message in result.refused:
                messages.error(request, f"{reference}：{message}")
        elif action == "project":
            result = hot.group_to_project(
                user, ids, name=request.POST.get("name", ""), department=department,
                description=request.POST.get("description", ""),
            )
            messages.success(request, f"已立项“{result.project.name}”，并入诉求{len(result.done)}件")
            return redirect(reverse("concerns:project_detail", args=[result.project.pk]))
        else:
            messages.error(request, "请选择处理方式")
    except services.RoutingError as exc:
        messages.error(request, exc.message)
    return redirect(f"{reverse('routing:hot_issue_list')}?days={_days(request)}")

