from django import forms

from backline.accounts.choices import TokenScope


class LoginForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. L1 desk sync"}),
    )
    scope = forms.ChoiceField(
        choices=[
            (TokenScope.READ, "Read — look things up (GET) only"),
            (TokenScope.WRITE, "Write — also create and change tickets, comments…"),
            (TokenScope.ADMIN, "Admin — also configuration (routing, SLA, webhooks, imports…)"),
        ],
        initial=TokenScope.READ,
        required=False,
        help_text="A token never does more than your role allows.",
    )

    def clean_scope(self) -> str:
        # Least privilege when a client posts no scope at all.
        return self.cleaned_data.get("scope") or TokenScope.READ
