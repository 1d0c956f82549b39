"""Projects: a concern that needs construction becomes (or joins) a project that moves through its
stages (立项 → … → 竣工) with planned dates and documents; the concerns in it follow the plan's
deadlines (zhenwu.concerns.deadlines.follow_project_plan)."""


from django.db import transaction
from django.utils import timezone

from zhenwu.audit.services import snapshot
from zhenwu.lib import uploads
from zhenwu.workdays import calendar as workdays

from .. import access, notify
from ..models import (
    OPEN_STATUSES,
    PROJECT_STAGE_ORDER,
    EventKind,
    Notification,
    Project,
    ProjectDocument,
    ProjectStage,
    ProjectStageKind,
    Status,
)
from .common import (
    DOCUMENT_EXTENSIONS,
    ConcernError,
    TransitionNotAllowed,
    _audit,
    _check_state,
    _clean_text,
    _event,
    _lock,
    _point,
    _require,
)

PROJECT_JOIN_STATES = (Status.ACCEPTED, Status.DISPATCHED, Status.RETURNED, Status.IN_PROGRESS)


def _project_progress(project, stages):
    if project.is_completed:
        return 100
    done = sum(1 for s in stages if s.is_done)
    current = next((s for s in stages if s.kind == project.stage), None)
    share = (current.progress if current and not current.is_done else 0) / 100
    return min(100, int((done + share) * 100 / len(PROJECT_STAGE_ORDER)))


@transaction.atomic
def start_or_join_project(
    concern, *, by, project=None, name="", description="", department=None, on_date=None, now=None
):
    """Attach a concern to a project: a new one (立项, with its eight stages) or an existing one
    that other concerns already share. A new project is placed where its concern was reported
    (the concern's point, when it has one)."""
    concern = _lock(concern)
    _require(access.can_dispatch(by, concern) or access.can_handle(by, concern), "没有为此诉求立项的权限")
    _check_state(concern, PROJECT_JOIN_STATES, "立项")
    if not concern.category.may_become_project:
        raise ConcernError(f"“{concern.category.name}”类别的诉求不能立项")
    if concern.project_id is not None:
        raise ConcernError(f"该诉求已属于项目“{concern.project.name}”")
    before = snapshot(concern)
    now = now or timezone.now()
    today = on_date or workdays.local_date(now)
    if project is None:
        name = _clean_text(name, label="项目名称", max_length=100, field="name")
        description = _clean_text(description, label="项目概况", required=False)
        project = Project.objects.create(
            name=name,
            description=description,
            department=department or concern.department,
            town=concern.town,
            latitude=concern.latitude,
            longitude=concern.longitude,
            created_by=by,
            created_at=now,
        )
        ProjectStage.objects.bulk_create(
            ProjectStage(project=project, kind=kind, order=i + 1, actual_start=today if i == 0 else None)
            for i, kind in enumerate(PROJECT_STAGE_ORDER)
        )
        _audit(project, None, by=by, note=f"由诉求{concern.reference}立项")
        kind, public_text = EventKind.PROJECT_STARTED, f"已立项：{project.name}"
    else:
        project = Project.objects.select_for_update().get(pk=project.pk)
        if project.town_id != concern.town_id:
            raise ConcernError("只能并入本镇的项目", field="project")
        if project.is_completed:
            raise ConcernError(f"项目“{project.name}”已竣工，不能再并入诉求", field="project")
        kind = EventKind.PROJECT_JOINED
        public_text = f"并入项目“{project.name}”（当前阶段：{project.get_stage_display()}）"
    concern.project = project
    concern.save()
    _event(
        concern,
        kind=kind,
        by=by,
        at=now,
        from_status=concern.status,
        to_status=concern.status,
        public_text=public_text,
        is_public=True,
        data={"project": project.pk},
    )
    _audit(concern, before, by=by, note=public_text)
    from ..deadlines import follow_project_plan  # deadlines builds on services.common

    follow_project_plan(project, by=by, now=now, concerns=[concern])
    notify.tell_residents(concern, f"您的诉求{concern.reference}{public_text[:40]}")
    return project


