"""gunicorn's access log without secrets: `--logger-class zhenwu.lib.access_log.AccessLogger`
(see zhenwu.lib.log_redaction)."""

from gunicorn.glogging import Logger

from .log_redaction import redact


class AccessLogger(Logger):
    """gunicorn's logger whose access-log atoms (request line, path, query, referer, headers) are
    redacted before the access-log format is filled in."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = redact(value)
        return atoms
