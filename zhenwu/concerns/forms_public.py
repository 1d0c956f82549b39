"""Forms residents fill in without an account: the phone form, adding to a concern, the call-back,
and following a concern someone else reported.

Photos are checked and re-encoded by zhenwu.lib.photos before they reach the service (a real
image; orientation applied; camera metadata, including the GPS position, dropped).
"""

import re
import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.functional import cached_property

from zhenwu.lib import photos
from zhenwu.lib.params import int_or_none
from zhenwu.org.models import Area, AreaLevel
from zhenwu.org.ordering import tree_order

from .models import MAX_PHOTOS_PER_CONCERN, VERDICT_RESULTS, Category
from .services import MAX_TEXT_LENGTH, ConcernError, clean_reporter_phone, max_photo_bytes

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def new_submission_key():
    """The one-time key a form render carries, so a double tap or a retried POST is one concern."""
    return secrets.token_urlsafe(24)


def clean_photo(upload):
    """A resident's or staff member's photo, checked and cleaned (zhenwu.lib.photos)."""
    return photos.clean_photo(upload, max_bytes=max_photo_bytes())


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to `max_count` photos from one file input; each cleaned with clean_photo."""

    def __init__(self, *, max_count=MAX_PHOTOS_PER_CONCERN, **kwargs):
        self.max_count = max_count
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        uploads = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not uploads:
            if self.required:
                raise ValidationError("请选择照片")
            return []
        if len(uploads) > self.max_count:
            raise ValidationError(f"最多上传{self.max_count}张照片（本次选择了{len(uploads)}张）")
        errors, cleaned = [], []
        for upload in uploads:
            try:
                cleaned.append(clean_photo(upload))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


GARBLED = "garbled"


def refuse_garbled(value, label):
    """Bytes that were not UTF-8 reach a form as U+FFFD (Django decodes with replacement): refuse
    them rather than store a text nobody can read (Open311 refuses the same bytes with a 400)."""
    if "\ufffd" in value:
        raise ValidationError(
            f"{label}中有无法识别的字符（显示为“\ufffd”，多半是从其他软件复制时出现的乱码），请删除后重新提交",
            code=GARBLED,
        )
    return value


def _clean_long_text(value, *, label, required=True):
    value = refuse_garbled((value or "").strip(), label)
    if required and not value:
        raise ValidationError(f"请填写{label}")
    if len(value) > MAX_TEXT_LENGTH:
        raise ValidationError(f"{label}不能超过{MAX_TEXT_LENGTH}字（现为{len(value)}字），请精简后再提交")
    return value


def _phone(value):
    """The service's phone rule, checked with the other fields so every error shows at once."""
    try:
        return clean_reporter_phone(value)
    except ConcernError as exc:
        raise ValidationError(exc.message) from None


PLACE_LEVELS = (AreaLevel.VILLAGE, AreaLevel.COMMUNITY, AreaLevel.GRID)


def _places(town=None):
    """The places a resident may pick (with the towns, for labels), or those of one town."""
    if town is None:
        queryset = Area.objects.filter(level__in=(AreaLevel.TOWN, *PLACE_LEVELS))
    else:
        queryset = Area.objects.filter(level__in=PLACE_LEVELS, path__startswith=town.path)
    return tree_order(queryset.order_by("path").only("id", "name", "level", "path", "depth"))


def served_towns():
    """The towns the deployment serves, in tree order (one query)."""
    return list(
        Area.objects.filter(level=AreaLevel.TOWN).order_by("path").only("id", "name", "path", "depth")
    )


def place_choices(places=None):
    """Villages and communities with their grids, as grouped choices (one query, or none when
    the areas are given). A resident who does not know their grid picks the village itself."""
    places = _places() if places is None else places
    towns = [a for a in places if a.level == AreaLevel.TOWN]
    town_names = {t.path: t.name for t in towns}
    groups, current = [], None
    for area in places:
        if area.level in (AreaLevel.VILLAGE, AreaLevel.COMMUNITY):
            label = area.name
            if len(towns) > 1:
                label = f"{town_names.get(area.path[: -area.steplen], '')} · {area.name}"
            current = (area, label, [(str(area.pk), f"{area.name}（不清楚网格）")])
            groups.append(current)
        elif area.level == AreaLevel.GRID and current is not None and area.path.startswith(current[0].path):
            current[2].append((str(area.pk), area.name))
    return [(label, options) for _, label, options in groups]


