"""The staff JSON API: tokens, scope, every workflow transition through the services, Chinese
errors, and the OpenAPI document."""

import datetime
import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.validation import validate_schema

from zhenwu.accounts.tokens import create_api_token, revoke_api_token
from zhenwu.audit.models import AuditEntry
from zhenwu.concerns import callbacks, services
from zhenwu.concerns.models import Channel, Concern, ConcernEvent, Status

API = "/api/v1"


def references(response):
    assert response.status_code == 200, response.content
    return {row["reference"] for row in response.json()["results"]}


def test_no_token_or_a_bad_token_is_401_in_chinese(client, world):
    response = client.get(f"{API}/concerns/")
    assert response.status_code in (401, 403)
    assert response.json()["detail"] == "身份认证信息未提供。"
    response = client.get(f"{API}/concerns/", HTTP_AUTHORIZATION="Token nonsense")
    assert response.status_code == 401
    assert response.json() == {"detail": "令牌无效或已吊销"}
    assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_a_revoked_token_stops_working(client, world):
    token, plain = create_api_token(user=world.users.dispatcher, name="脚本")
    assert client.get(f"{API}/me/", HTTP_AUTHORIZATION=f"Token {plain}").json()["username"] == "dispatch1"
    revoke_api_token(token, by=world.users.dispatcher)
    assert client.get(f"{API}/me/", HTTP_AUTHORIZATION=f"Token {plain}").status_code == 401


def test_every_role_sees_exactly_its_scope(as_user, world, submit, login):
    u = world.users
    jiulong = submit().concern
    jiulong2 = submit(area=world.cast.jiulong_grid2).concern
    jizhen = submit(area=world.cast.jizhen_grid, category=world.sanitation).concern
    services.dispatch_concern(jiulong, by=u.dispatcher)
    everything = {jiulong.reference, jiulong2.reference, jizhen.reference}
    expected = {
        u.town_admin: everything,
        u.leader: everything,
        u.dispatcher: everything,
        u.handler: {jiulong.reference},  # 城建办 holds only the dispatched one
        u.secretary: {jiulong.reference, jiulong2.reference},
        u.grid_worker: {jiulong.reference},
        u.other_grid_worker: {jizhen.reference},
        u.instructor: set(),
        u.member: set(),
    }
    for user, seen in expected.items():
        if user.role in ("instructor", "member"):
            # No personal tokens for these roles; their browser session reaches the API and sees nothing.
            session = login(user)
            response = session.get(f"{API}/concerns/")
            assert response.json()["count"] == 0
            assert session.get(f"{API}/concerns/{jiulong.pk}/").status_code == 404
            session.logout()
            continue
        assert references(as_user(user, "get", "/concerns/")) == seen, user.username
        for concern in (jiulong, jiulong2, jizhen):
            status = as_user(user, "get", f"/concerns/{concern.pk}/").status_code
            assert status == (200 if concern.reference in seen else 404), (user.username, concern.reference)


def test_the_list_filters_and_stays_within_a_few_queries(as_user, world, submit, django_assert_max_num_queries):
    u = world.users
    for _ in range(5):
        submit()
    sanitation = submit(category=world.sanitation).concern
    services.dispatch_concern(sanitation, by=u.dispatcher)
    as_user(u.dispatcher, "get", "/me/")  # the token is issued outside the counted block
    with django_assert_max_num_queries(8):
        response = as_user(u.dispatcher, "get", "/concerns/", {"page_size": "3"})
    body = response.json()
    assert body["count"] == 6 and len(body["results"]) == 3
    # Not one query more per row (each item's title is redacted with its reporter's name, which
    # comes with the rows rather than row by row).
    with CaptureQueriesContext(connection) as one_row:
        assert len(as_user(u.dispatcher, "get", "/concerns/", {"page_size": "1"}).json()["results"]) == 1
    with CaptureQueriesContext(connection) as six_rows:
        assert len(as_user(u.dispatcher, "get", "/concerns/", {"page_size": "6"}).json()["results"]) == 6
    assert len(six_rows.captured_queries) == len(one_row.captured_queries)
    assert references(as_user(u.dispatcher, "get", "/concerns/", {"category": "sanitation"})) == {
        sanitation.reference
    }
    assert references(as_user(u.dispatcher, "get", "/concerns/", {"status": "dispatched,closed"})) == {
        sanitation.reference
    }
    assert references(as_user(u.dispatcher, "get", "/concerns/", {"q": sanitation.reference})) == {
        sanitation.reference
    }
    assert len(references(as_user(u.dispatcher, "get", "/concerns/", {"supervised": "false"}))) == 6
    response = as_user(u.dispatcher, "get", "/concerns/", {"status": "pending"})
    assert response.status_code == 400
    assert response.json()["detail"] == "status：未知的状态“pending”"


