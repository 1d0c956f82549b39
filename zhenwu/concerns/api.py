"""The staff JSON API under /api/v1/ (Django REST Framework; OpenAPI 3 by drf-spectacular).

Callers authenticate with a personal token (`Authorization: Token <token>`, issued on the
"接口令牌" page) or with their browser session. Every read goes through the same scope as the
pages (`Concern.objects.visible_to(user)`, `access.get_concern_for_user`) and every write is one
call of a service in services.py, so the rights, state checks, events and audit entries are
exactly those of the pages. Errors are JSON with a Chinese `detail` (and `field` when one input
is at fault): 400 bad input, 401 no or bad token, 403 no right, 404 not found or out of scope,
409 a transition the concern's current state does not allow.
"""

import datetime
import logging

from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from zhenwu.accounts.tokens import TOKEN_ROLES
from zhenwu.core.roles import Role
from zhenwu.lib.coords import CoordSystem
from zhenwu.org.access import visible_areas
from zhenwu.org.models import Department
from zhenwu.workdays import calendar as workdays

from . import access, callbacks, deadlines, services
from .models import (
    AttemptChannel,
    CallBackResult,
    Category,
    Channel,
    Concern,
    ConcernEvent,
    DeadlineExtension,
    ExtensionStatus,
    Outcome,
    ServiceAttribute,
    Status,
    Suspension,
    Urgency,
)
from .redaction import redact_text

log = logging.getLogger(__name__)

MAX_ID = 2**63 - 1
MAX_PAGE_SIZE = 100


# --- authentication and errors ---------------------------------------------------------------


class StaffTokenScheme(OpenApiAuthenticationExtension):
    target_class = "zhenwu.accounts.api_auth.StaffTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "个人接口令牌：`Token <令牌>`",
        }


def exception_handler(exc, context):
    """DRF's handler with the domain's errors mapped to statuses and every body in Chinese JSON."""
    if isinstance(exc, services.ConcernPermissionDenied):
        return Response({"detail": exc.message}, status=403)
    if isinstance(exc, services.TransitionNotAllowed):
        return Response({"detail": exc.message}, status=409)
    if isinstance(exc, services.ConcernError):
        body = {"detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("未找到，或不在您的权限范围内")
    if isinstance(exc, exceptions.ValidationError):
        return Response({"detail": _first_error(exc.detail), "errors": exc.detail}, status=400)
    response = drf_exception_handler(exc, context)
    if response is None:
        log.exception("api request failed", exc_info=exc)
        return Response({"detail": "系统错误，请稍后再试"}, status=500)
    return response


def _first_error(detail, prefix=""):
    if isinstance(detail, dict):
        for key, value in detail.items():
            label = "" if key == "non_field_errors" else f"{key}："
            return _first_error(value, prefix or label)
    if isinstance(detail, list) and detail:
        return _first_error(detail[0], prefix)
    return f"{prefix}{detail}"


@csrf_exempt
def not_found(request, rest=""):
    return JsonResponse({"detail": "没有这个接口地址，请查看 /api/v1/schema/"}, status=404)


# --- serializers -----------------------------------------------------------------------------


class CategoryRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ChoiceSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class AttributeSerializer(serializers.ModelSerializer):
    values = serializers.SerializerMethodField()

    class Meta:
        model = ServiceAttribute
        fields = ["code", "datatype", "required", "description", "datatype_description", "order", "values"]

    @extend_schema_field(ChoiceSerializer(many=True))
    def get_values(self, attribute):
        return [{"key": key, "name": name} for key, name in attribute.choices]


class CategorySerializer(serializers.ModelSerializer):
    """A category as it holds in the caller's town: its default department and limits are the
    rules in force there (`rules`, services.category_setting_for), the town's own or the county's."""

    default_department = NamedRefSerializer(source="rules.default_department", allow_null=True)
    response_limit_days = serializers.IntegerField(source="rules.response_limit_days", help_text="响应时限(工作日)")
    resolution_limit_days = serializers.IntegerField(source="rules.resolution_limit_days", help_text="办结时限(工作日)")
    attributes = AttributeSerializer(many=True)

    class Meta:
        model = Category
        fields = [
            "code",
            "name",
            "group",
            "description",
            "default_department",
            "response_limit_days",
            "resolution_limit_days",
            "may_become_project",
            "attributes",
        ]


class DepartmentSerializer(serializers.ModelSerializer):
    town = NamedRefSerializer()

    class Meta:
        model = Department
        fields = ["id", "name", "description", "is_active", "town"]


class AreaSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.CharField()
    code = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)


class ConcernListItemSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    category = CategoryRefSerializer()
    department = NamedRefSerializer(allow_null=True)
    village = NamedRefSerializer(allow_null=True)
    area = NamedRefSerializer()
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Concern
        fields = [
            "id",
            "reference",
            "title",
            "status",
            "status_label",
            "channel",
            "urgency",
            "category",
            "department",
            "village",
            "area",
            "received_at",
            "response_due",
            "resolution_due",
            "is_overdue",
            "is_supervised",
            "held_at_county",
            "reopen_count",
            "duplicate_of",
            "project",
        ]

    def get_is_overdue(self, concern) -> bool:
        return concern.is_overdue(self.context.get("now"))

    def to_representation(self, concern):
        # Numbers and the reporter's name in free text are masked, as on the page (redaction);
        # the API offers no reveal: the page's audited "显示原文" is the one way to the full text.
        data = super().to_representation(concern)
        names = (concern.reporter_name,)
        for key in ("title", "text", "resolution_text"):
            if data.get(key):
                data[key] = redact_text(data[key], names=names)
        for event in data.get("events") or ():
            for key in ("public_text", "internal_note", "reason"):
                if event.get(key):
                    event[key] = redact_text(event[key], names=names)
        return data


class EventSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    department = serializers.CharField(source="department.name", allow_null=True, default=None)

    class Meta:
        model = ConcernEvent
        fields = [
            "at",
            "kind",
            "kind_label",
            "actor_label",
            "from_status",
            "to_status",
            "department",
            "public_text",
            "internal_note",
            "reason",
            "is_public",
        ]


class SuspensionSerializer(serializers.ModelSerializer):
    started_by = serializers.SerializerMethodField()

    class Meta:
        model = Suspension
        fields = ["reason", "expected_resume", "from_status", "started_at", "started_by"]

    def get_started_by(self, suspension) -> str:
        return _user_label(suspension.started_by)


class PendingExtensionSerializer(serializers.ModelSerializer):
    requested_by = serializers.SerializerMethodField()

    class Meta:
        model = DeadlineExtension
        fields = ["reason", "requested_date", "previous_due", "requested_at", "requested_by"]

    def get_requested_by(self, extension) -> str:
        return _user_label(extension.requested_by)


def _user_label(user):
    return "" if user is None else (user.display_name or user.get_username())


class ConcernDetailSerializer(ConcernListItemSerializer):
    reporter_name = serializers.CharField(source="reporter_name_masked")
    reporter_phone = serializers.CharField(source="reporter_phone_masked")
    events = EventSerializer(many=True)
    allowed_actions = serializers.SerializerMethodField()
    suspension = serializers.SerializerMethodField(help_text="未结束的挂起（已挂起时）")
    pending_extension = serializers.SerializerMethodField(help_text="待审批的延期申请")

    class Meta(ConcernListItemSerializer.Meta):
        fields = ConcernListItemSerializer.Meta.fields + [
            "text",
            "address",
            "latitude",
            "longitude",
            "coord_system",
            "reporter_name",
            "reporter_phone",
            "accepted_at",
            "dispatched_at",
            "responded_at",
            "resolved_at",
            "closed_at",
            "outcome",
            "resolution_text",
            "callback_result",
            "events",
            "allowed_actions",
            "suspension",
            "pending_extension",
        ]

    def get_allowed_actions(self, concern) -> list[str]:
        return sorted(access.allowed_actions(self.context["request"].user, concern))

    @extend_schema_field(SuspensionSerializer(allow_null=True))
    def get_suspension(self, concern):
        open_ = [s for s in concern.suspensions.all() if s.ended_at is None]
        return SuspensionSerializer(open_[0]).data if open_ else None

    @extend_schema_field(PendingExtensionSerializer(allow_null=True))
    def get_pending_extension(self, concern):
        pending = [e for e in concern.extensions.all() if e.status == ExtensionStatus.PENDING]
        return PendingExtensionSerializer(pending[0]).data if pending else None

    def to_representation(self, concern):
        data = super().to_representation(concern)
        names = (concern.reporter_name,)
        for key in ("suspension", "pending_extension"):
            if data.get(key) and data[key].get("reason"):
                data[key]["reason"] = redact_text(data[key]["reason"], names=names)
        return data


