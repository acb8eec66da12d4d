"""HTML forms for the knowledge base; they only parse input, the services decide."""

from __future__ import annotations

from django import forms

from backline.accounts.queries import staff_users
from backline.cmdb.queries import items_all, services_all
from backline.knowledge.choices import ArticleState, Audience, Decision
from backline.tickets.forms import UserChoiceField
from backline.tickets.queries import categories_active

_MD = "Markdown: **bold**, `code`, lists, ```code blocks```, tables."


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    symptoms = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the user sees and says: error messages, screens, when it happens.",
    )
    cause = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    resolution = forms.CharField(
        required=False,
        label="Resolution steps",
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_MD,
    )
    body = forms.CharField(
        required=False, label="More detail", widget=forms.Textarea(attrs={"rows": 6}), help_text=_MD
    )
    keywords = forms.CharField(
        max_length=300, required=False, help_text="Comma-separated words people search for."
    )
    audience = forms.ChoiceField(choices=Audience.choices, initial=Audience.L1)
    category = forms.ModelChoiceField(queryset=None, required=False, empty_label="— none —")
    services = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    cis = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label="Configuration items",
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    owner = UserChoiceField(queryset=None, required=False, empty_label="— me —")
    review_by = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Review by"
    )
    note = forms.CharField(
        max_length=300, required=False, label="What changed", help_text="Shown in the history."
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories_active()
        self.fields["services"].queryset = services_all()
        self.fields["cis"].queryset = items_all()
        self.fields["owner"].queryset = staff_users()


class TransitionForm(forms.Form):
    action = forms.CharField(max_length=20)
    note = forms.CharField(required=False, max_length=2000)
    version = forms.IntegerField(required=False)


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")], coerce=lambda v: v == "yes"
    )
    comment = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    article = forms.CharField(required=False, max_length=30, help_text="KB number, e.g. KB-12")
    reason = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewCloseForm(forms.Form):
    outcome = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ListFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    state = forms.ChoiceField(choices=[("", "Any state"), *ArticleState.choices], required=False)
    audience = forms.ChoiceField(choices=[("", "Any audience"), *Audience.choices], required=False)
    category = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any category")
    stale = forms.BooleanField(required=False, label="Stale only")
    mine = forms.BooleanField(required=False, label="Mine")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories_active()
