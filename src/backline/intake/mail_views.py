"""Settings → Mailboxes, for managers: the team addresses email comes in on, each one's last poll
and error, and the log of recent inbound messages with what they did."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from backline.accounts.models import Team, User
from backline.core.errors import DomainError
from backline.core.forms import add_domain_error
from backline.intake.mail import mailbox_create, mailbox_update
from backline.intake.models import InboundMessage, Mailbox
from backline.intake.services import require_manager

RECENT_MESSAGES = 50


def _manager(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required has let only users through
    require_manager(user)
    return user


class MailboxForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("tier", "name"))
    address = forms.EmailField(help_text="Mail to this address opens tickets in the team's queue")
    imap_host = forms.CharField(
        required=False, label="IMAP host", help_text="Leave empty to take mail over SMTP only"
    )
    imap_port = forms.IntegerField(initial=993, min_value=1, max_value=65535, label="IMAP port")
    imap_ssl = forms.BooleanField(required=False, initial=True, label="IMAP over TLS")
    imap_user = forms.CharField(required=False, label="IMAP login")
    imap_password = forms.CharField(
        required=False, label="IMAP password", widget=forms.PasswordInput(render_value=False)
    )
    imap_folder = forms.CharField(initial="INBOX", label="Folder")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")


@login_required
@require_GET
def mailboxes(request: HttpRequest) -> HttpResponse:
    _manager(request)
    context = {
        "title": "Mailboxes",
        "mailboxes": list(Mailbox.objects.select_related("team")),
        "inbound": list(
            InboundMessage.objects.select_related("mailbox", "ticket")[:RECENT_MESSAGES]
        ),
    }
    return render(request, "intake/mailboxes.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_new(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    form = MailboxForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            mailbox = mailbox_create(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Mailbox {mailbox.address} added.")
            return redirect("mail:mailboxes")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "title": "New mailbox"}
    return render(request, "intake/mailboxes_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    mailbox = get_object_or_404(Mailbox.objects.select_related("team"), pk=pk)
    initial = {name: getattr(mailbox, name) for name in MailboxForm.base_fields}
    initial["imap_password"] = ""
    form = MailboxForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            mailbox = mailbox_update(actor=actor, mailbox=mailbox, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Mailbox {mailbox.address} saved.")
            return redirect("mail:mailboxes")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "title": f"Mailbox {mailbox.address}", "mailbox": mailbox}
    return render(request, "intake/mailboxes_form.html", context, status=status)