def _page_serializer(name, item):
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "page": serializers.IntegerField(),
            "page_size": serializers.IntegerField(),
            "results": item(many=True),
        },
    )


class ConcernFilterSerializer(serializers.Serializer):
    status = serializers.CharField(required=False, help_text="状态，可用逗号分隔多个：" + ",".join(Status.values))
    category = serializers.CharField(required=False, max_length=20, help_text="类别代码")
    department = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    village = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    area = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    channel = serializers.ChoiceField(required=False, choices=Channel.choices)
    urgency = serializers.ChoiceField(required=False, choices=Urgency.choices)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    supervised = serializers.BooleanField(required=False, allow_null=True, default=None)
    received_after = serializers.DateField(required=False)
    received_before = serializers.DateField(required=False)
    q = serializers.CharField(required=False, max_length=60, help_text="编号或标题关键词")
    ordering = serializers.ChoiceField(
        required=False, choices=["-received_at", "received_at", "resolution_due"], default="-received_at"
    )
    page = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=20)

    def validate_status(self, value):
        statuses = [s.strip() for s in value.split(",") if s.strip()]
        bad = [s for s in statuses if s not in Status.values]
        if bad:
            raise serializers.ValidationError(f"未知的状态“{bad[0][:20]}”")
        return statuses


class ConcernCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=services.MAX_TEXT_LENGTH)
    category = serializers.CharField(max_length=20, help_text="类别代码")
    area = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="村(社区)或网格的编号")
    channel = serializers.ChoiceField(
        choices=[(c.value, c.label) for c in services.STAFF_CHANNELS], help_text="来源渠道（工作人员登记）"
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=60)
    urgency = serializers.ChoiceField(required=False, choices=Urgency.choices, default=Urgency.NORMAL)
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    reporter_phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    latitude = serializers.DecimalField(
        required=False, allow_null=True, max_digits=9, decimal_places=6, min_value=-90, max_value=90
    )
    longitude = serializers.DecimalField(
        required=False, allow_null=True, max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )
    coord_system = serializers.ChoiceField(
        required=False, choices=CoordSystem.choices, default=CoordSystem.WGS84,
        help_text="纬度、经度所用的坐标系：wgs84（默认，GPS）、gcj02（高德、腾讯、微信）、bd09（百度）；保存时换算为 WGS-84",
    )
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)


def _text(label, required=True, max_length=services.MAX_TEXT_LENGTH):
    return serializers.CharField(
        required=required, allow_blank=not required, max_length=max_length, help_text=label
    )


# One input serializer per workflow action.
class AcceptSerializer(serializers.Serializer):
    public_text = _text("给诉求人的答复（可空）", required=False)


class ReasonSerializer(serializers.Serializer):
    reason = _text("理由", max_length=services.MAX_REASON_LENGTH)


class DispatchSerializer(serializers.Serializer):
    department = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID, help_text="承办部门；空则用类别的默认部门"
    )
    note = _text("派单说明", required=False, max_length=services.MAX_REASON_LENGTH)


class EmptySerializer(serializers.Serializer):
    pass


