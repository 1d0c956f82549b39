"""Drives a scratch installation for the backup/restore acceptance tests (run in a subprocess
with DATABASE_URL / ZHENWU_DATA_DIR of that installation):

    python -m zhenwu.ops.tests.scenario populate          # the test cast + concerns, with media
    python -m zhenwu.ops.tests.scenario write PROGRESS STOP   # audited writes until STOP exists
    python -m zhenwu.ops.tests.scenario counts            # JSON {model label: rows}
"""

import itertools
import json
import sys
import time
from pathlib import Path


def _setup():
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenwu.settings")
    django.setup()


def _category():
    from zhenwu.concerns.models import Category
    from zhenwu.org.models import Department

    department = Department.objects.order_by("id").first()
    category, _ = Category.objects.get_or_create(
        code="road", defaults={"name": "道路交通", "default_department": department}
    )
    return category


def _submit(i, category, area):
    from zhenwu.concerns.models import Channel
    from zhenwu.concerns.services import submit_concern

    return submit_concern(
        text=f"第{i}号测试诉求：村口路灯坏了，晚上看不见路。", category=category, area=area,
        channel=Channel.WEB, reporter_phone="13800138000", idempotency_key=f"scenario-{i}",
    )


def populate(concerns=20):
    from django.core.files.base import ContentFile

    import conftest
    from zhenwu.audit.services import record_event
    from zhenwu.lib.request_context import Actor, acting_as
    from zhenwu.org.models import Area, AreaLevel

    with acting_as(Actor(user_id=None, label="scenario")):
        conftest.build_cast()
        category = _category()
        grid = Area.objects.filter(level=AreaLevel.GRID).order_by("id").first()
        for i in range(concerns):
            _submit(i, category, grid)
        record_event(action="create", object_type="scenario.Populated", object_id="1")
    from django.core.files.storage import default_storage

    default_storage.save("scenario/evidence.txt", ContentFile("台账附件".encode()))


def write(progress_path, stop_path):
    """Audited writes (a concern, then a bare audit event) until the stop file appears."""
    from zhenwu.audit.services import record_event
    from zhenwu.lib.request_context import Actor, acting_as
    from zhenwu.org.models import Area, AreaLevel

    progress, stop = Path(progress_path), Path(stop_path)
    category = _category()
    grid = Area.objects.filter(level=AreaLevel.GRID).order_by("id").first()
    with acting_as(Actor(user_id=None, label="scenario-writer")):
        for n in itertools.count(1):
            if stop.exists():
                break
            _submit(100_000 + n, category, grid)
            record_event(action="update", object_type="scenario.Writer", object_id=str(n))
            progress.write_text(str(n))
            time.sleep(0.01)


def counts():
    from django.db import connection

    from zhenwu.ops.backup import model_tables

    result = {}
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for label, table in model_tables().items():
            if table in existing:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
                result[label] = cursor.fetchone()[0]
    print(json.dumps(result))


if __name__ == "__main__":
    _setup()
    command = sys.argv[1]
    if command == "populate":
        populate()
    elif command == "write":
        write(sys.argv[2], sys.argv[3])
    elif command == "counts":
        counts()
