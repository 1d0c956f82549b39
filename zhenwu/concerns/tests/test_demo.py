"""The demo town's concerns: the story's three, a year of history with meaningful rates, loaded
once by load_demo."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from zhenwu.audit.models import AuditEntry
from zhenwu.audit.services import verify_chain
from zhenwu.concerns.demo import PROJECT_NAME, STORY_KEYS
from zhenwu.concerns.models import (
    CallBack,
    Category,
    Concern,
    ConcernEvent,
    EventKind,
    Project,
    ProjectStageKind,
    ReferenceCounter,
    ReplyTemplate,
    Status,
    Supervision,
)
from zhenwu.concerns.rates import concern_rates
from zhenwu.concerns.services import escalate_overdue_concerns, reference_prefix


def load():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def counts():
    return (
        Concern.objects.count(),
        ConcernEvent.objects.count(),
        CallBack.objects.count(),
        Supervision.objects.count(),
        Category.objects.count(),
        ReplyTemplate.objects.count(),
        Project.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.django_db
def test_load_demo_tells_the_storys_three_concerns_with_the_anshan_road_project_heading_to_tendering(client):
    output = load()
    assert "民情办理：12个类别" in output and "用时" in output
    sewage, road, anshan = (Concern.objects.get(idempotency_key=key) for key in STORY_KEYS)

    assert sewage.title == "学校周边生活污水处理问题" and sewage.village.name == "集镇村"
    assert sewage.status == Status.CLOSED and sewage.callback_result == "satisfied" and sewage.callback_solved
    assert "集镇污水管网扩网" in sewage.resolution_text
    assert sewage.department.name == "城建办" and sewage.category.name == "污水排放"

    assert "梅园" in road.title and "杨梅" in road.title
    assert road.status == Status.RESOLVED and road.callback_at is None  # on the call-back list
    assert road.resolution_text.startswith("破损道路修补")

    assert anshan.status == Status.IN_PROGRESS and anshan.village.name == "岸山村" and anshan.is_supervised
    project = anshan.project
    assert project.name == PROJECT_NAME and project.stage == ProjectStageKind.TENDERING
    finance = project.stages.get(kind=ProjectStageKind.FINANCE_APPROVAL)
    tendering = project.stages.get(kind=ProjectStageKind.TENDERING)
    completion = project.stages.get(kind=ProjectStageKind.COMPLETION)
    assert finance.actual_end is not None and tendering.actual_start == finance.actual_end
    assert tendering.actual_end is None and not project.is_completed
    assert completion.planned_end.year == finance.actual_end.year + 1 and completion.planned_end.month <= 6
    assert project.stages.filter(actual_end__isnull=False).count() == 5 and project.progress == 62
    kinds = list(anshan.events.values_list("kind", flat=True))
    assert kinds.count(EventKind.PROJECT_STAGE) == 5 and EventKind.PROJECT_STARTED in kinds

    # Timelines are consistent: first event is the intake, the last one reached the current state.
    for concern in (sewage, road, anshan):
        events = list(concern.events.order_by("at", "id"))
        assert events[0].kind == EventKind.SUBMITTED and concern.reference in events[0].public_text
        assert [e for e in events if e.to_status][-1].to_status == concern.status

    # The board shows the project's progress on the 岸山路 concern's public page.
    page = client.get(reverse("concerns:board_detail", args=[anshan.reference]))
    assert page.status_code == 200
    assert PROJECT_NAME in page.content.decode()


@pytest.mark.django_db
def test_the_generated_year_gives_plausible_rates_consistent_rows_and_a_second_load_changes_nothing():
    load()
    assert Concern.objects.count() >= 3000
    overall = concern_rates()[0]
    assert 90 <= overall.response_rate <= 99
    assert 78 <= overall.resolution_rate <= 92
    assert 85 <= overall.satisfaction_rate <= 97
    assert 1 <= overall.median_workdays <= 10
    # Every department that gets concerns has its own meaningful rates.
    held = [row for row in concern_rates(by="department") if row.key["department"] is not None]
    assert len(held) >= 6 and all(row.received > 20 and row.response_rate is not None for row in held)

    # A mix of channels, villages, categories and states, with some overdue and supervised.
    assert Concern.objects.values("channel").distinct().count() == 6
    assert Concern.objects.values("village").distinct().count() == 10
    assert Concern.objects.values("category").distinct().count() == 12
    statuses = set(Concern.objects.values_list("status", flat=True))
    assert {Status.CLOSED, Status.DECLINED, Status.IN_PROGRESS, Status.RESOLVED} <= statuses
    assert Concern.objects.overdue().exists() and Concern.objects.filter(reopen_count=1).exists()
    assert Concern.objects.filter(is_supervised=True).count() == (
        Supervision.objects.values("concern").distinct().count()
    )
    # Call-backs on the rows match the call-back records; closed ones were resolved first.
    assert CallBack.objects.values("concern").distinct().count() == Concern.objects.filter(
        callback_at__isnull=False
    ).count()
    assert not Concern.objects.filter(status=Status.CLOSED, resolved_at__isnull=True).exists()
    assert not Concern.objects.filter(status=Status.DECLINED, department__isnull=False).exists()
    # The periodic escalation finds nothing the demo has not already escalated.
    assert escalate_overdue_concerns().supervisions == 0

    # Reference numbers are unique per year and the counters stand at the last one issued.
    for counter in ReferenceCounter.objects.filter(prefix=reference_prefix()):
        year_refs = Concern.objects.filter(reference__startswith=f"{counter.prefix}-{counter.year}-")
        assert year_refs.count() == counter.last
        assert year_refs.filter(reference=f"{counter.prefix}-{counter.year}-{counter.last:06d}").exists()
    # One audit entry per created concern, and the chain holds.
    assert AuditEntry.objects.filter(object_type="concerns.Concern").count() == Concern.objects.count()
    assert verify_chain().ok

    before = counts()
    output = load()
    assert "民情办理：演示诉求已存在，未做任何修改" in output
    assert counts() == before
