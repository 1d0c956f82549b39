"""Entries written before a model moved to another app keep its old label (the chain is never
rewritten); they still read as that model and are found under its new label."""

import pytest

from zhenwu.audit.models import AuditAction, AuditEntry
from zhenwu.audit.services import record_event

pytestmark = pytest.mark.django_db


def test_an_entry_about_a_moved_model_shows_its_name_and_field_labels(db):
    record_event(
        action=AuditAction.UPDATE,
        object_type="concerns.WorkdayOverride",
        object_id="7",
        object_repr="2026-10-08 休息",
        changes={"is_workday": [True, False]},
    )
    entry = AuditEntry.objects.get(object_type="concerns.WorkdayOverride")

    assert entry.object_type_label == "工作日调整"
    assert entry.change_rows() == [("是工作日", "是", "否")]


def test_filtering_by_the_new_label_finds_the_entries_written_under_the_old_one(client, cast, login):
    old = record_event(action=AuditAction.CREATE, object_type="concerns.ApiKey", object_id="1")
    new = record_event(action=AuditAction.UPDATE, object_type="open311.ApiKey", object_id="1")
    record_event(action=AuditAction.CREATE, object_type="concerns.Concern", object_id="1")
    login(cast.users.town_admin)

    response = client.get("/audit/", {"object_type": "open311.ApiKey"})

    assert {e.id for e in response.context["page"].object_list} == {old.id, new.id}