class PlaceField(forms.TypedChoiceField):
    """A place among the form's choices, which are read only when the form is rendered; the
    submitted value is validated by the form's clean_area (one row, not the whole list)."""

    def valid_value(self, value):
        return True


class CategoryField(forms.ModelChoiceField):
    """The county's categories by name; a town's own extra ones also name their town (the
    intake accepts them for that town's places only)."""

    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.town.name}）" if obj.town_id else obj.name


class ReportForm(forms.Form):
    """The resident's phone form (no account)."""

    text = forms.CharField(
        label="反映的问题",
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "maxlength": MAX_TEXT_LENGTH,
                "data-counter": "text-counter",
                "placeholder": "请写明什么地方、出了什么问题、持续多久了，例如：九龙村学校门口下水道堵塞，污水漫到路面",
            }
        ),
    )
    category = CategoryField(
        label="问题类别",
        queryset=Category.objects.filter(is_active=True).select_related("town").order_by("sort_order", "code"),
        empty_label="请选择",
        error_messages={"required": "请选择问题类别", "invalid_choice": "所选类别不存在，请重新选择"},
    )
    area = PlaceField(
        label="所在村（社区）或网格",
        coerce=int,
        error_messages={
            "required": "请选择所在村（社区）或网格",
            "invalid_choice": "所选地点不存在，请重新选择",
        },
    )
    town = forms.TypedChoiceField(
        label="所在乡镇",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "所选乡镇不存在，请重新选择"},
    )
    latitude = forms.CharField(required=False, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, widget=forms.HiddenInput)
    # The system the point above is in: the browser gives WGS-84 (the default); WeChat's location
    # API gives GCJ-02. The intake converts it (services.submit_concern).
    coord_system = forms.CharField(required=False, widget=forms.HiddenInput, initial="wgs84")
    photos = PhotosField(label=f"照片（选填，最多{MAX_PHOTOS_PER_CONCERN}张）")
    reporter_name = forms.CharField(
        label="您的称呼（选填）",
        required=False,
        max_length=50,
        error_messages={"max_length": "称呼不能超过50字"},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    reporter_phone = forms.CharField(
        label="联系电话（选填）",
        required=False,
        max_length=20,
        error_messages={"max_length": "联系电话格式不正确"},
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, towns=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A deployment serving several towns (a county has over a thousand villages and grids)
        # asks for the town first and lists only its places; one town lists all of them. Towns
        # and places are read lazily: a submitted form that needs neither reads neither (the
        # place is checked by clean_area against its one row).
        if towns is not None:
            self.towns = towns
        self.fields["town"].choices = lambda: [("", "请选择")] + [(str(t.pk), t.name) for t in self.towns]
        self.fields["town"].widget.attrs.update(
            {
                "hx-get": reverse("concerns:report_places"),
                "hx-trigger": "change",
                "hx-target": "#area-field",
                "hx-swap": "outerHTML",
            }
        )
        self.fields["area"].choices = self._place_choices

    @cached_property
    def towns(self):
        return served_towns()

    @property
    def asks_for_town(self):
        return len(self.towns) > 1

    def _place_choices(self):
        # Django reads a callable's choices each time the field is drawn or its required
        # attribute is decided (twice per page): the list is built once per form.
        if not hasattr(self, "_place_choice_list"):
            self._place_choice_list = self._build_place_choices()
        return self._place_choice_list

    def _build_place_choices(self):
        if not self.asks_for_town:
            return [("", "请选择")] + place_choices()
        town = self.chosen_town()
        if town is None:
            return [("", "请先选择所在乡镇")]
        return [("", "请选择")] + place_choices(_places(town))

    def chosen_town(self):
        """The town whose places the form lists: the one submitted or given as initial, else
        the town of the submitted place (a form sent without scripts keeps its place)."""
        by_pk = {t.pk: t for t in self.towns}
        town = by_pk.get(int_or_none(self.data.get("town") if self.is_bound else self.initial.get("town")))
        if town is None and self.is_bound:
            area = Area.objects.filter(pk=int_or_none(self.data.get("area"))).only("path").first()
            if area is not None:
                town = next((t for t in self.towns if area.path.startswith(t.path)), None)
        return town

    def clean_text(self):
        return _clean_long_text(self.cleaned_data.get("text"), label="反映的问题")

    def clean_reporter_name(self):
        return refuse_garbled(self.cleaned_data.get("reporter_name") or "", "称呼")

    def clean_area(self):
        pk = self.cleaned_data.get("area")
        area = Area.objects.filter(
            pk=pk, level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY, AreaLevel.GRID)
        ).first()
        if area is None:
            raise ValidationError("所选地点不存在，请重新选择")
        return area

    def clean(self):
        cleaned = super().clean()
        town_pk, area = cleaned.get("town"), cleaned.get("area")
        if town_pk and area is not None:
            town = next((t for t in self.towns if t.pk == town_pk), None)
            if town is not None and not area.path.startswith(town.path):
                # Changed the town without scripts after picking a place: ask again, keep the rest.
                self.add_error("area", f"所选地点不在{town.name}，请重新选择")
        return cleaned

    def clean_reporter_phone(self):
        return _phone(self.cleaned_data.get("reporter_phone"))

    def clean_key(self):
        key = (self.cleaned_data.get("key") or "").strip()
        if not KEY_RE.match(key):
            # Not a key this site issued: the page is stale or the request is not from our form.
            raise ValidationError("页面已过期，请核对内容后重新提交")
        return key


class AddInformationForm(forms.Form):
    text = forms.CharField(
        label="补充说明",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_TEXT_LENGTH}),
    )

    def clean_text(self):
        return _clean_long_text(self.cleaned_data.get("text"), label="补充说明")


