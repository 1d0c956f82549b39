"""A chooser for one row out of a long list (a village's residents, a town's members).

A plain <select> of thousands of names is unusable on a phone and sends every name with every
page. `SearchPicker` renders a search box instead; as the user types, htmx asks the page's search
view for at most `LIMIT` matches, shown as radio buttons named like the field, so the form posts
the chosen row's id as a select would. The field stays a ModelChoiceField: the server validates
the id against the same scoped queryset it searches, so nothing outside the user's scope can be
picked by editing the page.

    field = forms.ModelChoiceField(queryset=..., widget=SearchPicker(label=lambda m: f"{m.name}"))
    form.fields["member"].widget.search_url = reverse(...) + "?field=member"   # in the view
    return picker_results(request, form.fields["member"], name="member")       # the search view

`SearchMultiPicker` is the same for a ModelMultipleChoiceField (checkboxes, chosen rows kept).
"""

from django import forms
from django.db.models import Q
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

LIMIT = 20


class SearchPicker(forms.Widget):
    template_name = "includes/search_picker.html"

    def __init__(self, *, label=str, placeholder="输入姓名搜索", search_fields=("name",), attrs=None):
        super().__init__(attrs)
        self.label = label
        self.placeholder = placeholder
        self.search_fields = search_fields
        self.search_url = ""
        self.choices = ()  # ModelChoiceField assigns its (lazy) choices; never iterated here

    def selected(self, value):
        queryset = getattr(self.choices, "queryset", None)
        if queryset is None or value in (None, ""):
            return None
        try:
            return queryset.filter(pk=value).first()
        except (TypeError, ValueError):
            return None

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        chosen = self.selected(value)
        return mark_safe(render_to_string(self.template_name, {
            "name": name,
            "id": attrs.get("id") or f"id_{name}",
            "search_url": self.search_url,
            "placeholder": self.placeholder,
            "rows": [(chosen, self.label(chosen))] if chosen else [],
            "selected": str(chosen.pk) if chosen else "",
            "required": self.is_required,
        }))


class SearchMultiPicker(SearchPicker):
    """The several-rows chooser (a meeting's residents): chosen rows stay above the search box as
    ticked checkboxes, so a new search never loses them; matches come as unticked checkboxes
    (static/js/app.js moves a ticked match up to the chosen ones). The field is a
    ModelMultipleChoiceField, validated against the same scoped queryset it searches."""

    template_name = "includes/search_multi_picker.html"
    allow_multiple_selected = True

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        return getter(name) if getter else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return False  # an empty choice is a choice (nothing ticked posts nothing)

    def chosen(self, value):
        queryset = getattr(self.choices, "queryset", None)
        if queryset is None or not value:
            return []
        ids = [v for v in (value if isinstance(value, (list, tuple)) else [value]) if str(v).isdigit()]
        return list(queryset.filter(pk__in=ids)[:MAX_CHOSEN])

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        return mark_safe(render_to_string(self.template_name, {
            "name": name,
            "id": attrs.get("id") or f"id_{name}",
            "search_url": self.search_url,
            "placeholder": self.placeholder,
            "chosen": [(row, self.label(row)) for row in self.chosen(value)],
        }))


MAX_CHOSEN = 500


def search(field, text, *, exclude=()):
    """At most LIMIT rows of the field's own queryset matching `text`, and whether more match.
    `exclude`: ids already chosen (a several-rows picker does not offer them again)."""
    widget = field.widget
    text = (text or "").strip()[:50]
    if not text:
        return [], False
    condition = Q()
    for name in widget.search_fields:
        condition |= Q(**{f"{name}__contains": text})
    queryset = field.queryset.filter(condition)
    exclude = [v for v in exclude if str(v).isdigit()][:MAX_CHOSEN]
    if exclude:
        queryset = queryset.exclude(pk__in=exclude)
    rows = list(queryset[:LIMIT + 1])
    return rows[:LIMIT], len(rows) > LIMIT


def picker_results(request, field, *, name):
    """The search view's answer: radio buttons for the matches (an htmx fragment)."""
    text = request.GET.get(f"{name}_q", "")
    multiple = isinstance(field.widget, SearchMultiPicker)
    rows, more = search(field, text, exclude=request.GET.getlist(name) if multiple else ())
    return render(request, "includes/search_picker_results.html", {
        "name": name,
        "q": text.strip(),
        "rows": [(row, field.widget.label(row)) for row in rows],
        "more": more,
        "limit": LIMIT,
        "required": field.required,
        "multiple": multiple,
    })