@transaction.atomic
def advance_project_stage(project, *, by, on_date=None, note="", now=None):
    """Finish the current stage and start the next (the last one completes the project). Every
    open concern of the project gets a public timeline entry."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    _require(access.can_manage_project(by, project), "没有管理此项目的权限")
    if project.is_completed:
        raise TransitionNotAllowed("项目已竣工，不能再推进")
    note = _clean_text(note, label="说明", required=False)
    now = now or timezone.now()
    day = on_date or workdays.local_date(now)
    stages = list(project.stages.select_for_update().order_by("order"))
    current = next(s for s in stages if s.kind == project.stage)
    if current.actual_start and day < current.actual_start:
        raise ConcernError(f"完成日期不能早于本阶段开始日期{current.actual_start:%Y-%m-%d}", field="on_date")
    before = snapshot(project)
    current.actual_end = day
    current.progress = 100
    if note:
        current.note = (current.note + "\n" + note).strip()
    current.save()
    index = PROJECT_STAGE_ORDER.index(ProjectStageKind(project.stage))
    if index + 1 < len(PROJECT_STAGE_ORDER):
        nxt = stages[index + 1]
        nxt.actual_start = day
        nxt.save(update_fields=["actual_start"])
        project.stage = nxt.kind
        text = f"项目“{project.name}”{current.get_kind_display()}完成，进入{nxt.get_kind_display()}阶段。"
    else:
        project.is_completed = True
        text = f"项目“{project.name}”已竣工。"
    project.progress = _project_progress(project, stages)
    project.save()
    _audit(project, before, by=by, note=text)
    for concern in project.concerns.filter(status__in=OPEN_STATUSES + (Status.RESOLVED,)):
        _event(
            concern,
            kind=EventKind.PROJECT_STAGE,
            by=by,
            at=now,
            from_status=concern.status,
            to_status=concern.status,
            public_text=text,
            is_public=True,
            data={"project": project.pk, "stage": project.stage},
        )
    from ..deadlines import follow_project_plan

    follow_project_plan(project, by=by, now=now)
    return project


@transaction.atomic
def set_project_location(project, *, by, latitude, longitude, coord_system=None):
    """Place (or, with neither degree, unplace) a project's works: staff who may manage it, a point
    pinned or typed in `coord_system` (GCJ-02 and BD-09 converted), stored as WGS-84; audited."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    _require(access.can_manage_project(by, project), "没有管理此项目的权限")
    latitude, longitude, _system = _point(latitude, longitude, coord_system)
    if (latitude is None) != (longitude is None):
        raise ConcernError("纬度和经度须同时填写", field="latitude" if latitude is None else "longitude")
    if (project.latitude, project.longitude) == (latitude, longitude):
        return project
    before = snapshot(project)
    project.latitude, project.longitude = latitude, longitude
    project.save(update_fields=["latitude", "longitude", "updated_at"])
    _audit(project, before, by=by, note="清除项目位置" if latitude is None else "设置项目位置")
    return project


@transaction.atomic
def update_project_stage(stage, *, by, planned_start=None, planned_end=None, progress=None, note=None, now=None):
    """Plan a stage's dates, report the current stage's progress, or annotate it. A new planned
    end moves the deadline of the project's concerns (zhenwu.concerns.deadlines)."""
    stage = ProjectStage.objects.select_for_update().select_related("project").get(pk=stage.pk)
    project = Project.objects.select_for_update().get(pk=stage.project_id)
    _require(access.can_manage_project(by, project), "没有管理此项目的权限")
    if planned_start and planned_end and planned_end < planned_start:
        raise ConcernError("计划完成日期不能早于计划开始日期", field="planned_end")
    before = snapshot(stage)
    if planned_start is not None:
        stage.planned_start = planned_start
    if planned_end is not None:
        stage.planned_end = planned_end
    if progress is not None:
        if stage.kind != project.stage or stage.is_done:
            raise ConcernError("只能填写当前阶段的进度", field="progress")
        if not (0 <= int(progress) <= 100):
            raise ConcernError("进度须在0到100之间", field="progress")
        stage.progress = int(progress)
    if note is not None:
        stage.note = _clean_text(note, label="说明", required=False)
    stage.save()
    project.progress = _project_progress(project, list(project.stages.order_by("order")))
    project.save(update_fields=["progress", "updated_at"])
    _audit(stage, before, by=by, note=f"更新项目阶段：{stage}")
    if planned_end is not None:
        from ..deadlines import follow_project_plan

        follow_project_plan(project, by=by, now=now)
    return stage


@transaction.atomic
def add_project_document(stage, *, by, title, file, is_public=True):
    stage = ProjectStage.objects.select_related("project").get(pk=stage.pk)
    _require(access.can_manage_project(by, stage.project), "没有管理此项目的权限")
    title = _clean_text(title, label="附件名称", max_length=100, field="title")
    name = getattr(file, "name", "")
    if not name.lower().endswith(DOCUMENT_EXTENSIONS):
        raise ConcernError("附件须为PDF、图片、Word或Excel文件", field="file")
    try:
        uploads.check_size(file, limit=uploads.max_upload_bytes(), label="附件")
    except uploads.FileLimitExceeded as exc:
        raise ConcernError(exc.message, field="file") from None
    document = ProjectDocument(stage=stage, title=title, is_public=is_public, uploaded_by=by)
    document.file.save(name, file, save=False)
    document.save()
    _audit(document, None, by=by, note=f"上传项目附件：{title}")
    return document


def mark_notifications_read(*, user, ids=None):
    """Mark the user's unread notifications (all, or those in `ids`) read; returns how many.
    Only ever touches the user's own rows, whatever ids are passed."""
    qs = Notification.objects.for_user(user).unread()
    if ids is not None:
        qs = qs.filter(pk__in=[i for i in ids if str(i).isdigit()])
    return qs.update(read_at=timezone.now())
