"""Roster export: masked by default, full numbers for town admins (audited), scoped, and a full
export re-imports to the same data."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from zhenwu.audit.models import AuditAction, AuditEntry
from zhenwu.lib.request_context import Actor, acting_as
from zhenwu.org import services
from zhenwu.org.models import Household, Member, Resident
from zhenwu.org.roster.commit import RosterRejected, commit_roster
from zhenwu.org.roster.scan import validate_roster

from .roster_files import MEMBER_HEADER, RESIDENT_HEADER, id_number, member_row, resident_row, xlsx


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def numbered(cast):
    """The cast's 黎明 with a valid, registered ID number (the cast's own has a wrong check digit
    and no blind index)."""
    resident = cast.residents.jiulong
    services.update_resident(resident, id_number="430181195001011235")
    return resident


def sheet_rows(content, sheet=0):
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return [list(r) for r in workbook.worksheets[sheet].values]


def download(response):
    return b"".join(response.streaming_content)


def test_the_export_is_masked_by_default_and_leaves_out_sensitive_tags(client, cast, login, numbered):
    login(cast.users.town_admin)
    response = client.get(reverse("org:roster_export", args=["residents"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = sheet_rows(download(response))
    assert rows[0] == RESIDENT_HEADER
    li = next(r for r in rows if r[4] == "黎明")
    assert li[:4] == ["九龙村", "九龙村第一网格", "JL-0001", "九龙村一组12号"]
    assert li[7] == "430181********1235" and li[8] == "138****8000"
    assert li[9] == "独居老人"  # 残疾 is sensitive and stays out of a masked export
    assert len(rows) == 4
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == cast.users.town_admin and "脱敏" in entry.note
    names = load_workbook(io.BytesIO(download(client.get(reverse("org:roster_export", args=["residents"]))))).sheetnames
    assert names == ["住户花名册", "填写说明"]


def test_a_town_admin_may_export_full_numbers_with_a_reason_which_is_audited(client, cast, login, numbered):
    login(cast.users.town_admin)
    response = client.post(reverse("org:roster_export", args=["residents"]), {"reason": "低保复核"})
    rows = sheet_rows(download(response))
    li = next(r for r in rows if r[4] == "黎明")
    assert li[7] == "430181195001011235" and li[8] == "13800138000"
    assert li[9] == "独居老人、残疾"
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert "完整" in entry.note and "低保复核" in entry.note and entry.changes["full"] is True


def test_a_full_export_needs_a_reason(client, cast, login):
    login(cast.users.town_admin)
    response = client.post(reverse("org:roster_export", args=["residents"]), {"reason": " "}, follow=True)
    assert "导出完整号码须填写用途" in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_a_secretary_may_not_export_full_numbers(client, cast, login):
    login(cast.users.secretary)
    response = client.post(reverse("org:roster_export", args=["residents"]), {"reason": "想看"})
    assert response.status_code == 403


def test_a_secretary_exports_only_their_own_village_and_party_org(client, cast, login):
    login(cast.users.secretary)
    residents = sheet_rows(download(client.get(reverse("org:roster_export", args=["residents"]))))
    assert {r[0] for r in residents[1:]} == {"九龙村"}
    assert sorted(r[4] for r in residents[1:]) == ["王芳", "黎明"]
    members = sheet_rows(download(client.get(reverse("org:roster_export", args=["members"]))))
    assert members[0] == MEMBER_HEADER
    assert [r[0] for r in members[1:]] == ["黎干亮"]
    assert members[1][4] == "九龙村第一党支部" and members[1][9] == "是"


def test_an_unknown_roster_kind_is_404(client, cast, login):
    login(cast.users.town_admin)
    assert client.get(reverse("org:roster_export", args=["cats"])).status_code == 404
    assert client.get(reverse("org:roster_sample", args=["cats"])).status_code == 404


def _commit(kind, content, user):
    with acting_as(Actor(user_id=user.pk, label=user.username)):
        try:
            return commit_roster(kind=kind, fileobj=io.BytesIO(content), user=user)
        except RosterRejected as exc:
            raise AssertionError(exc.scan.summary()["errors"]) from None


def _resident_state():
    return sorted(
        (r.household.grid_id, r.household.number, r.household.address, r.name, r.gender, r.relation, r.id_number,
         r.phone, tuple(r.tags), tuple(r.sensitive_tags), r.birth_date)
        for r in Resident.objects.filter(household__number__startswith="RT-").select_related("household")
    )


def test_a_full_resident_export_reimports_to_the_same_data(client, cast, login):
    admin = cast.users.town_admin
    Resident.objects.all().delete()  # the cast's numbers were never validated
    rows = [
        resident_row("周大", household="RT-1", seq=51, phone="13800001111", tags="独居老人、残疾"),
        resident_row("周二", household="RT-1", address="", relation="子", seq=53, tags="留守儿童"),
        resident_row("陈三", household="RT-2", village="集镇村", grid="集镇村第一网格", address="集镇村老街1号",
                     id_no="", gender="女", tags="退役军人,低保"),
    ]
    _commit("residents", xlsx(rows).getvalue(), admin)
    before = _resident_state()
    assert len(before) == 3

    login(admin)
    exported = download(client.post(reverse("org:roster_export", args=["residents"]), {"reason": "备份"}))
    Resident.objects.all().delete()
    Household.objects.filter(number__startswith="RT-").delete()

    result = _commit("residents", exported, admin)

    assert result["residents_created"] == 3 and result["households_created"] == 2
    assert _resident_state() == before


def test_a_full_member_export_reimports_to_the_same_data(client, cast, login):
    admin = cast.users.town_admin
    Member.objects.all().delete()  # the cast's members have no ID numbers, which an import requires
    linked = services.add_resident(
        household=cast.households.jiulong, name="黎红", relation="女", id_number=id_number(birth="19700505", seq=2)
    )
    rows = [
        member_row("黎红", id_no=linked.id_number, joined="1995-07-01", migrant="是", location="广东省东莞市",
                   household="JL-0001", phone="13600001234"),
        member_row("彭一", org="集镇村党总支", seq=61, status="预备党员", elderly="是", ill="是"),
    ]
    _commit("members", xlsx(rows, MEMBER_HEADER).getvalue(), admin)

    def state():
        return sorted(
            (m.party_org_id, m.resident_id, m.name, m.gender, m.id_number, m.phone, m.joined_on, m.status,
             m.is_migrant, m.migrant_location, m.is_elderly, m.is_ill, m.birth_date)
            for m in Member.objects.all()
        )

    before = state()
    login(admin)
    exported = download(client.post(reverse("org:roster_export", args=["members"]), {"reason": "换届"}))
    Member.objects.all().delete()

    _commit("members", exported, admin)

    assert state() == before


def test_the_downloaded_template_explains_the_layout_and_validates_cleanly(client, cast, login):
    login(cast.users.secretary)
    response = client.get(reverse("org:roster_sample", args=["residents"]))
    content = download(response)
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["住户花名册", "填写说明"]
    notes = [c for row in workbook["填写说明"].values for c in row if c]
    assert "九龙村" in notes and "九龙村第一网格、九龙村第二网格" in notes
    assert "集镇村" not in notes  # only the secretary's own village
    assert workbook["住户花名册"]["H2"].number_format == "@"  # ID numbers typed here stay text
    summary = validate_roster(kind="residents", fileobj=io.BytesIO(content), user=cast.users.secretary)
    assert summary.summary()["error_count"] == 0

    content = download(client.get(reverse("org:roster_sample", args=["members"])))
    summary = validate_roster(kind="members", fileobj=io.BytesIO(content), user=cast.users.secretary)
    assert summary.summary()["error_count"] == 0


def test_the_committed_sample_files_match_the_layouts():
    from pathlib import Path

    samples = Path(__file__).resolve().parents[3] / "docs" / "samples"
    for name, header in (("住户花名册示例.xlsx", RESIDENT_HEADER), ("党员花名册示例.xlsx", MEMBER_HEADER)):
        workbook = load_workbook(samples / name, read_only=True)
        assert workbook.sheetnames[1] == "填写说明"
        assert list(next(workbook.worksheets[0].values)) == header
