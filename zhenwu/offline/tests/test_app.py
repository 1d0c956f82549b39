"""The installable app: manifest, service worker, the pages a phone keeps, who gets it, logout."""

import datetime
import json

import pytest
from django.utils import timezone

from zhenwu.grid.models import HouseholdLink

pytestmark = pytest.mark.django_db


def test_manifest_names_the_app_in_chinese_and_starts_standalone(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    body = json.loads(response.content)
    assert body["name"] == "镇务通" and body["display"] == "standalone" and body["start_url"].startswith("/")
    assert body["theme_color"] == "#c41e24"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon["purpose"] == "maskable" for icon in body["icons"])
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_service_worker_is_served_from_the_root_uncached_and_names_the_shell(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    script = response.content.decode()
    assert '"/static/css/app.css"' in script and '"/static/js/drafts.js"' in script
    assert 'var VERSION = "' in script and 'VERSION = ""' not in script
    # The same script twice has the same version (a phone does not reinstall for nothing).
    assert client.get("/sw.js").content == response.content


@pytest.mark.parametrize("role", ["grid_worker", "member", "secretary", "instructor"])
def test_phone_roles_get_the_manifest_and_the_worker_registration(cast, login, role):
    client = login(getattr(cast.users, role))
    html = client.get("/offline/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert "/static/js/offline.js" in html
    assert f'data-offline-user="{getattr(cast.users, role).pk}"' in html


@pytest.mark.parametrize("role", ["town_admin", "leader", "dispatcher", "handler"])
def test_desk_roles_get_no_service_worker(cast, login, role):
    client = login(getattr(cast.users, role))
    html = client.get("/").content.decode()
    assert "manifest.webmanifest" not in html and "offline.js" not in html


def test_pages_json_lists_the_grid_workers_own_households_and_their_visit_forms(cast, login):
    client = login(cast.users.grid_worker)
    data = client.get("/offline/pages.json").json()
    assert data["enabled"] is True and data["user"] == cast.users.grid_worker.pk and data["csrf"]
    pages = data["pages"]
    own = cast.households.jiulong.pk
    assert f"/grid/households/{own}/" in pages and f"/grid/households/{own}/visit/" in pages
    assert "/grid/meetings/new/" in pages
    for other in (cast.households.jiulong2.pk, cast.households.jizhen.pk):  # other grids
        assert f"/grid/households/{other}/" not in pages
    # Every page listed opens for this user (the phone fetches them with the same session).
    for url in pages:
        assert client.get(url).status_code == 200, url


def test_pages_json_for_a_member_lists_only_the_linked_households(cast, login):
    HouseholdLink.objects.create(member=cast.members.jiulong, household=cast.households.jiulong2,
                                 grid_id=cast.households.jiulong2.grid_id,
                                 started_on=timezone.localdate() - datetime.timedelta(days=3))
    client = login(cast.users.member)
    pages = client.get("/offline/pages.json").json()["pages"]
    linked = cast.households.jiulong2.pk
    assert f"/grid/households/{linked}/visit/" in pages and "/study/me/" in pages
    assert f"/grid/households/{cast.households.jiulong.pk}/" not in pages
    assert "/grid/meetings/new/" not in pages
    for url in pages:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ["secretary", "instructor"])
def test_every_page_listed_for_a_secretary_or_instructor_opens_for_them(cast, login, role):
    client = login(getattr(cast.users, role))
    pages = client.get("/offline/pages.json").json()["pages"]
    for url in pages:
        assert client.get(url).status_code == 200, url


def test_pages_json_is_empty_for_desk_roles_and_refused_when_signed_out(cast, login, client):
    assert client.get("/offline/pages.json").status_code == 401
    data = login(cast.users.dispatcher).get("/offline/pages.json").json()
    assert data["enabled"] is False and data["pages"] == []


def test_logout_tells_the_browser_to_wipe_what_the_phone_kept(cast, login):
    client = login(cast.users.grid_worker)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
