"""The commit: a whole roster checked and written in one transaction, all rows or none."""

from django.db import IntegrityError, transaction

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_created_many, record_event
from zhenwu.lib.bulk import insert_many

from ..models import Household, Member, Resident
from .errors import RosterFileError
from .layouts import KIND_LABELS, RESIDENTS
from .scan import SCANS


class RosterRejected(Exception):
    """The commit found errors; nothing was written. Carries the scan."""

    def __init__(self, scan):
        super().__init__(f"发现{scan.errors.count}处错误")
        self.scan = scan


def commit_roster(*, kind, fileobj, user, filename="", sha256="", job=None, today=None, staged=None):
    """Check and write a whole roster in one transaction: all rows or none.

    `staged`: the rows of this file as its validation parsed them (`validate_roster(stage=True)`),
    so that only the checks that depend on the database run again; without it the file is read
    and checked again from the start. Returns a summary dict; raises RosterRejected (nothing
    written) when any row is wrong.
    """
    writer = _ResidentWriter() if kind == RESIDENTS else _MemberWriter()
    scan = SCANS[kind](user=user, today=today)
    note = f"导入{KIND_LABELS[kind]}" + (f"（任务#{job.pk}）" if job is not None else "")
    writer.note = note
    try:
        with transaction.atomic():
            if staged is not None:
                scan.run_staged(staged, on_batch=writer.write)
            else:
                scan.run(fileobj, on_batch=writer.write)
            if scan.errors.count:
                raise RosterRejected(scan)
            result = scan.summary()
            result.update(writer.counts)
            record_event(
                action=AuditAction.IMPORT,
                object_type="jobs.Job" if job is not None else "",
                object_id=str(job.pk) if job is not None else "",
                object_repr=f"{KIND_LABELS[kind]} {filename}"[:200],
                changes={"file": filename, "sha256": sha256, "rows": scan.rows, **writer.counts},
                note=writer.describe(),
            )
    except IntegrityError:
        # Someone wrote the same ID number or household number while this import ran.
        raise RosterFileError("导入时发现与刚刚登记的数据重复（可能有人同时在导入），未导入任何数据，请重新校验后再导入") from None
    return result


class _ResidentWriter:
    def __init__(self):
        self.counts = {"households_created": 0, "residents_created": 0}

    def write(self, rows):
        numbers = {r["household"] for r in rows}
        pks = dict(Household.objects.filter(number__in=numbers).values_list("number", "pk"))
        new = [
            Household(grid_id=r["grid_id"], number=r["household"], address=r["address"])
            for r in rows
            if r["new_household"] and r["household"] not in pks
        ]
        if new:
            insert_many(Household, new)
            record_created_many(new, note=self.note)
            pks.update((h.number, h.pk) for h in new)
            self.counts["households_created"] += len(new)
        residents = [
            Resident(
                household_id=pks[r["household"]],
                name=r["name"],
                gender=r["gender"],
                birth_date=r["birth_date"],
                relation=r["relation"],
                id_number=r["id_number"],
                id_number_hash=r["id_hash"],
                phone=r["phone"],
                tags=r["tags"],
                sensitive_tags=r["sensitive_tags"],
            )
            for r in rows
        ]
        insert_many(Resident, residents)
        record_created_many(residents, note=self.note)
        self.counts["residents_created"] += len(residents)

    def describe(self):
        return f"导入住户花名册：新增{self.counts['households_created']}户、{self.counts['residents_created']}人"


class _MemberWriter:
    def __init__(self):
        self.counts = {"members_created": 0, "residents_linked": 0}

    def write(self, rows):
        members = [
            Member(
                party_org_id=r["party_org_id"],
                resident_id=r["resident_id"],
                name=r["name"],
                gender=r["gender"],
                birth_date=r["birth_date"],
                id_number=r["id_number"],
                id_number_hash=r["id_hash"],
                phone=r["phone"],
                joined_on=r["joined_on"],
                status=r["status"],
                is_migrant=r["is_migrant"],
                migrant_location=r["migrant_location"],
                is_elderly=r["is_elderly"],
                is_ill=r["is_ill"],
            )
            for r in rows
        ]
        insert_many(Member, members)
        record_created_many(members, note=self.note)
        self.counts["members_created"] += len(members)
        self.counts["residents_linked"] += sum(1 for m in members if m.resident_id)

    def describe(self):
        return f"导入党员花名册：新增党员{self.counts['members_created']}名，关联居民档案{self.counts['residents_linked']}名"

