"""Forms of the mastery pages."""

from __future__ import annotations

from django import forms


class ResetForm(forms.Form):
    confirm = forms.BooleanField(
        required=True, label="I understand that this mastery and its history are deleted for good.",
        error_messages={"required": "Tick the box to confirm the reset."})


class ItemDoneForm(forms.Form):
    done = forms.BooleanField(required=False)
