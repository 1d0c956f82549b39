"""Projects: concerns start or join one; it moves through the eight stages in order."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhenwu.concerns import services
from zhenwu.concerns.models import ConcernEvent, Project, ProjectDocument, ProjectStage, ProjectStageKind
from zhenwu.concerns.services import ConcernError, ConcernPermissionDenied, TransitionNotAllowed

D = datetime.date


@pytest.fixture
def road_concern(submit, world):
    concern = submit(text="岸山路是断头路，村民出行要绕行五公里。", area=world.cast.jizhen).concern
    return services.dispatch_concern(concern, by=world.users.dispatcher)


def test_a_concern_starts_a_project_with_the_eight_stages(road_concern, world):
    project = services.start_or_join_project(
        road_concern, by=world.users.handler, name="岸山路贯通工程", on_date=D(2026, 3, 2)
    )
    stages = list(project.stages.order_by("order").values_list("kind", "actual_start"))
    assert [kind for kind, _ in stages] == [k.value for k in ProjectStageKind]
    assert stages[0] == ("initiation", D(2026, 3, 2)) and all(start is None for _, start in stages[1:])
    assert project.department == world.cast.urban and project.town == world.cast.town
    road_concern.refresh_from_db()
    assert road_concern.project == project
    assert ConcernEvent.objects.get(concern=road_concern, kind="project_started").is_public


def test_several_concerns_share_one_project(road_concern, submit, world):
    project = services.start_or_join_project(road_concern, by=world.users.dispatcher, name="岸山路贯通工程")
    other = services.dispatch_concern(submit(area=world.cast.jizhen).concern, by=world.users.dispatcher)
    services.start_or_join_project(other, by=world.users.dispatcher, project=project)
    assert set(project.concerns.values_list("pk", flat=True)) == {road_concern.pk, other.pk}
    with pytest.raises(ConcernError, match="已属于项目"):
        services.start_or_join_project(other, by=world.users.dispatcher, project=project)


def test_advancing_to_finance_approval_updates_progress_and_every_concerns_timeline(road_concern, world):
    project = services.start_or_join_project(
        road_concern, by=world.users.handler, name="岸山路贯通工程", on_date=D(2026, 3, 2)
    )
    for day in (D(2026, 3, 20), D(2026, 4, 15), D(2026, 5, 10), D(2026, 6, 1)):
        project = services.advance_project_stage(project, by=world.users.handler, on_date=day)
    assert project.stage == ProjectStageKind.FINANCE_APPROVAL
    assert project.progress == 50  # four of eight stages done
    finance = ProjectStage.objects.get(project=project, kind="finance_approval")
    assert finance.actual_start == D(2026, 6, 1) and finance.actual_end is None
    services.update_project_stage(finance, by=world.users.handler, progress=50, planned_end=D(2026, 7, 31))
    project.refresh_from_db()
    assert project.progress == 56  # (4 + 0.5) / 8
    texts = list(
        ConcernEvent.objects.filter(concern=road_concern, kind="project_stage").values_list(
            "public_text", flat=True
        )
    )
    assert texts[-1] == "项目“岸山路贯通工程”工程预算完成，进入财政审批阶段。"


def test_the_last_stage_completes_the_project_and_it_cannot_advance_further(road_concern, world):
    project = services.start_or_join_project(road_concern, by=world.users.handler, name="岸山路贯通工程")
    for _ in range(8):
        project = services.advance_project_stage(project, by=world.users.handler)
    assert project.is_completed and project.progress == 100
    with pytest.raises(TransitionNotAllowed, match="已竣工"):
        services.advance_project_stage(project, by=world.users.handler)


def test_only_categories_that_may_become_projects_can_start_one(submit, world):
    concern = services.dispatch_concern(submit(category=world.sanitation).concern, by=world.users.dispatcher)
    with pytest.raises(ConcernError, match="不能立项"):
        services.start_or_join_project(concern, by=world.users.dispatcher, name="垃圾站")


def test_a_new_concern_must_be_accepted_before_it_becomes_a_project(submit, world):
    with pytest.raises(TransitionNotAllowed, match="当前状态为待受理，不能立项"):
        services.start_or_join_project(submit().concern, by=world.users.dispatcher, name="修路")


def test_other_departments_cannot_manage_the_project(road_concern, world):
    project = services.start_or_join_project(road_concern, by=world.users.handler, name="岸山路贯通工程")
    with pytest.raises(ConcernPermissionDenied):
        services.advance_project_stage(project, by=world.env_handler)
    with pytest.raises(ConcernPermissionDenied):
        services.advance_project_stage(project, by=world.users.secretary)


def test_stage_plans_and_progress_are_checked(road_concern, world):
    project = services.start_or_join_project(road_concern, by=world.users.handler, name="岸山路贯通工程")
    later = ProjectStage.objects.get(project=project, kind="construction")
    with pytest.raises(ConcernError, match="计划完成日期不能早于计划开始日期"):
        services.update_project_stage(
            later, by=world.users.handler, planned_start=D(2026, 9, 1), planned_end=D(2026, 8, 1)
        )
    with pytest.raises(ConcernError, match="只能填写当前阶段的进度"):
        services.update_project_stage(later, by=world.users.handler, progress=10)
    current = ProjectStage.objects.get(project=project, kind="initiation")
    with pytest.raises(ConcernError, match="0到100"):
        services.update_project_stage(current, by=world.users.handler, progress=120)


def test_documents_attach_to_a_stage(road_concern, world, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.MEDIA_ROOT = tmp_path
    project = services.start_or_join_project(road_concern, by=world.users.handler, name="岸山路贯通工程")
    stage = ProjectStage.objects.get(project=project, kind="initiation")
    upload = SimpleUploadedFile("立项批复.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    document = services.add_project_document(stage, by=world.users.handler, title="立项批复", file=upload)
    assert ProjectDocument.objects.get().pk == document.pk and document.file.name.endswith(".pdf")
    with pytest.raises(ConcernError, match="附件须为"):
        services.add_project_document(
            stage, by=world.users.handler, title="脚本", file=SimpleUploadedFile("x.exe", b"MZ")
        )
    assert Project.objects.count() == 1
