"""Web hardening (issue 11): the Content-Security-Policy and what it needs of the templates, TLS
settings and security headers, CSRF on every form and on the API's session auth, upload checks
by size and type, downloads that never render, and Markdown and mail HTML sanitising."""

from __future__ import annotations

import html.parser
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from backline.core.errors import DomainError, TooLarge
from backline.core.markdown import render_markdown
from backline.core.security import check_upload, refusal_reason
from backline.intake import mail
from backline.tickets import services
from backline.tickets.models import Attachment, Ticket
from tests.factories import PASSWORD, make_ticket

SRC = Path(__file__).resolve().parents[1] / "src" / "backline"
TEMPLATES = sorted(p for p in SRC.rglob("*.html") if "templates" in p.parts)
STATIC_JS = sorted(p for p in SRC.rglob("*.js") if "static" in p.parts)

# A PE (Windows) program: DOS header whose e_lfanew (0x3C) points at a "PE\0\0" signature.
PE = b"MZ" + b"\x90" * 0x3A + struct.pack("<I", 0x40) + b"PE\x00\x00" + b"\x00" * 200
# ELF headers: 64-bit little endian, e_type 2 (an executable) and 4 (a core dump).
ELF_EXEC = b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + struct.pack("<H", 2) + b"\x00" * 100
ELF_CORE = b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + struct.pack("<H", 4) + b"\x00" * 100
MACHO_EXEC = b"\xcf\xfa\xed\xfe" + struct.pack("<III", 7, 3, 2) + b"\x00" * 100


# --- templates: nothing the CSP would block ---------------------------------------------------


