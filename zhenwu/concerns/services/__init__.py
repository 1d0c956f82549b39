"""The concern workflow: one function per transition of the 12345 closed loop.

    received 待受理 ─accept→ accepted 已受理 ─dispatch→ dispatched 已派单 ─(first action)→ in_progress 办理中
        │decline                 │decline      ↑            │return (by the department)   │resolve
        ↓                        ↓             └─ returned 已退回 ←┘                          ↓
    declined 不予受理 ─reopen→ received          (dispatch / decline)                   resolved 已办结
                                                                                            │call-back
                        in_progress ←── 不满意 (重办, reopen_count + 1) ───────────────────┤
                                                                           满意/基本满意 → closed 关闭
    Any open concern may be re-categorised, merged into an original (duplicate 已合并), supervised
    (督办) or attached to a project. Resolved or closed ones may be reopened by a dispatcher.
    A dispatched or in-progress concern may be suspended (挂起 → suspended 已挂起, its clock stopped)
    and resumed to its earlier state, and its department may ask for an extension (延期); those
    and a project's plan as deadline live in zhenwu.concerns.deadlines.

Every function is atomic, locks the concern row (SELECT ... FOR UPDATE) before reading its state,
checks the allowed from-states and the acting user's rights, records a ConcernEvent and an audit
entry, and queues notifications. A refused transition raises ConcernError with a Chinese message
for the user; nothing is changed.

Deadlines (zhenwu.workdays.calendar, end of the due day, Asia/Shanghai):
- The limits and the default department are those in force for the concern's category in its
  town (catalogue.category_setting_for: the town's own setting, else the county catalogue's).
- resolution_due = receipt + the category's resolution limit in working days; re-computed when the
  category changes, but never earlier than an approved extension granted
  (workflow.recategorised_resolution_due); restarted from the reopening when a concern is reopened (重办).
- response_due = the department's deadline for its first contact with the resident: set from
  the dispatch time at each dispatch (a new department gets a fresh clock). Before dispatch it
  holds the same limit counted from receipt, as the town's own target. 紧急 caps the limit at
  one working day and 特急 at the same working day.

The package by topic (docs/architecture.md): common (errors, checks, event and audit writers),
catalogue (the county's categories and each town's own rules), intake, workflow, county (上报 / 下派
through the county centre), escalation, projects. Callers use the names below through the package
(`from zhenwu.concerns import services`; `services.dispatch_concern(...)`).
"""

from .catalogue import (
    CategorySetting,
    active_categories,
    attach_default_departments,
    category_setting_for,
    category_settings_for_town,
    check_category_in_town,
    save_town_category,
    set_town_category_setting,
    user_town_id,
)
from .common import (
    DOCUMENT_EXTENSIONS,
    MAX_REASON_LENGTH,
    MAX_TEXT_LENGTH,
    PHOTO_TYPES,
    STAFF_CHANNELS,
    ConcernError,
    ConcernPermissionDenied,
    SubmitResult,
    TransitionNotAllowed,
    allocate_references,
    clean_reporter_phone,
    log,
    max_photo_bytes,
    next_reference,
    reference_prefix,
    response_limit_days,
    validate_photos,
)
from .county import (
    county_of,
    dispatch_departments,
    escalate_concern_to_county,
    hand_down_concern,
)
from .escalation import (
    EscalationReport,
    escalate_overdue_concerns,
    supervise_concern,
)
from .intake import (
    INTAKE_BATCH,
    add_photos,
    add_reporter_update,
    complete_pending_intakes,
    follow_concern,
    submit_concern,
)
from .projects import (
    PROJECT_JOIN_STATES,
    add_project_document,
    advance_project_stage,
    mark_notifications_read,
    set_project_location,
    start_or_join_project,
    update_project_stage,
)
from .workflow import (
    REPORTER_FIELDS,
    UPDATE_STATES_PUBLIC,
    BulkDispatchResult,
    accept_concern,
    decline_concern,
    dispatch_concern,
    dispatch_concerns,
    link_duplicate,
    post_update,
    recategorise_concern,
    recategorised_resolution_due,
    record_call_back,
    reopen_concern,
    reopens_on_unsatisfied,
    resolve_concern,
    return_concern,
    reveal_reporter,
    sign_for_concern,
)

__all__ = [
    "BulkDispatchResult",
    "CategorySetting",
    "ConcernError",
    "ConcernPermissionDenied",
    "DOCUMENT_EXTENSIONS",
    "EscalationReport",
    "INTAKE_BATCH",
    "MAX_REASON_LENGTH",
    "MAX_TEXT_LENGTH",
    "PHOTO_TYPES",
    "PROJECT_JOIN_STATES",
    "REPORTER_FIELDS",
    "STAFF_CHANNELS",
    "SubmitResult",
    "TransitionNotAllowed",
    "UPDATE_STATES_PUBLIC",
    "active_categories",
    "accept_concern",
    "add_photos",
    "add_project_document",
    "add_reporter_update",
    "category_setting_for",
    "category_settings_for_town",
    "check_category_in_town",
    "advance_project_stage",
    "allocate_references",
    "attach_default_departments",
    "complete_pending_intakes",
    "county_of",
    "dispatch_departments",
    "escalate_concern_to_county",
    "hand_down_concern",
    "decline_concern",
    "dispatch_concern",
    "dispatch_concerns",
    "escalate_overdue_concerns",
    "follow_concern",
    "link_duplicate",
    "log",
    "mark_notifications_read",
    "max_photo_bytes",
    "next_reference",
    "clean_reporter_phone",
    "post_update",
    "recategorised_resolution_due",
    "recategorise_concern",
    "record_call_back",
    "reference_prefix",
    "reopen_concern",
    "reopens_on_unsatisfied",
    "resolve_concern",
    "response_limit_days",
    "return_concern",
    "reveal_reporter",
    "sign_for_concern",
    "save_town_category",
    "set_project_location",
    "set_town_category_setting",
    "start_or_join_project",
    "submit_concern",
    "supervise_concern",
    "update_project_stage",
    "user_town_id",
    "validate_photos",
]