class TextSerializer(serializers.Serializer):
    text = _text("内容")


class ResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    text = _text("办结答复")


class CallBackSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=CallBackResult.choices)
    solved = serializers.BooleanField()
    note = _text("回访记录", required=False)


class CallAttemptSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=AttemptChannel.choices, required=False, default=AttemptChannel.PHONE)
    note = _text("情况（如无人接听、关机）", required=False, max_length=callbacks.MAX_ATTEMPT_NOTE_LENGTH)


class UnreachableSerializer(serializers.Serializer):
    reason = _text("说明（诉求人未留电话时必填）", required=False, max_length=services.MAX_REASON_LENGTH)


class RecategoriseSerializer(serializers.Serializer):
    category = serializers.CharField(max_length=20, help_text="新类别代码")
    reason = _text("调整理由", required=False, max_length=services.MAX_REASON_LENGTH)


class DuplicateSerializer(serializers.Serializer):
    original = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="原件诉求的编号(id)")
    note = _text("合并说明", required=False, max_length=services.MAX_REASON_LENGTH)


class SuperviseSerializer(serializers.Serializer):
    note = _text("督办意见", max_length=300)


class ExtensionRequestSerializer(serializers.Serializer):
    new_date = serializers.DateField(help_text="申请延至（工作日，YYYY-MM-DD）")
    reason = _text("延期理由", max_length=services.MAX_REASON_LENGTH)


class ExtensionApproveSerializer(serializers.Serializer):
    note = _text("审批意见（可空）", required=False, max_length=300)


class ExtensionRefuseSerializer(serializers.Serializer):
    # Required by the service, which names the field in Chinese ("请填写审批意见").
    note = _text("不批准的理由（必填）", required=False, max_length=300)


class SuspendSerializer(serializers.Serializer):
    reason = _text("挂起理由", max_length=services.MAX_REASON_LENGTH)
    expected_resume = serializers.DateField(help_text="预计恢复日期（YYYY-MM-DD）")


class ResumeSerializer(serializers.Serializer):
    note = _text("说明（可空）", required=False, max_length=services.MAX_REASON_LENGTH)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    field = serializers.CharField(required=False)


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="输入有误"),
    401: OpenApiResponse(ErrorSerializer, description="未登录或令牌无效"),
    403: OpenApiResponse(ErrorSerializer, description="没有权限"),
    404: OpenApiResponse(ErrorSerializer, description="未找到或不在权限范围内"),
}
ACTION_ERRORS = {**ERRORS, 409: OpenApiResponse(ErrorSerializer, description="当前状态不允许此操作")}


# --- reads -----------------------------------------------------------------------------------


def _validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _filtered_concerns(user, f):
    qs = Concern.objects.visible_to(user)
    if f.get("status"):
        qs = qs.filter(status__in=f["status"])
    if f.get("category"):
        qs = qs.filter(category__code=f["category"])
    for name in ("department", "village", "area"):
        if f.get(name):
            qs = qs.filter(**{f"{name}_id": f[name]})
    for name in ("channel", "urgency"):
        if f.get(name):
            qs = qs.filter(**{name: f[name]})
    now = timezone.now()
    if f.get("overdue") is True:
        qs = qs.overdue(now)
    elif f.get("overdue") is False:
        qs = qs.exclude(pk__in=Concern.objects.overdue(now).values("pk"))
    if f.get("supervised") is not None:
        qs = qs.filter(is_supervised=f["supervised"])
    if f.get("received_after"):
        start = datetime.datetime.combine(f["received_after"], datetime.time.min, tzinfo=workdays.local_zone())
        qs = qs.filter(received_at__gte=start)
    if f.get("received_before"):
        qs = qs.filter(received_at__lte=workdays.end_of_day(f["received_before"]))
    if f.get("q"):
        q = f["q"].strip()
        qs = qs.filter(reference=q) if q.upper().startswith(services.reference_prefix() + "-") else qs.filter(
            title__icontains=q
        )
    return qs.order_by(f["ordering"], "-id")


