"""Form helpers shared by the HTML views."""

from __future__ import annotations

from django import forms

from backline.core.errors import DomainError


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal next to the fields it names (or above the form)."""
    errors = exc.errors or [{"field": exc.field, "message": exc.message}]
    for error in errors:
        field = error.get("field")
        form.add_error(field if field in form.fields else None, error["message"])
