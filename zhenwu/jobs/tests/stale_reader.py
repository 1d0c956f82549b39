"""Run by test_stale_reader.py in a process of its own, on a SQLite *file* database (the test
suite's in-memory one shares a single connection and cannot show this): a handler reads rows from
an open cursor, a web request commits meanwhile, then the handler reports its progress. Prints one
JSON line: the job's status, progress and message, and the rows the handler read."""

import json
import os


def main():
    import django

    django.setup()
    from django.db import DEFAULT_DB_ALIAS, connection, connections

    from zhenwu.jobs.models import Job, JobStatus
    from zhenwu.jobs.services import enqueue_job, job_handler, run_pending_jobs

    # The one table this needs, not the whole schema (and a bare table for its user column to name).
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {Job._meta.get_field('created_by').related_model._meta.db_table} (id integer PRIMARY KEY)")
    with connection.schema_editor() as editor:
        editor.create_model(Job)
    Job.objects.bulk_create([Job(kind="test.data", status=JobStatus.DONE, message=f"行{i}") for i in range(200)])
    web = connections.create_connection(DEFAULT_DB_ALIAS)  # another process's connection, in effect

    @job_handler("test.reader")
    def read_and_report(job, report):
        read = 0
        for read, _row in enumerate(Job.objects.filter(kind="test.data").iterator(chunk_size=20), start=1):
            if read == 30:  # a web request commits while the cursor is open
                with web.cursor() as cursor:
                    cursor.execute("UPDATE jobs_job SET message = 'web' WHERE id = 1")
            if read == 40:
                report(read, 200, f"已读{read}行")
        return {"rows": read, "message": f"读完{read}行"}

    job = enqueue_job(kind="test.reader")
    run_pending_jobs()
    job.refresh_from_db()
    web.close()
    print(json.dumps({"status": job.status, "progress": job.progress, "total": job.total, "message": job.message,
                      "rows": (job.result or {}).get("rows")}, ensure_ascii=False))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenwu.settings")
    main()