@extend_schema(
    methods=["GET"],
    summary="诉求列表（按权限范围）",
    operation_id="concern_list",
    parameters=[ConcernFilterSerializer],
    responses={200: _page_serializer("ConcernPage", ConcernListItemSerializer), **ERRORS},
)
@extend_schema(
    methods=["POST"],
    summary="登记诉求（电话、来访、走访、民情茶室）",
    operation_id="concern_create",
    request=ConcernCreateSerializer,
    responses={201: ConcernDetailSerializer, **ERRORS},
)
@api_view(["GET", "POST"])
def concern_list(request):
    if request.method == "POST":
        return _concern_create(request)
    # A plain dict: DRF reads a missing boolean in a QueryDict as False, not as "no filter".
    f = _validated(ConcernFilterSerializer, request.query_params.dict())
    qs = _filtered_concerns(request.user, f)
    page, size = f["page"], f["page_size"]
    total = qs.count()
    # The reporter's name comes with the rows: each item's title is redacted with it.
    rows = list(qs.for_list(keep=("reporter_name",))[(page - 1) * size : page * size])
    data = ConcernListItemSerializer(rows, many=True, context={"request": request, "now": timezone.now()}).data
    return Response({"count": total, "page": page, "page_size": size, "results": data})


def _concern_create(request):
    data = _validated(ConcernCreateSerializer, request.data)
    category = _category(data["category"])
    area = visible_areas(request.user).filter(pk=data["area"]).first()
    if area is None:
        raise services.ConcernError("所在村(社区)或网格不存在或不在本镇", field="area")
    result = services.submit_concern(
        text=data["text"],
        category=category,
        area=area,
        channel=data["channel"],
        by=request.user,
        title=data.get("title", ""),
        urgency=data.get("urgency", Urgency.NORMAL),
        reporter_name=data.get("reporter_name", ""),
        reporter_phone=data.get("reporter_phone", ""),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        coord_system=data.get("coord_system", CoordSystem.WGS84),
        address=data.get("address", ""),
    )
    return Response(_detail_data(request, result.concern.pk, checked=True), status=201)


def _get_pk(pk):
    if pk > MAX_ID:
        raise Http404
    return pk


def _detail_data(request, pk, *, checked=False):
    """The concern's full detail; `checked` when the caller has just acted on it (a department that
    returned a concern no longer sees it, but is answered with its new state once)."""
    if not checked:
        pk = access.get_concern_for_user(request.user, _get_pk(pk)).pk
    events = ConcernEvent.objects.select_related("department").order_by("at", "id")
    concern = (
        Concern.objects.filter(pk=pk)
        .select_related("category", "department", "village", "area", "project")
        .prefetch_related(
            Prefetch("events", queryset=events),
            Prefetch(
                "suspensions",
                queryset=Suspension.objects.filter(ended_at__isnull=True).select_related("started_by"),
            ),
            Prefetch(
                "extensions",
                queryset=DeadlineExtension.objects.filter(status=ExtensionStatus.PENDING).select_related(
                    "requested_by"
                ),
            ),
        )
        .get()
    )
    return ConcernDetailSerializer(concern, context={"request": request, "now": timezone.now()}).data


@extend_schema(
    summary="诉求详情（含办理记录和可执行的操作）", operation_id="concern_detail", responses={200: ConcernDetailSerializer, **ERRORS})
@api_view(["GET"])
def concern_detail(request, pk):
    return Response(_detail_data(request, pk))


@extend_schema(summary="诉求类别（Open311 服务）", responses={200: CategorySerializer(many=True), **ERRORS})
@api_view(["GET"])
def category_list(request):
    if not _is_staff(request.user):
        raise exceptions.PermissionDenied("当前账号不能使用此接口")
    town_id = services.user_town_id(request.user)
    categories = list(
        Category.objects.filter(is_active=True)
        .for_town(town_id)
        .select_related("default_department")
        .prefetch_related(Prefetch("attributes", queryset=ServiceAttribute.objects.order_by("order")))
    )
    rules = services.category_settings_for_town(town_id, categories)
    for category in categories:
        category.rules = rules[category.pk]
    return Response(CategorySerializer(categories, many=True).data)


