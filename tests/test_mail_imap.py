"""Email in over IMAP, against a throwaway Dovecot server on loopback (Debian's dovecot-imapd):
the done-when thread, a crash between processing and \\Seen, and one failing mailbox not stopping
the others. Skipped without Dovecot unless BACKLINE_REQUIRE_IMAP=1, which makes that a failure."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backline.accounts.choices import Role
from backline.intake import mail_imap
from backline.intake.mail_imap import mailboxes_poll
from backline.intake.models import Mailbox, MailOutcome
from backline.tickets.models import Ticket
from tests.factories import TeamFactory, UserFactory
from tests.test_mail import DESK, T0, assert_one_ticket_one_reply, make_mail, thread_messages

DOVECOT = "/usr/sbin/dovecot"
PASSWORD = "secret"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = {root}/users
}}
userdb {{
  driver = passwd-file
  args = {root}/users
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  inet_listener http {{
    port = 0
  }}
}}
"""


@dataclass
class Imap:
    port: int
    users: tuple[str, ...]

    def client(self, user: str) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        client.login(user, PASSWORD)
        return client

    def append(self, user: str, raw: bytes) -> None:
        client = self.client(user)
        try:
            assert client.append("INBOX", None, None, raw)[0] == "OK"
        finally:
            client.logout()

    def unseen(self, user: str) -> int:
        client = self.client(user)
        try:
            client.select("INBOX", readonly=True)
            return len(client.uid("SEARCH", None, "UNSEEN")[1][0].split())
        finally:
            client.logout()


def _unavailable(reason: str) -> None:
    if os.environ.get("BACKLINE_REQUIRE_IMAP") == "1":
        pytest.fail(f"{reason}, and BACKLINE_REQUIRE_IMAP=1 requires the IMAP tests to run")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    detail = log.read_text() if log.exists() else ""
    pytest.fail(f"Dovecot did not start listening on {port}:\n{detail}")


@pytest.fixture
def dovecot() -> Iterator[Imap]:
    """A Dovecot of its own: config, users and maildirs in a temporary directory, plaintext
    login on a free loopback port; stopped and removed after the test."""
    if not os.path.exists(DOVECOT):
        _unavailable(f"{DOVECOT} is missing (apt-get install dovecot-imapd)")
    if os.geteuid() != 0:
        _unavailable("Dovecot's test server must be started as root")
    # A short path: Dovecot's sockets live in base_dir and socket paths are limited to 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="blimap"))
    root.chmod(0o755)  # the mail processes run as the dovecot user and must reach their maildir
    owner = pwd.getpwnam("dovecot")
    users = ("desk", "ops")
    (root / "users").write_text(
        "".join(
            f"{u}:{{PLAIN}}{PASSWORD}:{owner.pw_uid}:{owner.pw_gid}::{root}/home/{u}\n"
            for u in users
        )
    )
    for sub in ("mail", "home"):
        (root / sub).mkdir()
        os.chown(root / sub, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=port))
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_listening(port, proc, root / "dovecot.log")
        yield Imap(port=port, users=users)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def desk_mailbox(db, dovecot):
    team = TeamFactory(name="Application Support", tier=2)
    UserFactory(username="rita", email="rita@example.com", role=Role.REQUESTER)
    return Mailbox.objects.create(
        team=team, address=DESK, imap_host="127.0.0.1", imap_port=dovecot.port, imap_ssl=False,
        imap_user="desk", imap_password=PASSWORD,
    )  # fmt: skip


def test_imap_thread_yields_one_ticket_with_one_reply(dovecot, desk_mailbox):
    for raw in thread_messages():
        dovecot.append("desk", raw)

    totals = mailboxes_poll(now=T0)

    assert totals == {
        "mailboxes": 1,
        "errors": 0,
        MailOutcome.CREATED: 1,
        MailOutcome.REPLIED: 1,
        MailOutcome.IGNORED_AUTOREPLY: 1,
        MailOutcome.IGNORED_DUPLICATE: 1,
    }
    ticket = assert_one_ticket_one_reply()
    assert ticket.team == desk_mailbox.team
    assert dovecot.unseen("desk") == 0
    desk_mailbox.refresh_from_db()
    assert (desk_mailbox.last_polled_at, desk_mailbox.last_error) == (T0, "")

    assert mailboxes_poll(now=T0) == {"mailboxes": 1, "errors": 0}  # nothing new
    assert Ticket.objects.count() == 1


def test_crash_before_seen_does_not_duplicate(dovecot, desk_mailbox, monkeypatch):
    dovecot.append("desk", make_mail(message_id="<crash@example.com>"))

    def connection_lost(client, uid):
        raise OSError("connection reset by peer")

    monkeypatch.setattr(mail_imap, "_mark_seen", connection_lost)
    assert mailboxes_poll(now=T0)["errors"] == 1
    desk_mailbox.refresh_from_db()
    assert "connection reset by peer" in desk_mailbox.last_error
    assert Ticket.objects.count() == 1
    assert dovecot.unseen("desk") == 1  # still unseen: the next poll reads it again

    monkeypatch.undo()
    totals = mailboxes_poll(now=T0)

    assert totals[MailOutcome.IGNORED_DUPLICATE] == 1
    assert Ticket.objects.count() == 1
    assert dovecot.unseen("desk") == 0
    desk_mailbox.refresh_from_db()
    assert desk_mailbox.last_error == ""


def test_failing_mailbox_does_not_stop_the_others(dovecot, desk_mailbox):
    ops = TeamFactory(name="Operations", tier=2)
    Mailbox.objects.create(
        team=ops, address="ops@example.test", imap_host="127.0.0.1", imap_port=dovecot.port,
        imap_ssl=False, imap_user="ops", imap_password="wrong",
    )  # fmt: skip
    dovecot.append("desk", make_mail())

    totals = mailboxes_poll(now=T0)

    assert (totals["mailboxes"], totals["errors"], totals[MailOutcome.CREATED]) == (2, 1, 1)
    broken = Mailbox.objects.get(address="ops@example.test")
    assert "LOGIN" in broken.last_error or "authentication" in broken.last_error.lower()
    assert Ticket.objects.get().team == desk_mailbox.team
