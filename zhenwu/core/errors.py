"""The one convention for a refused request: `raise SomeAppError(message, field=...)`.

Every app has one subclass of DomainError (ConcernError, StudyError, RoutingError…). The message is
for the user as it is (Chinese); `field` names the form field it belongs beside, if any.

DomainError is a Django ValidationError, so a view that catches ValidationError for a form (and
lib.form_errors.attach_errors, which puts it on the form) treats a refused rule and a bad value
alike; `str(error)` is the message.
"""

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    def __init__(self, message, *, field=None):
        super().__init__({field: [message]} if field else message)
        self.message = message
        self.field = field
        # ValidationError's __eq__/__hash__ read code and params, which its dict form never sets.
        self.code = None
        self.params = None

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"{type(self).__name__}({self.message!r}, field={self.field!r})"