@extend_schema(summary="本镇职能部门", responses={200: DepartmentSerializer(many=True), **ERRORS})
@api_view(["GET"])
def department_list(request):
    departments = Department.objects.visible_to(request.user).select_related("town").order_by("name", "id")
    return Response(DepartmentSerializer(departments, many=True).data)


@extend_schema(summary="本镇区域（镇、村/社区、网格）", responses={200: AreaSerializer(many=True), **ERRORS})
@api_view(["GET"])
def area_list(request):
    areas = list(visible_areas(request.user).order_by("path"))
    by_path = {a.path: a for a in areas}
    rows = []
    for area in areas:
        parent = by_path.get(area.path[: -area.steplen])
        rows.append(
            {"id": area.pk, "name": area.name, "level": area.level, "code": area.code,
             "parent_id": parent.pk if parent else None}
        )
    return Response(AreaSerializer(rows, many=True).data)


@extend_schema(
    summary="当前账号",
    responses={
        200: inline_serializer(
            name="Me",
            fields={
                "id": serializers.IntegerField(),
                "username": serializers.CharField(),
                "name": serializers.CharField(),
                "role": serializers.CharField(),
            },
        ),
        **ERRORS,
    },
)
@api_view(["GET"])
def me(request):
    user = request.user
    return Response({"id": user.pk, "username": user.username, "name": user.display_name, "role": user.role})


def _is_staff(user):
    return getattr(user, "role", None) in TOKEN_ROLES + (Role.INSTRUCTOR,)


# --- workflow actions ------------------------------------------------------------------------


def _department(user, pk):
    if pk is None:
        return None
    department = Department.objects.visible_to(user).filter(pk=pk).first()
    if department is None:
        raise services.ConcernError("承办部门不存在或不在本镇", field="department")
    return department


def _category(code):
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise services.ConcernError("类别不存在或已停用", field="category")
    return category


def _original(user, pk):
    try:
        return access.get_concern_for_user(user, _get_pk(pk))
    except Http404:
        raise services.ConcernError("原件诉求不存在或不在您的权限范围内", field="original") from None


def _call(name, concern, user, data):
    if name == "accept":
        return services.accept_concern(concern, by=user, public_text=data.get("public_text", ""))
    if name == "decline":
        return services.decline_concern(concern, by=user, reason=data["reason"])
    if name == "dispatch":
        return services.dispatch_concern(
            concern, by=user, department=_department(user, data.get("department")), note=data.get("note", "")
        )
    if name == "return":
        return services.return_concern(concern, by=user, reason=data["reason"])
    if name == "sign":
        return services.sign_for_concern(concern, by=user)
    if name == "update":
        return services.post_update(concern, by=user, text=data["text"], public=True)
    if name == "note":
        return services.post_update(concern, by=user, text=data["text"], public=False)
    if name == "resolve":
        return services.resolve_concern(concern, by=user, outcome=data["outcome"], text=data["text"])
    if name == "call-back":
        return services.record_call_back(
            concern, by=user, result=data["result"], solved=data["solved"], note=data.get("note", "")
        )
    if name == "call-attempt":
        callbacks.record_call_back_attempt(
            concern, by=user, channel=data.get("channel", AttemptChannel.PHONE), note=data.get("note", "")
        )
        return concern
    if name == "unreachable":
        return callbacks.record_unreachable(concern, by=user, reason=data.get("reason", ""))
    if name == "close":
        # Closing a resolved concern without a verdict is 联系不上, under its rule (attempts on
        # different working days, or at once without a phone); kept for older clients.
        return callbacks.record_unreachable(concern, by=user, reason=data["reason"])
    if name == "reopen":
        return services.reopen_concern(concern, by=user, reason=data["reason"])
    if name == "recategorise":
        return services.recategorise_concern(
            concern, by=user, category=_category(data["category"]), reason=data.get("reason", "")
        )
    if name == "duplicate":
        return services.link_duplicate(
            concern, _original(user, data["original"]), by=user, note=data.get("note", "")
        )
    if name == "supervise":
        return services.supervise_concern(concern, by=user, note=data["note"])
    if name == "refer-up":
        return services.escalate_concern_to_county(concern, by=user, reason=data["reason"])
    if name == "hand-down":
        return services.hand_down_concern(concern, by=user, reason=data["reason"])
    if name == "extend":
        return deadlines.request_extension(concern, by=user, reason=data["reason"], new_date=data["new_date"])
    if name in ("extension-approve", "extension-refuse"):
        return deadlines.decide_extension(
            concern, by=user, approve=name == "extension-approve", note=data.get("note", "")
        )
    if name == "suspend":
        return deadlines.suspend_concern(
            concern, by=user, reason=data["reason"], expected_resume=data["expected_resume"]
        )
    if name == "resume":
        return deadlines.resume_concern(concern, by=user, note=data.get("note", ""))
    raise Http404


