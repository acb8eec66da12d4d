"""HTML forms for known errors; they only parse input, the services decide."""

from __future__ import annotations

from django import forms

from backline.cmdb.queries import items_all, services_all


class KnownErrorForm(forms.Form):
    title = forms.CharField(max_length=200)
    symptoms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What users and agents see: messages, screens, when it happens. Incidents "
        "whose text matches these words show the workaround.",
    )
    workaround = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What the agent does until the fix is in. Shown on matching incidents.",
    )
    services = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    cis = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label="Configuration items",
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = services_all()
        self.fields["cis"].queryset = items_all()


class TransitionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("publish", "Publish"), ("retire", "Retire"), ("unpublish", "Back to draft")]
    )
    version = forms.IntegerField(required=False)
