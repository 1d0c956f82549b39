"""Work lists as a hotline centre expects them: the handler's queue puts 待签收 first, and staff
search by words (all must match) or by any part of the reference number."""

import datetime

import time_machine

from zhenwu.concerns import services
from zhenwu.concerns.models import Concern
from zhenwu.concerns.querysets import SEARCH_MAX_TERM, SEARCH_MAX_TERMS, search_terms

from .conftest import local


def test_the_queue_puts_concerns_awaiting_signature_first_then_overdue_then_by_deadline(world, submit):
    d, h = world.users.dispatcher, world.users.handler
    with time_machine.travel(local(2026, 9, 1, 9, 0), tick=False):
        overdue = services.dispatch_concern(submit(text="很久以前的路坑").concern, by=d)
        services.sign_for_concern(overdue, by=h)
    with time_machine.travel(local(2026, 11, 30, 9, 0), tick=False):
        in_hand = services.dispatch_concern(submit(text="刚签收的路坑").concern, by=d)
        services.sign_for_concern(in_hand, by=h)
        waiting_late = services.dispatch_concern(submit(text="还没签收的路坑甲").concern, by=d)
    with time_machine.travel(local(2026, 12, 1, 9, 0), tick=False):
        waiting = services.dispatch_concern(submit(text="还没签收的路坑乙").concern, by=d)
    queue = list(Concern.objects.department_queue(world.cast.urban))
    assert queue == [waiting_late, waiting, overdue, in_hand]


def test_search_terms_are_bounded_and_split_on_any_space():
    assert search_terms("  九龙\u3000路灯  九龙 ") == ["九龙", "路灯"]
    assert search_terms("x" * 500) == ["x" * SEARCH_MAX_TERM]
    assert len(search_terms(" ".join(str(i) for i in range(100)))) == SEARCH_MAX_TERMS
    assert search_terms(None) == []


def test_staff_search_matches_every_word_and_any_part_of_the_number(world, submit, client, login):
    road = submit(text="九龙村二组路灯不亮，晚上看不见路", address="二组晒谷坪").concern
    other = submit(text="集镇老街路灯闪烁").concern
    login(world.users.dispatcher)

    def found(q):
        page = client.get("/concerns/list/", {"q": q}).content.decode()
        return {c.reference for c in (road, other) if c.reference in page}

    assert found("路灯") == {road.reference, other.reference}
    assert found("九龙 路灯") == {road.reference}
    assert found("晒谷坪") == {road.reference}  # the address
    assert found(other.reference[-6:]) == {other.reference}
    assert found(other.reference.split("-", 1)[1]) == {other.reference}
    assert found("九龙 老街") == set()


def test_the_queue_ordering_is_one_query_of_the_list(world, submit, django_assert_max_num_queries):
    d = world.users.dispatcher
    for i in range(5):
        services.dispatch_concern(submit(text=f"路坑{i}").concern, by=d)
    with django_assert_max_num_queries(1):
        assert len(list(Concern.objects.department_queue(world.cast.urban).for_list())) == 5


def test_a_day_later_the_awaiting_ones_still_lead(world, submit):
    d, h = world.users.dispatcher, world.users.handler
    signed = services.dispatch_concern(submit(text="甲").concern, by=d)
    services.sign_for_concern(signed, by=h)
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)):
        waiting = services.dispatch_concern(submit(text="乙").concern, by=d)
    assert list(Concern.objects.department_queue(world.cast.urban)) == [waiting, signed]


def test_suspended_concerns_stay_in_the_queue_last_by_expected_resume_date_marked_挂起(
    world, submit, client, login
):
    from zhenwu.concerns import deadlines

    d, h = world.users.dispatcher, world.users.handler
    with time_machine.travel(local(2026, 9, 1, 9, 0), tick=False):
        overdue = services.dispatch_concern(submit(text="很久以前的路坑").concern, by=d)
        services.sign_for_concern(overdue, by=h)
    with time_machine.travel(local(2026, 11, 30, 9, 0), tick=False):
        late_resume = services.dispatch_concern(submit(text="等法院判决的路").concern, by=d)
        early_resume = services.dispatch_concern(submit(text="等汛期结束的堤").concern, by=d)
        services.sign_for_concern(early_resume, by=h)
        deadlines.suspend_concern(late_resume, by=d, reason="等待法院判决", expected_resume=datetime.date(2027, 3, 1))
        deadlines.suspend_concern(early_resume, by=d, reason="等待汛期结束", expected_resume=datetime.date(2027, 1, 4))
        waiting = services.dispatch_concern(submit(text="还没签收的路坑").concern, by=d)
    queue = list(Concern.objects.department_queue(world.cast.urban))
    assert queue == [waiting, overdue, early_resume, late_resume]
    assert [c.expected_resume for c in queue] == [None, None, datetime.date(2027, 1, 4), datetime.date(2027, 3, 1)]

    login(h)
    with time_machine.travel(local(2026, 12, 1, 9, 0), tick=False):
        page = client.get("/concerns/queue/").content.decode()
    row = page[page.index(f'id="concern-{early_resume.pk}"'):]
    row = row[: row.index("</tr>")]
    assert "已挂起" in row and '<span class="tag warn">挂起</span>' in row and "预计恢复</small> 01-04" in row
    assert "已挂起的排在最后" in page