def test_the_whole_closed_loop_through_the_api(as_user, world, submit):
    u = world.users
    concern = submit().concern
    path = f"/concerns/{concern.pk}"
    detail = as_user(u.dispatcher, "get", f"{path}/").json()
    assert {"accept", "dispatch", "decline"} <= set(detail["allowed_actions"])
    assert detail["reporter_phone"] == "138****8000"

    response = as_user(u.dispatcher, "post", f"{path}/dispatch/", {"department": world.cast.urban.pk})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "dispatched"
    assert as_user(u.handler, "post", f"{path}/sign/").json()["status"] == "in_progress"
    as_user(u.handler, "post", f"{path}/update/", {"text": "已安排施工队勘察。"})
    as_user(u.handler, "post", f"{path}/note/", {"text": "需协调水务站。"})
    response = as_user(u.handler, "post", f"{path}/resolve/", {"outcome": "fixed", "text": "已疏通排水沟。"})
    assert response.json()["status"] == "resolved"
    response = as_user(
        u.dispatcher, "post", f"{path}/call-back/", {"result": "satisfied", "solved": True, "note": "居民满意"}
    )
    assert response.json()["status"] == "closed"
    kinds = [e["kind"] for e in response.json()["events"]]
    assert kinds == ["submitted", "accepted", "dispatched", "updated", "updated", "note", "resolved",
                     "called_back", "closed"]
    concern.refresh_from_db()
    assert concern.status == Status.CLOSED and concern.callback_result == "satisfied"
    assert AuditEntry.objects.filter(object_type="concerns.Concern", object_id=str(concern.pk)).count() >= 6


def test_the_other_transitions(as_user, world, submit):
    u = world.users
    declined = submit().concern
    assert as_user(u.dispatcher, "post", f"/concerns/{declined.pk}/decline/", {"reason": "非本镇事务"}).json()[
        "status"
    ] == "declined"
    assert as_user(u.dispatcher, "post", f"/concerns/{declined.pk}/reopen/", {"reason": "重新核实"}).json()[
        "status"
    ] == "received"
    accepted = as_user(u.dispatcher, "post", f"/concerns/{declined.pk}/accept/").json()
    assert accepted["status"] == "accepted"
    response = as_user(
        u.dispatcher, "post", f"/concerns/{declined.pk}/recategorise/", {"category": "sanitation", "reason": "分错类"}
    )
    assert response.json()["category"] == {"code": "sanitation", "name": "环境卫生"}
    assert as_user(u.leader, "post", f"/concerns/{declined.pk}/supervise/", {"note": "尽快办理"}).json()[
        "is_supervised"
    ] is True

    returned = submit().concern
    services.dispatch_concern(returned, by=u.dispatcher)
    assert as_user(u.handler, "post", f"/concerns/{returned.pk}/return/", {"reason": "不属城建"}).json()[
        "status"
    ] == "returned"

    original, duplicate = submit().concern, submit().concern
    response = as_user(u.dispatcher, "post", f"/concerns/{duplicate.pk}/duplicate/", {"original": original.pk})
    assert response.json()["status"] == "duplicate" and response.json()["duplicate_of"] == original.pk

    # close = 联系不上, under its rule: refused until three working days of attempts, then closed.
    closing = submit().concern
    services.dispatch_concern(closing, by=u.dispatcher)
    services.resolve_concern(closing, by=u.handler, outcome="explained", text="已解释。")
    early = as_user(u.dispatcher, "post", f"/concerns/{closing.pk}/close/", {"reason": "联系不上诉求人"})
    assert early.status_code == 409 and "须在3个不同工作日" in early.json()["detail"]
    for day in (2, 3, 4):
        callbacks.record_call_back_attempt(closing, by=u.dispatcher, now=datetime.datetime(2026, 11, day, 1, tzinfo=datetime.UTC))
    closed = as_user(u.dispatcher, "post", f"/concerns/{closing.pk}/close/", {"reason": "联系不上诉求人"}).json()
    assert closed["status"] == "closed" and closed["callback_result"] == "unreachable"


