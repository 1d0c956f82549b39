"""The form that places something on the map (a household, a project's works): a pin, the phone's
position, or degrees typed in from another map app in the system that app uses. The services
convert the point to WGS-84 and check its range; this form only says what was sent."""

from django import forms

from zhenwu.lib.coords import CoordSystem

_DEGREES = {"inputmode": "decimal", "autocomplete": "off"}


class PlaceForm(forms.Form):
    """Save needs both degrees; the 清除位置 button (name "clear") sends the form to clear instead."""

    latitude = forms.CharField(label="纬度", required=False, max_length=20, widget=forms.TextInput(attrs=_DEGREES))
    longitude = forms.CharField(label="经度", required=False, max_length=20, widget=forms.TextInput(attrs=_DEGREES))
    coord_system = forms.ChoiceField(label="坐标来源", choices=CoordSystem.choices, initial=CoordSystem.WGS84)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @property
    def clears(self):
        return self.is_bound and "clear" in self.data

    def clean(self):
        data = super().clean()
        if not self.clears and not ((data.get("latitude") or "").strip() and (data.get("longitude") or "").strip()):
            self.add_error("latitude", "请在地图上点选位置，或填写纬度和经度")
        return data

    def point(self):
        """The service's arguments: (latitude, longitude, coord_system), all None to clear."""
        if self.clears:
            return {"latitude": None, "longitude": None, "coord_system": None}
        return dict(self.cleaned_data)
