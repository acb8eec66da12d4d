"""A password validator for AUTH_PASSWORD_VALIDATORS: no username or e-mail inside the password.

Django's UserAttributeSimilarityValidator compares the whole password with each attribute, so
`lena-2026-backline` passes for user `lena`; this one refuses any password that contains them."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from backline.accounts.rules import password_identity_clash


class NoIdentityInPasswordValidator:
    """Refuse a password that contains the user's username, e-mail or e-mail name."""

    def validate(self, password: str, user=None) -> None:
        if user is None:
            return
        clash = password_identity_clash(
            password,
            username=getattr(user, "username", "") or "",
            email=getattr(user, "email", "") or "",
        )
        if clash is not None:
            what = "e-mail address" if clash == "email" else clash
            raise ValidationError(
                f"The password must not contain your {what}.",
                code="password_contains_identity",
            )

    def get_help_text(self) -> str:
        return "Your password must not contain your username or e-mail address."
