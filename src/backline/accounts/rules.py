"""Pure policy for accounts: which API token scope a request needs, and the password identity
check. No ORM here."""

from __future__ import annotations

import re

from backline.accounts.choices import TokenScope

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_LEVEL = {TokenScope.READ: 0, TokenScope.WRITE: 1, TokenScope.ADMIN: 2}

# Paths under the API root (no leading slash) that configure the desk rather than work in it.
# Changing them needs an admin-scope token; reading them is an ordinary read. Each pattern is
# matched against the start of the path, so a prefix covers everything under it.
ADMIN_WRITE_PATHS: tuple[str, ...] = (
    r"routing-rules(/|$)",  # routing rules, including the dry-run tester
    r"sla/(policies|calendars)(/|$)",
    r"teams(/|$)",  # teams and their hand-off policies
    r"users(/|$)",
    r"imports(/|$)",  # bulk import of ticket history
    r"analytics/warning-thresholds$",
    r"cmdb/(ci-types|import)(/|$)",  # the CMDB's schema and bulk import
    r"problems/factor-categories(/|$)",
    r"kb/policies(/|$)",  # knowledge review policies per team
)
# Paths that need an admin-scope token for every method, reads included: webhook subscriptions
# and deliveries carry signing-secret hints and full event payloads; the audit log is the record
# of everything.
ADMIN_ALL_PATHS: tuple[str, ...] = (
    r"webhooks(/|$)",
    r"audit(/|$)",
)

_ADMIN_WRITE = re.compile("|".join(f"(?:{p})" for p in ADMIN_WRITE_PATHS))
_ADMIN_ALL = re.compile("|".join(f"(?:{p})" for p in ADMIN_ALL_PATHS))


def required_scope(method: str, path: str) -> TokenScope:
    """The least token scope that may call `method` on `path` (relative to the API root)."""
    path = path.lstrip("/")
    if _ADMIN_ALL.match(path):
        return TokenScope.ADMIN
    if method.upper() in SAFE_METHODS:
        return TokenScope.READ
    if _ADMIN_WRITE.match(path):
        return TokenScope.ADMIN
    return TokenScope.WRITE


def scope_allows(have: str, need: str) -> bool:
    """Whether a token of scope `have` covers a request needing `need` (levels are nested)."""
    return _LEVEL[TokenScope(have)] >= _LEVEL[TokenScope(need)]


def rate_kind(method: str) -> str:
    """Which rate-limit budget a request draws on: `read` for safe methods, else `write`."""
    return "read" if method.upper() in SAFE_METHODS else "write"


def password_identity_clash(password: str, *, username: str, email: str) -> str | None:
    """Name the identity a password contains (`username` or `email`), if any.

    Parts shorter than three characters are ignored, so short names do not forbid common
    letter pairs."""
    lowered = password.casefold()
    local_part = email.split("@", 1)[0]
    for what, value in (("username", username), ("email", email), ("email", local_part)):
        value = value.casefold().strip()
        if len(value) >= 3 and value in lowered:
            return what
    return None
