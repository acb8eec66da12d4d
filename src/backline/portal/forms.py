"""Portal forms: short, phone-sized, parsing only (the services decide)."""

from __future__ import annotations

from django import forms

from backline.portal.queries import requestable_services


class AskForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        label="In a few words, what is wrong?",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    description = forms.CharField(
        label="What happened?",
        required=False,
        help_text="What you did, what you expected, any error message.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    service = forms.ModelChoiceField(
        queryset=None, required=False, label="Which system is it about?", empty_label="Not sure"
    )
    file = forms.FileField(required=False, label="Screenshot or file (optional)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = requestable_services()


class ReplyForm(forms.Form):
    body = forms.CharField(
        required=False, label="Your reply", widget=forms.Textarea(attrs={"rows": 4})
    )
    file = forms.FileField(required=False, label="Add a file (optional)")

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("file"):
            raise forms.ValidationError("Write a reply or choose a file.")
        return data


class ResolutionForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    comment = forms.CharField(
        required=False,
        label="What is still wrong?",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
