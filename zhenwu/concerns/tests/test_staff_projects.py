"""The staff project page: stages with dates and progress, advancing, documents served through
an access-checked view, and who may change what."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhenwu.concerns import services
from zhenwu.concerns.models import ConcernEvent, ProjectDocument, ProjectStage

from .staff_helpers import in_state, text

D = datetime.date


@pytest.fixture
def project(submit, world):
    concern = in_state("dispatched", submit=submit, world=world, area=world.cast.jizhen_grid,
                       text="岸山路是断头路，村民出行要绕行五公里。")
    project = services.start_or_join_project(
        concern, by=world.users.handler, name="岸山路贯通工程", on_date=D(2026, 3, 2)
    )
    project.concern = concern
    return project


def test_the_handler_sees_the_eight_stages_and_the_linked_concern(client, login, world, project):
    login(world.users.handler)
    body = text(client.get(f"/concerns/projects/{project.pk}/"))
    for label in ("立项", "初步设计评审", "概算审批", "工程预算", "财政审批", "招投标", "施工", "竣工"):
        assert label in body
    assert "当前阶段：立项" in body and project.concern.reference in body
    assert "完成“立项”，进入下一阶段" in body


def test_the_concern_page_links_to_its_project(client, login, world, project):
    login(world.users.dispatcher)
    body = text(client.get(f"/concerns/{project.concern.pk}/"))
    assert f'href="/concerns/projects/{project.pk}/"' in body


def test_advancing_a_stage_through_the_page_updates_progress_and_the_timeline(client, login, world, project):
    login(world.users.handler)
    response = client.post(
        f"/concerns/projects/{project.pk}/advance/", {"on_date": "2026-03-20", "note": "立项批复已下达"}
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.stage == "design_review" and project.progress == 12
    initiation = ProjectStage.objects.get(project=project, kind="initiation")
    assert initiation.actual_end == D(2026, 3, 20) and "立项批复已下达" in initiation.note
    assert ConcernEvent.objects.filter(concern=project.concern, kind="project_stage").exists()


def test_a_completion_date_before_the_stage_began_is_refused_and_kept(client, login, world, project):
    login(world.users.handler)
    response = client.post(f"/concerns/projects/{project.pk}/advance/", {"on_date": "2026-02-01", "note": "我的说明"})
    assert response.status_code == 200
    body = text(response)
    assert "完成日期不能早于本阶段开始日期2026-03-02" in body and "我的说明" in body
    project.refresh_from_db()
    assert project.stage == "initiation"


def test_the_current_stage_takes_progress_and_planned_dates(client, login, world, project):
    stage = ProjectStage.objects.get(project=project, kind="initiation")
    login(world.users.handler)
    client.post(f"/concerns/projects/stages/{stage.pk}/", {
        "planned_start": "2026-03-02", "planned_end": "2026-03-31", "progress": "50", "note": "",
    })
    stage.refresh_from_db()
    project.refresh_from_db()
    assert (stage.planned_end, stage.progress) == (D(2026, 3, 31), 50)
    assert project.progress == 6  # half of one eighth


def test_bad_stage_input_gets_chinese_messages(client, login, world, project):
    stage = ProjectStage.objects.get(project=project, kind="initiation")
    login(world.users.handler)
    body = text(client.post(f"/concerns/projects/stages/{stage.pk}/", {"progress": "150", "note": "说明"}))
    assert "进度须在0到100之间" in body
    body = text(client.post(f"/concerns/projects/stages/{stage.pk}/", {
        "planned_start": "2026-04-01", "planned_end": "2026-03-01", "note": "",
    }))
    assert "计划完成日期不能早于计划开始日期" in body


def test_a_later_stage_is_planned_without_a_progress_field(client, login, world, project):
    later = ProjectStage.objects.get(project=project, kind="construction")
    login(world.users.handler)
    body = text(client.get(f"/concerns/projects/{project.pk}/"))
    assert f'id="id_stage{later.pk}_planned_start"' in body
    assert f'id="id_stage{later.pk}_progress"' not in body
    client.post(f"/concerns/projects/stages/{later.pk}/", {"planned_start": "2026-09-01", "progress": "80"})
    later.refresh_from_db()
    assert later.planned_start == D(2026, 9, 1) and later.progress == 0


def test_a_document_is_uploaded_and_served_only_to_those_who_see_the_project(
    client, login, world, project, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    stage = ProjectStage.objects.get(project=project, kind="initiation")
    login(world.users.handler)
    upload = SimpleUploadedFile("批复.pdf", b"%PDF-1.4 approval", content_type="application/pdf")
    response = client.post(
        f"/concerns/projects/stages/{stage.pk}/documents/", {"title": "立项批复", "file": upload, "is_public": "on"}
    )
    assert response.status_code == 302
    document = ProjectDocument.objects.get()
    download = client.get(f"/concerns/projects/documents/{document.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 approval"
    assert "attachment" in download["Content-Disposition"]
    client.logout()
    login(world.users.grid_worker)  # 九龙村's grid: the project's concern is in 集镇村
    assert client.get(f"/concerns/projects/documents/{document.pk}/").status_code == 404
    assert client.get(f"/concerns/projects/{project.pk}/").status_code == 404


def test_an_executable_is_refused_as_a_document(client, login, world, project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    stage = ProjectStage.objects.get(project=project, kind="initiation")
    login(world.users.handler)
    upload = SimpleUploadedFile("setup.exe", b"MZ", content_type="application/octet-stream")
    body = text(client.post(f"/concerns/projects/stages/{stage.pk}/documents/", {"title": "脚本", "file": upload}))
    assert "附件须为PDF、图片、Word或Excel文件" in body
    assert not ProjectDocument.objects.exists()


def test_a_leader_reads_the_project_but_may_not_change_it(client, login, world, project):
    login(world.users.leader)
    body = text(client.get(f"/concerns/projects/{project.pk}/"))
    assert "岸山路贯通工程" in body and "进入下一阶段" not in body and "上传附件" not in body
    response = client.post(f"/concerns/projects/{project.pk}/advance/", {"on_date": "2026-03-20"})
    assert response.status_code == 403
    assert "没有管理此项目的权限" in text(response)
    project.refresh_from_db()
    assert project.stage == "initiation"