def test_refusals_are_403_409_and_400_with_chinese_messages_and_change_nothing(as_user, world, submit):
    u = world.users
    concern = submit().concern
    events = ConcernEvent.objects.count()
    response = as_user(u.handler, "post", f"/concerns/{concern.pk}/dispatch/")
    assert response.status_code == 404  # not dispatched to 城建办: out of the handler's scope
    response = as_user(u.grid_worker, "post", f"/concerns/{concern.pk}/dispatch/")
    assert response.status_code == 403
    assert response.json() == {"detail": "只有民情受理员可以派单"}
    response = as_user(u.dispatcher, "post", f"/concerns/{concern.pk}/close/", {"reason": "x"})
    assert response.status_code == 409
    assert response.json()["detail"] == "当前状态为待受理，不能登记联系不上"
    response = as_user(u.dispatcher, "post", f"/concerns/{concern.pk}/decline/", {"reason": ""})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("reason：")
    response = as_user(u.dispatcher, "post", f"/concerns/{concern.pk}/dispatch/", {"department": 999999})
    assert response.status_code == 400
    assert response.json() == {"detail": "承办部门不存在或不在本镇", "field": "department"}
    response = as_user(u.dispatcher, "post", f"/concerns/{concern.pk}/resolve/", {"outcome": "magic", "text": "x"})
    assert response.status_code == 400 and "outcome" in response.json()["errors"]
    response = as_user(u.dispatcher, "post", f"/concerns/{2**63}/accept/")
    assert response.status_code == 404 and response.json()["detail"] == "未找到，或不在您的权限范围内"
    assert ConcernEvent.objects.count() == events
    assert Concern.objects.get(pk=concern.pk).status == Status.RECEIVED


def test_staff_register_a_call_through_the_api(as_user, world):
    response = as_user(
        world.users.dispatcher,
        "post",
        "/concerns/",
        {
            "text": "集镇村老街路灯不亮。",
            "category": "lamp",
            "area": world.cast.jizhen.pk,
            "channel": "hotline",
            "reporter_phone": "13700001111",
        },
    )
    assert response.status_code == 201, response.content
    concern = Concern.objects.get(reference=response.json()["reference"])
    assert concern.channel == Channel.HOTLINE and concern.registered_by == world.users.dispatcher
    response = as_user(
        world.users.dispatcher,
        "post",
        "/concerns/",
        {"text": "x", "category": "lamp", "area": world.cast.county.pk, "channel": "web"},
    )
    assert response.status_code == 400


def test_categories_departments_and_areas(as_user, world):
    categories = as_user(world.users.handler, "get", "/categories/").json()
    assert [c["code"] for c in categories] == ["lamp", "road", "sanitation"]
    assert categories[1]["default_department"] == {"id": world.cast.urban.pk, "name": "城建办"}
    departments = as_user(world.users.handler, "get", "/departments/").json()
    assert {d["name"] for d in departments} == {"城建办", "党建办", "环保办"}
    areas = as_user(world.users.grid_worker, "get", "/areas/").json()
    by_name = {a["name"]: a for a in areas}
    assert by_name["九龙村第一网格"]["parent_id"] == world.cast.jiulong.pk
    assert by_name["官桥镇"]["parent_id"] is None and by_name["官桥镇"]["code"] == "430181110"
    assert as_user(world.users.secretary, "get", "/departments/").status_code == 200


def test_unknown_api_addresses_answer_json(client, world):
    response = client.get(f"{API}/nothing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "schema" in response.json()["detail"]


def test_the_openapi_document_is_valid_openapi_3_and_covers_every_transition(client, world):
    response = client.get(f"{API}/schema/", {"format": "json"})
    assert response.status_code == 200
    document = json.loads(response.content)
    validate_schema(document)  # drf-spectacular's check against the OpenAPI 3.0 JSON Schema
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for action in ("accept", "decline", "dispatch", "return", "sign", "update", "note", "resolve",
                   "call-back", "call-attempt", "unreachable", "close", "reopen", "recategorise", "duplicate",
                   "supervise", "extend", "extension-approve", "extension-refuse", "suspend", "resume"):
        assert "post" in paths[f"/api/v1/concerns/{{id}}/{action}/"], action
    for path in ("/api/v1/concerns/", "/api/v1/concerns/{id}/", "/api/v1/categories/", "/api/v1/departments/",
                 "/api/v1/areas/"):
        assert "get" in paths[path]
    assert document["components"]["securitySchemes"]["tokenAuth"]["type"] == "apiKey"


def test_call_back_attempts_and_unreachable_through_the_api(as_user, world, submit):
    from .staff_helpers import in_state

    d = world.users.dispatcher
    concern = in_state("resolved", submit=submit, world=world)
    refused = as_user(d, "post", f"/concerns/{concern.pk}/unreachable/", {})
    assert refused.status_code == 409 and "须在3个不同工作日" in refused.json()["detail"]
    unhappy = as_user(d, "post", f"/concerns/{concern.pk}/call-back/", {"result": "unsatisfied", "solved": False})
    assert unhappy.status_code == 400 and unhappy.json()["field"] == "note"
    made = as_user(d, "post", f"/concerns/{concern.pk}/call-attempt/", {"channel": "sms", "note": "短信未回复"})
    assert made.status_code == 200 and concern.call_back_attempts.get().channel == "sms"

    no_phone = in_state("resolved", submit=submit, world=world, reporter_phone="")
    closed = as_user(d, "post", f"/concerns/{no_phone.pk}/unreachable/", {"reason": "未留电话"})
    assert closed.status_code == 200 and closed.json()["status"] == Status.CLOSED
