from __future__ import annotations

from django import forms

from backline.satisfaction.services import COMMENT_MAX


class CommentForm(forms.Form):
    comment = forms.CharField(
        label="Anything you'd like to add? (optional)",
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
