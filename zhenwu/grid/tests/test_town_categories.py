"""The visit and meeting forms offer the county's categories and the worker's town's own, never
another town's own (zhenwu.concerns.services.catalogue)."""

from django.utils import timezone

from conftest import build_second_town
from zhenwu.concerns.models import Category
from zhenwu.grid.models import Meeting


def test_the_visit_and_meeting_forms_offer_only_the_towns_categories(cast, client, login, category):
    other = build_second_town(cast.county)
    ours = Category.objects.create(code="gq-1", name="花炮安全", town=cast.town)
    theirs = Category.objects.create(code="lf-1", name="山塘管护", town=other.town)

    login(cast.users.grid_worker)
    visit = client.get(f"/grid/households/{cast.households.jiulong.pk}/visit/")
    assert visit.status_code == 200
    offered = set(visit.context["form"].fields["concern_category"].queryset)
    assert offered == {category, ours}
    assert theirs.name not in visit.content.decode()

    client.logout()
    login(cast.users.town_admin)
    meeting = Meeting.objects.create(
        area=cast.jiulong, title="民情茶室", held_on=timezone.localdate(), place="九龙村党群服务中心",
    )
    page = client.get(f"/grid/meetings/{meeting.pk}/")
    assert page.status_code == 200
    assert set(page.context["form"].fields["category_1"].queryset) == {category, ours}
