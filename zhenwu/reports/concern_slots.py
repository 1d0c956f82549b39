"""The reports app's fragment on the concern page, through the slot the concerns app offers
(concerns.signals.concern_detail_cards; connected in ReportsConfig.ready): the links to the
concern's 交办单, one per dispatch, once it has been dispatched. The page has checked the reader's
scope; the download view checks it again."""

from zhenwu.core.slots import render_fragment

from .dispatch_sheet import dispatch_events


def dispatch_sheet_card(sender, *, context, concern, **kwargs):
    if concern.dispatched_at is None:  # never dispatched: no sheet, no query
        return None
    events = dispatch_events(concern)
    if not events:
        return None
    return render_fragment(context, "reports/_dispatch_sheet_card.html", {
        "concern": concern,
        "events": events,
        "is_current": events[-1].department_id == concern.department_id,
    })
