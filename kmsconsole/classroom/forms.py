"""Forms of the classroom pages. Field types and redisplay only: the rules about
classes (known labs, seats, open or closed) live in ``enrollment`` and ``lifecycle``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from labs.format import load_all

from .models import MAX_CAPACITY, IncidentKind

MAX_LABS_PER_CLASS = 6
LAB_FIELDS = [f"lab_{number}" for number in range(1, MAX_LABS_PER_CLASS + 1)]


def _lab_choices() -> list[tuple[str, str]]:
    return [(slug, f"{lab.title} ({lab.minutes} min)") for slug, lab in load_all().items()]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class ClassForm(forms.Form):
    name = forms.CharField(max_length=200)
    starts_at = forms.DateTimeField(label="Starts (UTC)", widget=DateTimeLocalInput())
    ends_at = forms.DateTimeField(label="Ends (UTC)", widget=DateTimeLocalInput())
    capacity = forms.IntegerField(min_value=1, max_value=MAX_CAPACITY, initial=30)
    leaderboard_visible = forms.BooleanField(required=False, label="Students see a leaderboard")
    stuck_minutes = forms.IntegerField(
        min_value=1, max_value=240, initial=10, label="Show a student as stuck after (minutes without progress)"
    )
    retention_days = forms.IntegerField(
        min_value=0, max_value=365, initial=14, label="Delete the workspaces this many days after closing"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _lab_choices()
        for number, name in enumerate(LAB_FIELDS, start=1):
            self.fields[name] = forms.ChoiceField(
                choices=[("", "—")] + choices, required=number == 1, label=f"Lab {number}"
            )
        if not self.is_bound:
            now = timezone.now().replace(second=0, microsecond=0)
            self.initial.setdefault("starts_at", now)
            self.initial.setdefault("ends_at", now + timedelta(hours=3))

    def lab_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in LAB_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        slugs = [data[name] for name in LAB_FIELDS if data.get(name)]
        if len(set(slugs)) != len(slugs):
            self.add_error(None, "Each lab can appear only once in a class.")
        data["lab_slugs"] = slugs
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "The class must end after it starts.")
        return data


class JoinCodeForm(forms.Form):
    code = forms.CharField(max_length=16, label="Join code", widget=forms.TextInput(attrs={"autocomplete": "off"}))


class GuestForm(forms.Form):
    display_name = forms.CharField(
        max_length=60, label="Your name on the class board", widget=forms.TextInput(attrs={"autocomplete": "nickname"})
    )

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError("Type the name your instructor will see.")
        return name


class BroadcastForm(forms.Form):
    text = forms.CharField(max_length=500, label="Message to the class", widget=forms.Textarea(attrs={"rows": 2}))


class ClockForm(forms.Form):
    days = forms.IntegerField(min_value=0, max_value=3650, initial=0)
    hours = forms.IntegerField(min_value=0, max_value=23, initial=0)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        delta = timedelta(days=data.get("days") or 0, hours=data.get("hours") or 0)
        if delta <= timedelta(0):
            raise forms.ValidationError("Move the clock forward by at least one hour.")
        data["delta"] = delta
        return data


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(choices=IncidentKind.choices, label="Incident", widget=forms.RadioSelect)
    students = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label="Students (none chosen: every student)", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, students: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["students"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = students


class CloseForm(forms.Form):
    confirm = forms.BooleanField(
        required=True, label="Close the class: freeze every student workspace (read-only) and stop their credentials"
    )
