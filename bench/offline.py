"""The installable app's figures: the offline bundle a phone keeps before any page or photo (the
app shell the service worker precaches, the worker itself and the manifest), and the time to send
100 records queued on a phone, each with a photo as the phone shrinks it (1,600 px JPEG), through a
real HTTP server on loopback — as queue.js sends them: one session check, then one POST
/offline/queue/ at a time — and to send them all again (every key a repeat: nothing new stored).

    .venv/bin/python bench/offline.py            # 100 records
    .venv/bin/python bench/offline.py --quick    # 10 records (run by bench/test_offline.py)

Aims (issue 23): bundle under 500 KB; 100 records in under 30 s. The database is a scratch SQLite
file in a temporary folder; the server is wsgiref in a thread of this process (one request at a
time, as one phone sends).
"""

import argparse
import gzip
import io
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def setup(data_dir):
    os.environ["ZHENWU_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenwu.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()

    from scratch_db import migrate_database

    migrate_database()


def bundle():
    """(files, raw bytes, gzip bytes) of what the phone keeps before any page."""
    from django.contrib.staticfiles import finders
    from django.test import Client

    from zhenwu.offline.views import SHELL_ASSETS

    blobs = [Path(finders.find(name)).read_bytes() for name in SHELL_ASSETS]
    client = Client()
    blobs += [client.get("/sw.js").content, client.get("/manifest.webmanifest").content]
    raw = sum(len(b) for b in blobs)
    packed = sum(len(gzip.compress(b, 6)) for b in blobs)
    return len(blobs), raw, packed


def photo():
    """A phone photo after queue.js's shrinking: 1,600 × 1,200 JPEG at quality 82, with texture."""
    from PIL import Image

    noise = Image.effect_noise((1600, 1200), 24).convert("RGB")
    gradient = Image.linear_gradient("L").resize((1600, 1200)).convert("RGB")
    image = Image.blend(noise, gradient, 0.7)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82)
    return buffer.getvalue()


def town(households):
    from zhenwu.accounts.models import User
    from zhenwu.core.roles import Role
    from zhenwu.org.models import Area, AreaLevel, Household

    county = Area.objects.add_root(dict(name="浏阳市", level=AreaLevel.COUNTY, code="430181"))
    town_ = Area.objects.add_child(county, dict(name="官桥镇", level=AreaLevel.TOWN, code="430181110"))
    village = Area.objects.add_child(town_, dict(name="九龙村", level=AreaLevel.VILLAGE, code="430181110201"))
    grid = Area.objects.add_child(village, dict(name="九龙村第一网格", level=AreaLevel.GRID, code="430181110201-01"))
    rows = [Household.objects.create(grid=grid, number=f"JL-{i:04d}", address=f"九龙村一组{i}号")
            for i in range(1, households + 1)]
    user = User(username="bench-grid", role=Role.GRID_WORKER, full_name="网格员", area=grid)
    password = "Bench#2026-offline"
    user.set_password(password)
    user.save()
    return user, password, rows


def serve():
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def sync(url, user, password, records):
    """Send `records` as queue.js does; returns seconds and the answers' statuses."""
    import requests

    session = requests.Session()
    session.get(f"{url}/accounts/login/")
    answer = session.post(f"{url}/accounts/login/", data={
        "username": user.username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"],
    }, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:300]
    started = time.perf_counter()
    csrf = session.get(f"{url}/offline/pages.json").json()["csrf"]
    statuses = []
    for fields, files in records:
        response = session.post(f"{url}/offline/queue/", data=fields, files=files, headers={"X-CSRFToken": csrf})
        statuses.append(response.status_code)
    return time.perf_counter() - started, statuses


def run(count):
    from django.utils import timezone

    from zhenwu.grid.models import Visit

    files_n, raw, packed = bundle()
    print(f"offline bundle (app shell, worker, manifest): {files_n} files, {raw / 1024:.1f} KB "
          f"({packed / 1024:.1f} KB gzip); aim < 500 KB")
    user, password, households = town(10)
    jpeg = photo()
    today = timezone.localdate().isoformat()
    records = []
    for i in range(count):
        household = households[i % len(households)]
        fields = {"key": str(uuid.uuid4()), "kind": "visit", "target": str(household.pk),
                  "base": str(household.grid_id), "recorded_at": timezone.now().isoformat(),
                  "visited_on": today, "way": "home", "notes": f"第{i + 1}次走访：家中情况良好。"}
        records.append((fields, {"photo": ("photo.jpg", jpeg, "image/jpeg")}))
    server, url = serve()
    try:
        seconds, statuses = sync(url, user, password, records)
        assert statuses == [201] * count, statuses
        assert Visit.objects.count() == count
        print(f"sync {count} queued records with photos ({len(jpeg) / 1024:.0f} KB each) on loopback: "
              f"{seconds:.2f} s ({seconds / count * 1000:.0f} ms per record); aim 100 in < 30 s")
        seconds, statuses = sync(url, user, password, records)
        assert statuses == [200] * count, statuses
        assert Visit.objects.count() == count
        print(f"resend the same {count} (repeats, nothing stored): {seconds:.2f} s")
    finally:
        server.shutdown()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 records (bench/test_offline.py)")
    parser.add_argument("--records", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        setup(Path(tmp))
        from django.conf import settings

        settings.MEDIA_ROOT = str(Path(tmp) / "media")
        run(10 if args.quick else args.records)


if __name__ == "__main__":
    main()
