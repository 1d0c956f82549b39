"""延期 and 挂起 on the concern page, and the approvers' list of pending extension requests."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.views.decorators.http import require_POST

from zhenwu.lib.paging import paginate

from .. import access, deadlines
from .staff import _act, _render_list


@login_required
@require_POST
def concern_extend(request, pk):
    def perform(concern, data):
        deadlines.request_extension(
            concern, by=request.user, reason=data["reason"], new_date=data["new_date"]
        )

    return _act(request, pk, "extend", perform, done="延期申请已提交，等待审批")


@login_required
@require_POST
def concern_decide_extension(request, pk):
    def perform(concern, data):
        deadlines.decide_extension(concern, by=request.user, approve=data["approve"], note=data["note"])

    def done(concern):
        return (
            f"已批准延期，办结期限{concern.resolution_due:%Y-%m-%d}"
            if request.POST.get("approve") == "1"
            else "已不批准延期"
        )

    return _act(request, pk, "decide_extension", perform, done=done)


@login_required
@require_POST
def concern_suspend(request, pk):
    def perform(concern, data):
        deadlines.suspend_concern(
            concern, by=request.user, reason=data["reason"], expected_resume=data["expected_resume"]
        )

    return _act(request, pk, "suspend", perform, done="诉求已挂起，挂起期间不计时限")


@login_required
@require_POST
def concern_resume(request, pk):
    def perform(concern, data):
        deadlines.resume_concern(concern, by=request.user, note=data["note"])

    return _act(
        request, pk, "resume", perform, done=lambda c: f"已恢复办理，办结期限{c.resolution_due:%Y-%m-%d}"
    )


@login_required
def extension_list(request):
    """延期审批: the pending extension requests this dispatcher or leader may decide."""
    if not access.may_decide_extensions(request.user):
        raise PermissionDenied("延期审批仅供民情受理员和镇领导使用")
    page = paginate(request, deadlines.pending_extensions_for(request.user))
    return _render_list(request, "concerns/staff_extensions.html", {"page": page})


urlpatterns = [
    path("extensions/", extension_list, name="extension_list"),
    path("<int:pk>/extend/", concern_extend, name="concern_extend"),
    path("<int:pk>/extension/decide/", concern_decide_extension, name="concern_decide_extension"),
    path("<int:pk>/suspend/", concern_suspend, name="concern_suspend"),
    path("<int:pk>/resume/", concern_resume, name="concern_resume"),
]