class AddPhotosForm(forms.Form):
    photos = PhotosField(label="补充照片", required=True)


class CallBackForm(forms.Form):
    """回访 on the follow page: the two questions of 接诉即办 and a comment."""

    solved = forms.TypedChoiceField(
        label="您反映的问题是否已解决？",
        choices=[("yes", "已解决"), ("no", "未解决")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择问题是否已解决", "invalid_choice": "请选择问题是否已解决"},
    )
    result = forms.ChoiceField(
        label="您对办理结果是否满意？",
        choices=[(r.value, r.label) for r in VERDICT_RESULTS],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择满意程度", "invalid_choice": "请选择满意程度"},
    )
    note = forms.CharField(
        label="意见或建议（选择“不满意”时必填，请说明原因）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_TEXT_LENGTH}),
    )

    def clean_note(self):
        return _clean_long_text(self.cleaned_data.get("note"), label="意见或建议", required=False)


class FollowForm(forms.Form):
    phone = forms.CharField(
        label="接收短信提醒的手机号（选填）",
        required=False,
        max_length=20,
        error_messages={"max_length": "手机号格式不正确"},
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )

    note = forms.CharField(
        label="补充说明（选填）",
        required=False,
        max_length=2000,
        error_messages={"max_length": "补充说明最多2000字"},
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="您写下的情况会转给办理部门，不会公开。",
    )

    def clean_phone(self):
        return _phone(self.cleaned_data.get("phone"))



class MinePhoneForm(forms.Form):
    """我的反映, step 1: the phone that reported or follows."""

    phone = forms.CharField(
        label="手机号码",
        max_length=20,
        error_messages={"required": "请输入手机号码", "max_length": "请输入11位手机号码"},
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"}),
    )


class MineCodeForm(forms.Form):
    """我的反映, step 2: the code the phone received."""

    code = forms.CharField(
        label="短信验证码",
        max_length=10,
        error_messages={"required": "请输入短信中的6位验证码", "max_length": "请输入短信中的6位验证码"},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*", "maxlength": "6"}
        ),
    )