class _TagScan(html.parser.HTMLParser):
    """Inline scripts, <style> elements, on*= handlers, javascript: URLs and htmx features that
    need eval (hx-on, js: values, trigger filters) in one template's markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        line = self.getpos()[0]
        values = dict(attrs)
        if tag == "script" and "src" not in names and values.get("type") != "application/json":
            self.problems.append(f"line {line}: inline <script>")
        if tag == "style":
            self.problems.append(f"line {line}: <style> element (put it in a static .css file)")
        for name, value in attrs:
            value = value or ""
            if re.fullmatch(r"on[a-z]+", name):
                self.problems.append(f"line {line}: inline handler {name}=")
            if name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"line {line}: {name} (htmx evaluates it: needs unsafe-eval)")
            if re.match(r"\s*javascript:", value, re.I):
                self.problems.append(f"line {line}: javascript: URL in {name}")
            if name in {"hx-vals", "hx-vars", "hx-headers"} and value.strip().startswith("js:"):
                self.problems.append(f"line {line}: {name} with js: (needs eval)")
            if name == "hx-vars":
                self.problems.append(f"line {line}: hx-vars (always evaluated)")
            if name == "hx-trigger" and any(
                "[" in part.split()[0] for part in value.split(",") if part.strip()
            ):
                self.problems.append(f"line {line}: hx-trigger filter [...] (needs eval)")


def csp_problems(source: str) -> list[str]:
    # Template tags are replaced by a neutral word so that the HTML parser sees the markup.
    markup = re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", "x", source, flags=re.S)
    scan = _TagScan()
    scan.feed(markup)
    return scan.problems


def test_the_template_scan_catches_each_kind_of_inline_code():
    bad = """
      <script>alert(1)</script>
      <style>p { color: red }</style>
      <button onclick="go()">Go</button>
      <form onsubmit="return confirm('Sure?')"></form>
      <a href=" JavaScript:alert(1)">x</a>
      <div hx-on:click="alert(1)"></div>
      <div hx-vals='js:{a: 1}'></div>
      <input hx-trigger="keyup[key=='Enter'], change">
    """
    assert len(csp_problems(bad)) == 8
    good = """
      <script src="{% static 'x.js' %}" defer></script>
      <script type="application/json" id="d">{}</script>
      <form data-confirm="Sure?" method="post">{% csrf_token %}</form>
      <select data-autosubmit onfocus-ok="1"></select>
      <form hx-trigger="change, keyup changed delay:300ms from:input[name=q]"></form>
      <p style="--hops: {{ a.hops }}">styled</p>
    """
    assert csp_problems(good) == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_template_holds_inline_script_style_or_handlers(template):
    assert csp_problems(template.read_text()) == []


def test_static_scripts_do_not_need_unsafe_eval():
    for path in STATIC_JS:
        code = path.read_text()
        assert not re.search(
            r"\beval\s*\(|new\s+Function\s*\(|set(Timeout|Interval)\(\s*['\"]", code
        ), path


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code():
    for base in ("templates/base.html", "portal/templates/portal/base.html"):
        text = (SRC / base).read_text()
        meta = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'', text)
        assert meta, base
        assert '"includeIndicatorStyles": false' in meta.group(1)
        assert '"allowEval": false' in meta.group(1)


# --- the Content-Security-Policy and other security headers ----------------------------------


def policy_of(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.django_db
def test_pages_carry_the_content_security_policy_and_security_headers(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    csp = policy_of(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["style-src-attr"] == ["'unsafe-inline'"]  # the only relaxation, see settings.py
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["base-uri"] == ["'self'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_api_and_its_docs_carry_the_policy_and_docs_use_no_cdn(web):
    assert "script-src 'self'" in web.get("/api/v1/tickets").headers["Content-Security-Policy"]
    docs = web.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn." not in docs.content  # Swagger UI comes from our static files
    assert b"/static/ninja/swagger-ui-bundle.js" in docs.content


TLS = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
}


@pytest.mark.django_db
@override_settings(**TLS)
def test_behind_tls_http_redirects_and_https_gets_hsts_and_secure_cookies(l2_agent):
    client = Client()
    plain = client.get("/accounts/login/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/accounts/login/"
    assert "Strict-Transport-Security" not in plain  # never over plain HTTP

    https = {"HTTP_X_FORWARDED_PROTO": "https"}
    page = client.get("/accounts/login/", **https)
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page.cookies["csrftoken"]["secure"] is True
    token = page.cookies["csrftoken"].value
    signed_in = client.post(
        "/accounts/login/",
        {"username": l2_agent.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        HTTP_REFERER="https://testserver/accounts/login/",
        **https,
    )
    assert signed_in.status_code == 302, signed_in.content[:500]
    session = signed_in.cookies["sessionid"]
    assert session["secure"] is True and session["httponly"] is True
    assert session["samesite"] == "Lax"


def _settings_in_subprocess(env: dict[str, str], expression: str) -> str:
    code = f"import backline.config.settings as s; print({expression})"
    full = {**os.environ, "BACKLINE_SECRET_KEY": "x" * 60, **env}
    for name in ("BACKLINE_TLS", "BACKLINE_BEHIND_PROXY", "BACKLINE_SECURE_COOKIES"):
        if name not in env:
            full.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", code], env=full, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_tls_flags_turn_on_cookies_hsts_redirect_and_the_proxy_header(tmp_path):
    expr = (
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_PROXY_SSL_HEADER"
    )
    data = {"BACKLINE_DATA_DIR": str(tmp_path)}
    assert _settings_in_subprocess(data, expr) == "False False False 0 True None"
    on = _settings_in_subprocess({**data, "BACKLINE_TLS": "1", "BACKLINE_BEHIND_PROXY": "1"}, expr)
    assert on == "True True True 31536000 True ('HTTP_X_FORWARDED_PROTO', 'https')"
    no_sub = {**data, "BACKLINE_TLS": "1", "BACKLINE_HSTS_INCLUDE_SUBDOMAINS": "0"}
    assert _settings_in_subprocess(no_sub, expr) == "True True True 31536000 False None"


def test_deploy_checks_pass_with_tls_on(tmp_path):
    env = {
        **os.environ,
        "BACKLINE_DATA_DIR": str(tmp_path),
        "BACKLINE_SECRET_KEY": "k3y-" + "x9Q" * 20,
        "BACKLINE_TLS": "1",
        "DJANGO_SETTINGS_MODULE": "backline.config.settings",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for Playwright in tests/conftest.py only
    done = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


# --- CSRF -------------------------------------------------------------------------------------


def _forms(source: str):
    for match in re.finditer(r"<form\b[^>]*>", source, re.I):
        end = source.find("</form>", match.end())
        yield match.group(0), source[match.end() : end if end != -1 else len(source)]


def test_every_post_form_has_a_csrf_token():
    missing = []
    for path in TEMPLATES:
        for tag, body in _forms(path.read_text()):
            if re.search(r"method\s*=\s*[\"']?post", tag, re.I) and "csrf_token" not in body:
                missing.append(f"{path.relative_to(SRC)}: {tag[:80]}")
    assert missing == []


def test_htmx_writes_send_the_csrf_header_from_their_page():
    """hx-post/put/patch/delete send the token from `hx-headers` on <body>: every template using
    them is a fragment or page inside one of the two bases that set it, never its own document."""
    bases = [SRC / "templates/base.html", SRC / "portal/templates/portal/base.html"]
    for base in bases:
        assert """hx-headers='{"X-CSRFToken": "{{ csrf_token }}"}'""" in base.read_text()
    offenders = []
    for path in TEMPLATES:
        text = path.read_text()
        if path in bases or not re.search(r"\bhx-(post|put|patch|delete)=", text):
            continue
        if re.search(r"<html\b", text, re.I):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


# Views that may skip CSRF, each with the reason. Empty: none do.
CSRF_EXEMPT_ALLOWED: dict[str, str] = {}


def test_csrf_exempt_is_used_nowhere_unjustified():
    found = []
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        if re.search(r"csrf_exempt|csrf\s*=\s*False|_dont_enforce_csrf_checks", text):
            found.append(str(path.relative_to(SRC)))
    assert sorted(found) == sorted(CSRF_EXEMPT_ALLOWED)


@pytest.mark.django_db
def test_the_api_session_auth_enforces_csrf(l2_agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(l2_agent)
    body = {"title": "VPN drops", "description": "since Monday"}
    refused = client.post("/api/v1/tickets", body, content_type="application/json")
    assert refused.status_code == 403
    assert not Ticket.objects.exists()
    client.get("/accounts/login/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/tickets", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201, accepted.content
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_page_form_posted_without_the_token_is_refused(l2_agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(l2_agent)
    ticket = make_ticket(l2_agent)
    response = client.post(f"/tickets/{ticket.number}/comment/", {"body": "sneaky"})
    assert response.status_code == 403
    assert not ticket.comments.exists()


# --- uploads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"anything"),
        ("invoice.pdf.exe", b"%PDF-1.7"),
        ("RUN.BAT ", b"@echo off"),
        ("trailing.vbs.", b"x"),
        ("page.hta", b"<html>"),
        ("notes.js", b"WScript.Echo(1)"),
        ("shortcut.lnk", b"L\x00\x00\x00"),
        ("renamed.txt", PE),
        ("agent.log", ELF_EXEC),
        ("tool", MACHO_EXEC),
    ],
)
def test_programs_are_refused_by_extension_or_content(name, content):
    assert refusal_reason(name, content)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("vpn.log", b"2026-03-02 09:00 ERROR tunnel down\n"),
        ("screen.png", b"\x89PNG\r\n\x1a\n"),
        ("report.pdf", b"%PDF-1.7"),
        ("logs.zip", b"PK\x03\x04"),
        ("saved-page.html", b"<script>alert(1)</script>"),
        ("diagram.svg", b"<svg onload='alert(1)'/>"),
        ("core.4711", ELF_CORE),  # a core dump is evidence, not a program
        ("Mzungu.txt", b"MZ is just text here"),
        ("capture.pcap", b"\xd4\xc3\xb2\xa1"),
    ],
)
def test_what_a_support_desk_needs_is_accepted(name, content):
    assert refusal_reason(name, content) is None


def test_the_refused_extensions_can_be_replaced_by_a_setting(settings):
    settings.BACKLINE_BLOCKED_UPLOAD_EXTENSIONS = [".LOG", "zip"]
    assert refusal_reason("trace.log", b"text") and refusal_reason("a.zip", b"PK")
    assert refusal_reason("setup.exe", b"text") is None
    assert refusal_reason("setup.exe", PE)  # executable content is refused whatever the list


def test_the_size_limit_comes_from_the_setting_with_a_clear_message(settings):
    settings.BACKLINE_MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024
    check_upload(SimpleUploadedFile("ok.log", b"x" * 2 * 1024 * 1024))
    with pytest.raises(TooLarge, match=r"big\.log is larger than the 2 MB limit"):
        check_upload(SimpleUploadedFile("big.log", b"x" * (2 * 1024 * 1024 + 1)))


@pytest.mark.django_db
def test_a_program_attached_to_a_ticket_is_refused_and_nothing_stored(l2_agent):
    ticket = make_ticket(l2_agent)
    with pytest.raises(DomainError, match="not accepted") as caught:
        services.ticket_attach(
            actor=l2_agent, ticket=ticket, upload=SimpleUploadedFile("fix.exe", PE)
        )
    assert caught.value.code == "file_type_refused" and caught.value.field == "file"
    with pytest.raises(DomainError):
        services.ticket_comment(
            actor=l2_agent, ticket=ticket, body="see file",
            files=[SimpleUploadedFile("ok.log", b"fine"), SimpleUploadedFile("x.txt", PE)],
        )  # fmt: skip
    assert not Attachment.objects.exists()
    assert not ticket.comments.exists()


@pytest.mark.django_db
def test_the_api_refuses_a_program_with_a_422_naming_the_file(api, l2_agent):
    ticket = make_ticket(l2_agent)
    response = api.post(
        f"/api/v1/tickets/{ticket.number}/attachments",
        {"file": SimpleUploadedFile("tool.scr", b"whatever")},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "file" and body["code"] == "file_type_refused"
    assert "tool.scr" in body["message"]
    assert not ticket.attachments.exists()


@pytest.mark.django_db
def test_the_ticket_page_refuses_a_program_and_says_why(web, l2_agent):
    ticket = make_ticket(l2_agent)
    response = web.post(
        f"/tickets/{ticket.number}/comment/",
        {"body": "here", "file": SimpleUploadedFile("patch.msi", b"x")},
    )
    assert response.status_code == 422
    assert b"patch.msi: .msi files are not accepted" in response.content
    assert not ticket.comments.exists()


@pytest.mark.django_db
def test_the_portal_refuses_a_program_and_creates_no_ticket(requester):
    client = Client()
    client.force_login(requester)
    response = client.post(
        "/portal/new",
        {"title": "Printer jam", "file": SimpleUploadedFile("driver.exe", PE)},
    )
    assert response.status_code == 422
    assert b"not accepted" in response.content
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_mail_keeps_the_message_but_not_a_program_attached_to_it(db):
    from tests.test_mail import make_mail

    raw = make_mail(
        attachments=(
            ("vpn.log", "text/plain", b"09:00 ERROR tunnel down\n"),
            ("invoice.pdf.exe", "application/octet-stream", PE),
        )
    )
    record = mail.message_process(raw)
    ticket = record.ticket
    assert [a.filename for a in ticket.attachments.all()] == ["vpn.log"]
    assert "invoice.pdf.exe was not kept: .exe files are not accepted" in ticket.description


@pytest.mark.django_db
def test_a_program_is_refused_as_a_diagnostics_log(l2_agent):
    from backline.diagnostics import services as diagnostics
    from backline.diagnostics.models import LogFile

    ticket = make_ticket(l2_agent)
    with pytest.raises(DomainError, match=r"app\.log: it is a program"):
        diagnostics.log_attach(
            actor=l2_agent, ticket=ticket, upload=SimpleUploadedFile("app.log", ELF_EXEC)
        )
    assert not LogFile.objects.exists()


@pytest.mark.django_db
def test_csv_imports_refuse_binary_files_with_a_clear_error():
    from backline.accounts.choices import Role
    from backline.cmdb import importer
    from backline.imports.services import import_job_create
    from tests.factories import UserFactory

    admin_user = UserFactory(username="ada", role=Role.ADMIN)

    with pytest.raises(DomainError, match="UTF-8") as caught:
        import_job_create(
            actor=admin_user, kind="ticket_csv", file=SimpleUploadedFile("t.csv", b"\xff\xfe" + PE),
            mapping={}, enqueue=False,
        )  # fmt: skip
    assert caught.value.field == "file"
    with pytest.raises(DomainError, match="not a text CSV") as caught:
        importer.import_csv(actor=admin_user, kind="services", data=PE, dry_run=True)
    assert caught.value.field == "file"


# --- downloads --------------------------------------------------------------------------------


def _assert_safe_download(response, filename: str, content: bytes) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert filename in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert b"".join(response.streaming_content) == content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("saved.html", b"<html><script>alert(document.cookie)</script></html>"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
        ("shot.png", b"\x89PNG\r\n\x1a\n<script>alert(1)</script>"),
    ],
)
def test_every_download_is_an_attachment_that_never_renders(web, api, l2_agent, filename, content):
    ticket = make_ticket(l2_agent)
    attachment = services.ticket_attach(
        actor=l2_agent, ticket=ticket, upload=SimpleUploadedFile(filename, content)
    )
    _assert_safe_download(web.get(f"/attachments/{attachment.pk}/"), filename, content)
    _assert_safe_download(
        api.get(f"/api/v1/tickets/attachments/{attachment.pk}"), filename, content
    )


@pytest.mark.django_db
def test_the_requester_downloads_through_the_same_safe_view(requester, l2_agent):
    ticket = make_ticket(requester)
    attachment = services.ticket_attach(
        actor=requester, ticket=ticket, upload=SimpleUploadedFile("x.html", b"<b>hi</b>")
    )
    client = Client()
    client.force_login(requester)
    _assert_safe_download(client.get(f"/attachments/{attachment.pk}/"), "x.html", b"<b>hi</b>")


@pytest.mark.django_db
def test_a_hostile_filename_cannot_break_the_header(web, l2_agent):
    ticket = make_ticket(l2_agent)
    attachment = services.ticket_attach(
        actor=l2_agent,
        ticket=ticket,
        upload=SimpleUploadedFile('a"; filename=evil.html\r\nX-Injected: 1.txt', b"x"),
    )
    response = web.get(f"/attachments/{attachment.pk}/")
    assert "X-Injected" not in response
    assert "\n" not in response["Content-Disposition"]
    assert response["Content-Type"] == "application/octet-stream"


# --- sanitising -------------------------------------------------------------------------------

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "kbd",
}  # fmt: skip

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    '<img src=x onerror="alert(1)">',
    '<a href="#" onclick="alert(1)">x</a>',
    "<svg><script>alert(1)</script></svg>",
    '<svg onload="alert(1)"><circle r="4"/></svg>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div style="width: expression(alert(1))">x</div>',
    "<style>body{background:url('javascript:alert(1)')}</style>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table>",
    '[x](http://ok.example "title" onmouseover="alert(1)")',
    "<a href='https://ok.example' onmouseover=alert(1)>ok</a>",
]


class _Collect(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def assert_harmless(markup: str) -> None:
    collect = _Collect()
    collect.feed(markup)
    for tag, attrs in collect.tags:
        assert tag in ALLOWED_TAGS, (tag, markup)
        for name, value in attrs:
            assert not name.startswith("on") and name != "style", (name, markup)
            if name == "href":
                scheme = re.match(r"\s*([a-zA-Z][a-zA-Z0-9+.-]*):", value or "")
                assert scheme is None or scheme.group(1).lower() in {"http", "https", "mailto"}


@pytest.mark.parametrize("source", HOSTILE)
def test_markdown_renders_no_script_handler_style_or_dangerous_link(source):
    rendered = str(render_markdown(source))
    assert_harmless(rendered)
    assert "<script" not in rendered.lower() and "<svg" not in rendered.lower()


def test_markdown_keeps_ordinary_formatting_and_safe_links():
    rendered = str(render_markdown("**bold** [docs](https://docs.example/x) `code`"))
    assert "<strong>bold</strong>" in rendered and "<code>code</code>" in rendered
    assert (
        'href="https://docs.example/x"' in rendered
        and 'rel="noopener noreferrer nofollow"' in rendered
    )


@pytest.mark.parametrize("source", HOSTILE)
def test_mail_html_becomes_plain_text_without_markup(source):
    text = mail.html_to_text(f"<html><body><p>Hello</p>{source}<p>Bye</p></body></html>")
    assert "Hello" in text
    # What is left is text without a single tag (and shown escaped); scripts and styles are
    # dropped with their content.
    assert not re.search(r"<[a-zA-Z/!?]", text), text
    assert "alert(1)</script>" not in text and "{background" not in text


@pytest.mark.django_db
def test_a_hostile_html_mail_shows_as_inert_text_on_the_ticket(l2_agent):
    from tests.test_mail import make_mail

    hostile = (
        "<p>VPN down</p><script>alert('s')</script><img src=x onerror=\"alert('i')\">"
        "<a href=\"javascript:alert('l')\">click</a><svg onload=\"alert('v')\"></svg>"
        "<p>&lt;script&gt;alert('escaped')&lt;/script&gt;</p>"
    )
    ticket = mail.message_process(make_mail(body=None, html=hostile)).ticket
    assert "VPN down" in ticket.description and "alert('s')" not in ticket.description
    client = Client()
    client.force_login(l2_agent)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "VPN down" in page
    assert "<script>alert" not in page and "onerror=" not in page and "javascript:" not in page
    # Text that only looked like markup in the mail stays visible, escaped.
    assert "&lt;script&gt;alert(&#x27;escaped&#x27;)&lt;/script&gt;" in page
