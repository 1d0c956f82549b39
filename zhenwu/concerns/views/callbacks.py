"""回访 pages: the call-back list with each concern's attempts, and the two call-back actions that
are not a verdict (an attempt that did not reach the resident, and 联系不上). The verdict itself
is staff.concern_call_back. On the concern page these actions are panels like the others
(staff._act); on the call-back list they answer with the concern's row, which stays on the list
after an attempt (with its new count) and leaves it once 联系不上 closes the concern."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from zhenwu.lib.form_errors import attach_errors
from zhenwu.lib.paging import paginate

from .. import access, callbacks, services
from ..forms_staff import CallAttemptForm, CallBackForm, UnreachableForm
from ..models import Concern, Status
from . import staff

CALLBACK_ROLES = access.DISPATCH_ROLES
ROW = "concerns/staff_callback_list.html#row"


@login_required
def callback_list(request):
    """回访: resolved concerns waiting for the resident's verdict, oldest resolution first, each
    with its unanswered attempts of this round; the county centre's own for a county account, the
    town's own for a town's (who calls back follows who holds the concern)."""
    user = request.user
    staff._require_role(user, CALLBACK_ROLES, "回访列表仅供民情受理员使用")
    concerns = (
        Concern.objects.visible_to(user)
        .held_by_level_of(user)
        .awaiting_call_back()
        .for_list()
        .defer(None)
        .defer("text", "reporter_name")
        .select_related("category", "department", "village", "area", "project")
    )
    page = paginate(request, concerns)
    page.object_list = list(page.object_list)
    progress = callbacks.progress_by_concern(page.object_list)
    for concern in page.object_list:
        concern.call_back_progress = progress[concern.pk]
    return staff._render_list(request, "concerns/staff_callback_list.html", {
        "page": page,
        "form": CallBackForm(),
        "attempts_needed": callbacks.attempts_needed(),
    })


def _from_list(request, pk, action, form_class, perform, *, done):
    """The action posted from a row of the call-back list: answer with the row."""
    user = request.user
    concern = access.get_concern_for_user(user, pk)
    form = form_class(request.POST)
    error, status = "", 200
    if form.is_valid():
        try:
            perform(concern, form.cleaned_data)
        except services.ConcernPermissionDenied as exc:
            error, status = exc.message, 403
        except services.ConcernError as exc:
            attach_errors(form, exc)
        else:
            concern = Concern.objects.select_related("category", "department").get(pk=pk)
            notice = done(concern)
            if not request.htmx:
                messages.success(request, notice)
                return redirect("concerns:callback_list")
            if concern.status != Status.RESOLVED:
                return render(request, "concerns/staff_row_done.html", {"c": concern, "notice": notice})
            return render(request, ROW, {"c": concern, "form": CallBackForm(), "notice": notice})
    context = {"c": concern, "form": CallBackForm(), "error": error, f"{action}_form": form}
    return render(request, ROW, context, status=status)


def _act(request, pk, action, form_class, perform, *, done):
    if request.POST.get("from") == "callback_list":
        return _from_list(request, pk, action, form_class, perform, done=done)
    return staff._act(request, pk, action, perform, done=done)


@login_required
@require_POST
def concern_call_attempt(request, pk):
    def perform(concern, data):
        callbacks.record_call_back_attempt(concern, by=request.user, channel=data["channel"], note=data["note"])

    def done(concern):
        progress = callbacks.call_back_progress(concern)
        return f"已登记未联系上（本轮第{len(progress.attempts)}次，{progress.days}个工作日）"

    return _act(request, pk, "call_attempt", CallAttemptForm, perform, done=done)


@login_required
@require_POST
def concern_unreachable(request, pk):
    def perform(concern, data):
        callbacks.record_unreachable(concern, by=request.user, reason=data["reason"])

    return _act(request, pk, "unreachable", UnreachableForm, perform, done=lambda c: "已登记联系不上，诉求已关闭")


urlpatterns = [
    path("callbacks/", callback_list, name="callback_list"),
    path("<int:pk>/call-attempt/", concern_call_attempt, name="concern_call_attempt"),
    path("<int:pk>/unreachable/", concern_unreachable, name="concern_unreachable"),
]
