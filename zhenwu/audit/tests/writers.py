"""Concurrent audit writers, shared by the in-process PostgreSQL test and the SQLite file-database
test (which runs `python -c "from zhenwu.audit.tests.writers import main; main()"` in a fresh
process pointed at a file database by DATABASE_URL)."""

import json
import threading

from django.db import connection
from django.db.models import Count


def write_concurrently(*, threads=8, per_thread=50):
    """Each thread (its own database connection) appends `per_thread` entries, all starting at
    once. Returns the errors the writers met, as text."""
    from zhenwu.audit.models import AuditAction
    from zhenwu.audit.services import record_event
    from zhenwu.lib.request_context import Actor, acting_as

    barrier = threading.Barrier(threads)
    errors = []

    def work(n):
        try:
            barrier.wait(timeout=30)
            with acting_as(Actor(user_id=None, label=f"writer{n}")):
                for i in range(per_thread):
                    record_event(
                        action=AuditAction.SECURITY,
                        object_type="test.Writer",
                        object_id=f"{n}-{i}",
                        changes={"i": [i - 1 if i else None, i]},
                        note=f"并发写入 {n}-{i}",
                    )
        except Exception as exc:  # reported to the test, which fails on any
            errors.append(f"writer {n}: {exc!r}")
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


def forks():
    """prev_hash values shared by more than one entry (a forked chain)."""
    from zhenwu.audit.models import AuditEntry

    return list(
        AuditEntry.objects.values("prev_hash")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("prev_hash", flat=True)
    )


def main():
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from zhenwu.audit.models import AuditEntry
    from zhenwu.audit.services import verify_chain

    errors = write_concurrently()
    report = verify_chain()
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "errors": errors,
                "count": AuditEntry.objects.filter(object_type="test.Writer").count(),
                "ok": report.ok,
                "checked": report.checked,
                "reason": report.reason,
                "forks": forks(),
            }
        )
    )
