import datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from zhenwu.ops.backup import BackupError, apply_retention, backups_to_keep, decrypt_file, encrypt_file

UTC = datetime.UTC


def at(day, hour=18):  # 18:00 UTC = 02:00 next day in China: the rule counts Beijing days
    return datetime.datetime(2026, 1, 1, hour, tzinfo=UTC) + datetime.timedelta(days=day)


def test_gfs_keeps_the_newest_of_each_recent_day_week_and_month():
    # Two backups a day for 120 days.
    times = [at(d, h) for d in range(120) for h in (1, 18)]
    keep = backups_to_keep(times, daily=7, weekly=4, monthly=3)
    newest = max(times)
    tz = datetime.timezone(datetime.timedelta(hours=8))
    days = sorted({t.astimezone(tz).date() for t in keep}, reverse=True)
    assert newest in keep
    # The 7 most recent Beijing days each keep exactly their newest backup.
    for day in days[:7]:
        kept = [t for t in keep if t.astimezone(tz).date() == day]
        assert kept == [max(t for t in times if t.astimezone(tz).date() == day)]
    months = {(t.astimezone(tz).year, t.astimezone(tz).month) for t in keep}
    assert len(months) == 3  # the newest of each of the last 3 months, nothing older
    assert len(keep) <= 7 + 4 + 3
    assert min(keep) > min(times)


def test_retention_deletes_only_backups_the_rule_drops(tmp_path):
    names = []
    for d in range(10):
        t = at(d)
        name = f"zhenwu-backup-{t:%Y%m%dT%H%M%SZ}.tar.gz"
        (tmp_path / name).write_bytes(b"x")
        names.append(name)
    (tmp_path / "notes.txt").write_text("不是备份")
    deleted = apply_retention(tmp_path, daily=3)
    assert sorted(p.name for p in deleted) == sorted(names[:7])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[7:] + ["notes.txt"])


def test_encrypted_archive_round_trips_and_detects_tampering(tmp_path):
    import base64

    key = base64.urlsafe_b64decode(Fernet.generate_key())
    plain = tmp_path / "a.tar.gz"
    plain.write_bytes(b"\x1f\x8b" + bytes(range(256)) * 5000)
    enc, back = tmp_path / "a.enc", tmp_path / "b.tar.gz"
    encrypt_file(plain, enc, key)
    decrypt_file(enc, back, key)
    assert back.read_bytes() == plain.read_bytes()
    data = bytearray(enc.read_bytes())
    data[1000] ^= 1
    Path(enc).write_bytes(bytes(data))
    with pytest.raises(BackupError, match="密钥不对，或文件已损坏"):
        decrypt_file(enc, back, key)


@pytest.mark.django_db
def test_an_installation_with_only_operational_rows_counts_as_empty(cast, settings, tmp_path):
    from django.utils import timezone

    from zhenwu.ops.models import CommandRun
    from zhenwu.ops.restore import installation_contents

    settings.MEDIA_ROOT = str(tmp_path / "media")
    filled, files = installation_contents()
    assert any(t.startswith("accounts_user（") for t in filled) and files == 0

    from django.apps import apps

    for model in apps.get_models():
        if model._meta.db_table not in ("django_content_type", "auth_permission") and model._meta.managed:
            model._base_manager.all()._raw_delete(model._base_manager.db)
    CommandRun.objects.create(name="escalate_overdue_concerns", started=timezone.now())
    assert installation_contents() == ([], 0)
    (tmp_path / "media" / "x").mkdir(parents=True)
    (tmp_path / "media" / "x" / "photo.jpg").write_bytes(b"1")
    assert installation_contents() == ([], 1)
