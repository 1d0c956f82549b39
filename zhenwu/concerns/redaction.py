"""Personal data taken out of concern text before it is shown to anyone who may not see the
reporter's contact.

A concern's text is published on the board as the resident wrote it, except for what identifies a
person: the reporter's own name wherever it appears (residents often sign their report), mobile
and landline numbers, and ID numbers (zhenwu.lib.masking.mask_numbers). Names of other people
cannot be found reliably in free text; dispatchers read a concern before accepting it, and only
accepted concerns are public.

Staff see the same redaction on the concern's page, the staff API and the ledger: the numbers and
the reporter's name in the text are masked like the structured fields, and those who may reveal
the reporter's contact (access.can_reveal_reporter) reveal the text with the same audited action
(services.reveal_reporter, field "text"). The audit log keeps masked text only.
"""

from zhenwu.lib.masking import mask_name, mask_numbers


def redact_text(text, *, names=()):
    """`text` with ID numbers, phone numbers and each of `names` (two or more characters) masked:
    430181********1234, 138****8000, 李*."""
    if not text:
        return text or ""
    text = mask_numbers(text)
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
        # A name cut short by the title's ellipsis: 欧阳春… still names 欧阳春花.
        for size in range(len(name) - 1, 1, -1):
            text = text.replace(f"{name[:size]}…", f"{mask_name(name[:size])}…")
    return text


def redact_concern_text(concern, text):
    """`text` (the concern's own text, title or a public reply) redacted for the public, with the
    reporter's name masked. Reads `concern.reporter_name`: load it with the row, not deferred."""
    return redact_text(text, names=(concern.reporter_name,))
