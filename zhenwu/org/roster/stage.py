"""The hand-off from a validation to its commit: the parsed rows, compressed in a temporary file
(stored encrypted with the validation job), and the scope they were checked under."""

import datetime
import json
import tempfile
import zlib


class Stage:
    """The rows a validation parsed, kept (zlib-compressed JSON lines in a temporary file) so the
    commit does not read and check the file again. Dates are written as ISO text and read back
    by key."""

    DATE_KEYS = ("birth_date", "joined_on")

    def __init__(self):
        self._file = tempfile.TemporaryFile()
        self._zip = zlib.compressobj(1)  # 2.5x faster than level 6, a sixth larger; it lives minutes
        self.rows = 0

    def write(self, rows):
        lines = []
        for row in rows:
            lines.append(json.dumps(row, ensure_ascii=False, default=_iso_date))
            self.rows += 1
        if lines:
            self._file.write(self._zip.compress(("\n".join(lines) + "\n").encode()))

    def finish(self):
        """The compressed stage as a file object at its start."""
        self._file.write(self._zip.flush())
        self._file.seek(0)
        return self._file

    @classmethod
    def read(cls, fileobj):
        """Iterate the rows of a stage written by `finish()`."""
        unzip = zlib.decompressobj()
        pending = b""
        with fileobj:
            while chunk := fileobj.read(1 << 16):  # 64 KiB: a few hundred KiB of lines at a time
                pending += unzip.decompress(chunk)
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    yield cls._row(line)
        pending += unzip.flush()
        for line in pending.split(b"\n"):
            if line:
                yield cls._row(line)

    @classmethod
    def _row(cls, line):
        row = json.loads(line)
        for key in cls.DATE_KEYS:
            if row.get(key):
                row[key] = datetime.date.fromisoformat(row[key])
        return row


def _iso_date(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"cannot stage {type(value).__name__}")


def scope_signature(user):
    """What a staged validation depends on besides the file: who checked it and their scope."""
    return f"{user.pk}:{user.role}:{user.area_id}:{user.party_org_id}:{user.department_id}"