# action name → (input serializer, summary)
ACTIONS = {
    "accept": (AcceptSerializer, "受理"),
    "decline": (ReasonSerializer, "不予受理"),
    "dispatch": (DispatchSerializer, "派单（待受理的诉求同时受理）"),
    "return": (ReasonSerializer, "退单（承办部门）"),
    "sign": (EmptySerializer, "签收（承办部门）"),
    "update": (TextSerializer, "发布办理进展（公开）"),
    "note": (TextSerializer, "内部备注"),
    "resolve": (ResolveSerializer, "办结"),
    "call-back": (CallBackSerializer, "登记电话回访（不满意须写明原因，重办）"),
    "call-attempt": (CallAttemptSerializer, "登记一次未联系上的回访"),
    "unreachable": (UnreachableSerializer, "登记联系不上（须在规定个数的不同工作日回访未联系上，未留电话的除外），关闭诉求"),
    "close": (ReasonSerializer, "无法回访而关闭（同 unreachable，须满足联系不上的规则；保留给旧客户端）"),
    "reopen": (ReasonSerializer, "重新办理"),
    "recategorise": (RecategoriseSerializer, "调整类别"),
    "duplicate": (DuplicateSerializer, "合并为重复件"),
    "supervise": (SuperviseSerializer, "领导督办"),
    "refer-up": (ReasonSerializer, "上报县级受理中心（本镇民情受理员、镇领导，须写明理由）"),
    "hand-down": (ReasonSerializer, "下派回镇办理（县级受理员，须写明理由）"),
    "extend": (ExtensionRequestSerializer, "申请延期（承办部门，须在办结期限内）"),
    "extension-approve": (ExtensionApproveSerializer, "批准待审批的延期申请（民情受理员、镇领导）"),
    "extension-refuse": (ExtensionRefuseSerializer, "不批准待审批的延期申请（须写明理由）"),
    "suspend": (SuspendSerializer, "挂起（停止计时，须写明理由和预计恢复日期）"),
    "resume": (ResumeSerializer, "恢复办理（期限顺延挂起的工作日）"),
}


def _action_view(name, serializer_class, summary):
    @extend_schema(
        summary=summary,
        request=serializer_class,
        responses={200: ConcernDetailSerializer, **ACTION_ERRORS},
        operation_id=f"concern_{name.replace('-', '_')}",
    )
    @api_view(["POST"])
    def view(request, pk):
        concern = access.get_concern_for_user(request.user, _get_pk(pk))
        data = _validated(serializer_class, request.data)
        _call(name, concern, request.user, data)
        return Response(_detail_data(request, concern.pk, checked=True))

    view.__name__ = f"concern_{name.replace('-', '_')}"
    return view


ACTION_VIEWS = {name: _action_view(name, *spec) for name, spec in ACTIONS.items()}
