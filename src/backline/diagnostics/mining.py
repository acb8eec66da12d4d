"""Streaming log template mining: group log messages into templates with `<*>` for variable parts.

The miner sees the *message* part of each line (timestamp/level/component already split off), one
line at a time, and returns a small integer template id. One default configuration is meant for
every system: nothing here is tuned to a particular log.

1. Masking. Values that are variables whatever the system -- numbers, hex ids, UUIDs, IPv4/IPv6
   and MAC addresses, host names and `host:port`, URLs, e-mail addresses, paths, dates and
   times, booleans, the value of `key=value` -- become `<*>`; a word with a long or several
   digit groups is an id, while a short name with a small number (`tty2`, `eth0`, `L3`) stays
   a word until it is seen to vary. Masking works per whitespace-separated token, with a cache,
   because most tokens of a log repeat. The result is the line's *shape*.

2. Grouping key. The shape is coarsened so that a value written in several ways is one variable
   (`451 bytes (18.4 KB)`, `<1 sec`, `(<*>)`, and runs of `<*>` for lists of any length).
   Templates are compared only with others of the same key length and first word (Drain's
   observation that the first word names the event), unless that word holds a variable.

3. Generalisation. A new key joins a template that already accepts it (its `<*>` cover the
   differences). Otherwise it starts a template, which is merged with a neighbour when every
   difference is *evidence* of a variable: one side already has `<*>` there, both are values of
   the same key, or both are one name with different numbers (`U01`/`U11`). Plain words that
   differ in one slot are merged only when that slot has taken several values (`min_siblings`):
   two or three words are usually different events (`VM Paused`/`VM Resumed`, `GET`/`POST`),
   a handful is a variable. Where the two words before the slot are seen in front of a variable
   elsewhere (`for user <*>`), two values suffice. Merging keeps the oldest id; `canonical()`
   maps the others to it, so ids handed out earlier stay meaningful.

Template text comes from the shapes of the member lines when they all have the same number of
tokens (that keeps units and punctuation: `<*> MB`, `(<*>)`), otherwise from the key.

Speed: a line is first looked up by its *skeleton*, the bytes of the message without digits. A
shape whose digits all sit in variables answers for every line with the same skeleton, so most
lines cost one `bytes.translate` and one dictionary lookup. A shape that keeps words with digits
(`SIP0`, `Tunnel40`, `vty4`) answers for the lines with the same skeleton and the same words at
those token positions, which costs a `split` more. Every cache is capped and cleared when full;
the lasting state is the templates, so memory grows with templates, not lines.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, cast

__all__ = ["VAR", "Template", "TemplateMiner", "mask", "normalise_template", "signature"]

VAR = "<*>"
_STATE_VERSION = 1

# --------------------------------------------------------------------------------------------
# Layer 1: masking.  Each pattern is a rule that holds for logs in general, not for one system.
# Dates written with spaces are found on the whole line; everything else is decided per
# whitespace-separated token, and a token's masked form is cached: most tokens of a log (words,
# recurring hosts, paths) repeat, so the regular expressions run only on tokens not seen lately.
# --------------------------------------------------------------------------------------------

_HEX = "[0-9A-Fa-f]"
_MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_WEEKDAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"
_TZ = r"(?:\s+(?:UTC|GMT|Z|[A-Z][A-Z]?[SD]T|CES?T|EES?T|MSK|JST|IST|[+-]\d{4}))?"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"

# a cheap test before the full date expression: is a token a month or weekday name?
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_LONG_NAMES = (
    *("January", "February", "March", "April", "June", "July", "August", "September"),
    *("October", "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday"),
    *("Friday", "Saturday", "Sunday"),
)
_DATE_WORDS = frozenset(
    name + end for name in (*_MONTHS, *_DAYS, *_LONG_NAMES) for end in ("", ",", ".")
)
_TEXT_DATE = re.compile(
    # syslog/ctime-like: [Fri] Jun 17 07:07:00 [PDT] [2005]
    rf"\b(?:{_WEEKDAY},?\s+)?{_MONTH}\.?\s+\d{{1,2}},?\s+(?:\d{{4}}\s+)?{_CLOCK}{_TZ}"
    r"(?:\s+\d{4}\b)?"
    # RFC 2822-like: Fri, 17 Jun 2005 07:07:00 GMT
    rf"|\b{_WEEKDAY},?\s+\d{{1,2}}\s+{_MONTH}\s+\d{{4}}\s+{_CLOCK}{_TZ}"
)

_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>()\[\]{}]*[^\s\"'<>()\[\]{},.;:!?]")
_EMAIL = re.compile(r"\b[\w.+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+\b")
# Values joined by colons (or many dashes) that the word rule below would cut into pieces.
# (IPv4 addresses, UUIDs, ISO dates and clock times need no rule of their own: they are words
# with digits, and pieces joined by `:` or `.` are merged again at the end.)
_COLON_VALUE = re.compile(
    # MAC address and other long runs of colon/dash separated hex byte pairs
    rf"\b{_HEX}{{2}}(?:[:\-]{_HEX}{{2}}){{5,}}\b"
    # IPv6 (full or with ::), optionally bracketed, with zone and port
    rf"|(?<![\w:.])\[?(?=[:\w]*{_HEX}:|:)(?:(?:{_HEX}{{1,4}}:){{7}}{_HEX}{{1,4}}"
    rf"|(?:{_HEX}{{1,4}}:)*{_HEX}{{0,4}}::(?:{_HEX}{{1,4}}:)*{_HEX}{{1,4}})"
    r"(?:%\w+)?\]?(?::\d{1,5})?(?![\w:])"
    # host:port
    r"|(?<![\w.\-])(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9\-]*"
    r":\d{1,5}(?!\w)"
    r"|\blocalhost:\d{1,5}\b"
)
_PATH = re.compile(
    # absolute, home-relative or ./ paths (an earlier mask may sit inside), Windows drive paths
    r"(?<![\w.\-~/:])(?:~|\.{1,2})?(?:/+(?:[\w.\-@%+~=]|<\*>)+)+/?"
    r"|\b[A-Za-z]:\\[^\s\"'<>|]*"
    # protocol/version: HTTP/1.1
    r"|\b[A-Za-z]{2,}/\d+(?:\.\d+)+\b"
)
# DNS names (three labels or more, ending in a TLD); not reversed-domain package names such as
# com.example.app or org.apache.x, which are code, not hosts.
_HOSTNAME = re.compile(
    r"(?<![\w.\-@/])(?!(?:com|org|net|edu|gov|io|java|javax|android|sun|jdk|kotlin)\.)"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.){2,}"
    r"(?:com|net|org|edu|gov|mil|int|info|biz|io|[a-z]{2})(?![\w\-]|\.\w)"
)
_LITERAL = re.compile(
    # hexadecimal words without any digit (ffffffff) -- still a number
    r"\b[a-fA-F]{8,}\b"
    # boolean and null literals
    r"|\b(?:true|false|True|False|TRUE|FALSE|null|NULL|None|nil)\b"
)
_LITERAL_WORDS = frozenset(
    {"true", "false", "True", "False", "TRUE", "FALSE", "null", "NULL", "None", "nil"}
)

# The value of key=value when it contains a digit: one variable up to the next separator,
# whatever is inside (`steps=1514038440000##7007##548365`, `mgr=com.x.g.c@8a2a501`).
_KV_VALUE = re.compile(r"(?<=\w=)[^\s,;()\[\]{}\"'<>]*\d[^\s,;()\[\]{}\"'<>]*")

# A number that is a piece of a dotted or dashed name: `core.2275`, `part-00590`, `worker-3`,
# `pool-1-thread-2`. The name is the constant, the instance number the variable.
_NAME_NUMBER = re.compile(r"(?<=[A-Za-z][.\-])\d+(?:[.\-]\d+)*(?!\w|[.\-]\d)")

# A word that contains a digit is a variable (numbers, hex, versions, ids), unless it is a short
# name with a small number in it (`tty2`, `eth0`, `L3`, `SOCKS5`, `BIOS-e820`, `jk2_init`):
# those are usually fixed names, and only become variables if they are seen to vary (layer 3).
# A "word" here may contain single dots and dashes (`2.6.5-1.358`, `blk_-42`) but not runs of
# them, so `enable......0` stays `enable......<*>`. The name before `=` is a key, not a value.
_SOFT_NAME = r"[A-Za-z][A-Za-z_]*\d{1,3}[A-Za-z_]*"
_SOFT = rf"(?:[A-Za-z]+[.\-])*{_SOFT_NAME}(?:[.\-][A-Za-z]+)*(?!\w|[.\-]\w)"
_HARD_WORD = re.compile(
    r"(?<!\w)(?<!\w[.\-])(?:[-+](?=\d))?(?=(?:\w|[.\-](?=\w))*\d)(?!" + _SOFT + r")"
    r"(?:(?=\d)(?>\w+(?:[.\-]\w+)*)|(?>\w+(?:[.\-]\w+)*)(?!=))"
)

# Variables glued by dots or colons are one variable (`<*>:<*>` from `host:host`).
_JOINED_VARS = re.compile(r"<\*>(?:[.:]?<\*>)+")

_HAS_DIGIT = re.compile(r"\d")
_DIGIT_BYTES = b"0123456789"
_TOKEN_CACHE_SIZE = 100_000

# Whole-token shapes that are common among tokens not seen before, each decided in one regular
# expression call exactly as the general rules below would decide it (a test checks that).
_OPENERS = "([{'\""
_CLOSERS = ")]}'\",;:.!?"
_SOFT_WORD = re.compile(_SOFT_NAME)
_NUM_WORD = r"\d\w*(?:[.\-]\w+)*"
# a number-like word, or several joined by colons: 0.25, 1.4.1, 2017-05-16, 10.1.2.3:80
_FAST_NUMBER = re.compile(rf"[-+]?{_NUM_WORD}(?::{_NUM_WORD})*")
# an absolute path, maybe with a port after it (/10.1.2.3:80)
_FAST_PATH = re.compile(r"(?:/+[\w.\-@%+~=]+)+/?(?::\d{1,5})?")
# The core holds `=`: key=value with a digit in the value (the key is kept).
_FAST_KEY = re.compile(r"([A-Za-z_][\w.\-]*=)[\w.:\-#@+]*\d[\w.:\-#@+]*")
# The core holds `:`: host:port, or label:number (onExtend:1514038530000; the label is kept).
_FAST_COLON = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9\-]*:\d{1,5}"
    rf"|([A-Za-z_][A-Za-z_.\-]*:)[-+]?{_NUM_WORD}(?::{_NUM_WORD})*"
)
# The core holds `.` or `-`: name.number or name-number (the name is kept).
_FAST_NAME = re.compile(r"((?:[A-Za-z_]+[.\-])*[A-Za-z_]*[A-Za-z][.\-])\d+(?:[.\-]\d+)*")
# Letters, digits, `_` and `-`: an identifier with digits in it (blk_-42, UUIDs, hex ids), unless
# it is a short name with a number (BIOS-e820) or has a -number piece (worker-3: the name stays).
_FAST_ID = re.compile(r"[A-Za-z_]\w*(?:-\w+)*")
_SOFT_ID = re.compile(rf"(?:[A-Za-z]+-)*{_SOFT_NAME}(?:-[A-Za-z]+)*")
_NAMED_PIECE = re.compile(r"[A-Za-z]-\d+(?:-\d+)*(?:$|-[A-Za-z_])")


def _mask_token(tok: str) -> str:
    """The masked form of one whitespace-free token (uncached)."""
    # Fast paths for the common shapes of a token: brackets or quotes, a core, then closing
    # punctuation; the core is a word, a number, a path, an id, host:port, key=value... Each
    # decides as the general rules would (a test checks that); the rules handle the rest.
    if tok.isalnum() and tok.isascii():  # a bare word or number, the most common token
        if tok.isalpha():
            if tok in _LITERAL_WORDS or (len(tok) >= 8 and _LITERAL.fullmatch(tok)):
                return VAR
            return tok
        return VAR if tok[0].isdigit() or not _SOFT_WORD.fullmatch(tok) else tok
    start = len(tok) - len(tok.lstrip(_OPENERS))
    end = len(tok.rstrip(_CLOSERS))
    core = tok[start:end]
    if not core or not core.isascii():
        return _mask_token_by_rules(tok)
    if core.isalnum():
        if core.isalpha():
            if core in _LITERAL_WORDS or (len(core) >= 8 and _LITERAL.fullmatch(core)):
                return tok[:start] + VAR + tok[end:]
            return tok
        if core[0].isdigit() or not _SOFT_WORD.fullmatch(core):
            return tok[:start] + VAR + tok[end:]
        return tok
    first = core[0]
    if first.isdigit() or first in "+-":
        if _FAST_NUMBER.fullmatch(core):
            return tok[:start] + VAR + tok[end:]
    elif first == "/":
        if _FAST_PATH.fullmatch(core):  # like the path rule, a path takes its trailing dots
            return tok[:start] + VAR + tok[end:].lstrip(".")
    elif "=" in core:
        found = _FAST_KEY.fullmatch(core)
        if found is not None:
            return tok[:start] + found[1] + VAR + tok[end:]
    elif ":" in core:
        found = _FAST_COLON.fullmatch(core)
        if found is not None:
            return tok[:start] + (found[1] or "") + VAR + tok[end:]
    elif _FAST_ID.fullmatch(core):
        if not _HAS_DIGIT.search(core) or _SOFT_ID.fullmatch(core):
            return tok  # a plain or numbered name (sync_power_state, BIOS-e820)
        if "-" not in core or not _NAMED_PIECE.search(core):
            return tok[:start] + VAR + tok[end:]
    if "." in core or "-" in core:
        found = _FAST_NAME.fullmatch(core)
        if found is not None:
            return tok[:start] + found[1] + VAR + tok[end:]
    return _mask_token_by_rules(tok)


def _mask_token_by_rules(tok: str) -> str:
    """The general rules, applied in order to one token."""
    s = tok
    if "://" in s:
        s = _URL.sub(VAR, s)
    if "@" in s:
        s = _EMAIL.sub(VAR, s)
    if ":" in s or s.count("-") >= 5:
        s = _COLON_VALUE.sub(VAR, s)
    if "/" in s or "\\" in s:
        s = _PATH.sub(VAR, s)
    if s.count(".") >= 2:
        s = _HOSTNAME.sub(VAR, s)
    s = _LITERAL.sub(VAR, s)
    if _HAS_DIGIT.search(s):
        if "=" in s:
            s = _KV_VALUE.sub(VAR, s)
        s = _NAME_NUMBER.sub(VAR, s)
        s = _HARD_WORD.sub(VAR, s)
    if VAR in s:
        s = _JOINED_VARS.sub(VAR, s)
    return s


def mask(message: str, cache: dict[str, str] | None = None) -> str:
    """The line's shape: `message` with every recognisable variable replaced by `<*>`.

    Whitespace is folded to single spaces. `cache` maps tokens to their masked form; it is
    cleared when it reaches `_TOKEN_CACHE_SIZE` entries.
    """
    tokens = message.split()
    if ":" in message and not _DATE_WORDS.isdisjoint(tokens):  # a clock and a month or day
        tokens = _TEXT_DATE.sub(VAR, message).split()
    if cache is None:
        return " ".join(map(_mask_token, tokens))
    masked: list[str | None] = list(map(cache.get, tokens))  # in C: most tokens are known
    if None in masked:
        if len(cache) >= _TOKEN_CACHE_SIZE:
            cache.clear()
        for i, tok in enumerate(tokens):
            if masked[i] is None:
                masked[i] = cache[tok] = _mask_token(tok)
    return " ".join(cast("list[str]", masked))


# --------------------------------------------------------------------------------------------
# Layer 2: the grouping key.  A value can be written with a unit, a comparison or an
# alternative in brackets; for grouping all of that is one variable.
# --------------------------------------------------------------------------------------------

_UNIT = (
    r"(?:\s?(?:[KMGTP]i?B|B|bytes?|[mµun]?s|secs?|seconds?|milliseconds?|microseconds?"
    r"|nanoseconds?|mins?|minutes?|hours?|hrs?|days?|%|[kMG]?Hz)(?!\w))?"
)
_VALUE = re.compile(
    "|".join(
        [
            # `12 MB`, `451 bytes (18.4 KB)`, `1.2.3.4 (1.2.3.4)`
            rf"<\*>{_UNIT}(?:\s\(<\*>{_UNIT}\))?",
            # `<1 sec`, `>= 5`, `~3s` (each branch starts with a literal: that keeps it fast)
            rf"<(?<![\w*]<)=?\s?<\*>{_UNIT}",
            rf">(?<![\w*]>)=?\s?<\*>{_UNIT}",
            rf"~=?\s?<\*>{_UNIT}",
            # a bracketed value or empty brackets standing alone: `(<*>)`, `[<*>]`, `()`
            rf"\((?<!\S\()\s*(?:<\*>{_UNIT})?\s*\)",
            rf"\[(?<!\S\[)\s*(?:<\*>{_UNIT})?\s*\]",
            rf"\{{(?<!\S\{{)\s*(?:<\*>{_UNIT})?\s*\}}",
        ]
    )
)


def _key(shape: str) -> tuple[str, ...]:
    out: list[str] = []
    for tok in _VALUE.sub(VAR, shape).split():
        if tok == VAR and out and out[-1] == VAR:
            continue  # a variable-length list of values is one variable
        out.append(tok)
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Layer 3 helpers: a template token with `<*>` in it is a pattern that other tokens may fit.
# --------------------------------------------------------------------------------------------

_ATOM = re.compile(r"<\*>|\w+|[^\w]")
_KV = re.compile(r"([\w.\-]+=)(.*)")
_DIGITS = re.compile(r"\d+")


def _covers(general: str, token: str, empty_ok: bool = False) -> bool:
    """Whether template token `general` accepts `token` at the same position.

    Each `<*>` in `general` stands for at least one character (or none, with `empty_ok`); the
    text between them must appear in order. Placing each piece as far left as it fits is
    enough to decide such a match (a glob with only `*`).
    """
    if general == token:
        return True
    if VAR not in general:
        return False
    parts = general.split(VAR)
    first, last = parts[0], parts[-1]
    if not token.startswith(first):
        return False
    gap = 0 if empty_ok else 1
    pos = len(first)
    for piece in parts[1:-1]:
        found = token.find(piece, pos + gap)
        if found < 0:
            return False
        pos = found + len(piece)
    return len(token) - len(last) >= pos + gap and token.endswith(last)


def _collapse_token(token: str) -> str:
    return _JOINED_VARS.sub(VAR, token)


def _generalise(a: str, b: str) -> str:
    """The most specific token that covers both `a` and `b` (`<*>` may stand for nothing)."""
    if a == b:
        return a
    if _covers(a, b, empty_ok=True):
        return a
    if _covers(b, a, empty_ok=True):
        return b
    atoms_a, atoms_b = _ATOM.findall(a), _ATOM.findall(b)
    if len(atoms_a) == len(atoms_b):
        merged = "".join(x if x == y else VAR for x, y in zip(atoms_a, atoms_b, strict=True))
        return _collapse_token(merged)
    return VAR


def _evidence(a: str, b: str) -> bool:
    """Whether two different tokens seen in one slot prove that the slot is a variable.

    True when one token's variable accepts the other (`<*>` vs `bglio46`, `chdir(<*>)` vs
    `chdir(pwd)`), when both are values of the same key (`user=root` vs `user=guest`), or when
    they are one name with different numbers (`bglio91` vs `bglio716`, `U01` vs `U11`).
    """
    if (VAR in a or VAR in b) and (_covers(a, b) or _covers(b, a)):
        return True
    if "=" in a and "=" in b:
        kv_a, kv_b = _KV.fullmatch(a), _KV.fullmatch(b)
        if kv_a and kv_b:
            return kv_a[1] == kv_b[1] and bool(kv_a[2]) and bool(kv_b[2])
    if a.isalpha() or b.isalpha():  # the common case: plain words (checked cheaply first)
        return False
    return _HAS_DIGIT.search(a) is not None and _DIGITS.sub("0", a) == _DIGITS.sub("0", b)


_NONE: tuple[int, ...] = ()


class _Tpl:
    __slots__ = ("count", "fine", "tokens")

    def __init__(self, tokens: tuple[str, ...], fine: list[str] | None, count: int) -> None:
        self.tokens = tokens  # grouping key, generalised
        self.fine = fine  # merged shape tokens, or None when member shapes differ in length
        self.count = count


class _Kept:
    """Fast path entry for lines of one skeleton and token count whose shape keeps words with
    digits: the template ids by the words at those token `positions`."""

    __slots__ = ("ids", "pick", "positions")

    def __init__(self, positions: frozenset[int]) -> None:
        self.positions = positions
        # itemgetter gives the word, or a tuple of words; none at all is the empty tuple
        self.pick = itemgetter(*sorted(positions)) if positions else _no_words
        self.ids: dict[object, int] = {}


def _no_words(tokens: list[str]) -> tuple[str, ...]:
    return ()


@dataclass
class Template:
    """A template as reported: its id, its text with `<*>` for variables, its line count."""

    id: int
    text: str
    count: int


class TemplateMiner:
    """Incremental template miner; see the module docstring for the algorithm.

    Options (the defaults are the one configuration meant for every system):
    - `min_siblings`: how many templates that differ only in plain words at the same positions
      (fewer than half the tokens) must be seen before those positions are taken as variables
      (default 5). Where the two tokens before each position are known to introduce a variable
      elsewhere (`for user <*>`), two suffice.
    - `min_first_siblings`: the same for the first word, which names the event: only when this
      many first words share the rest of the message (default 16).
    - `cache_size`: entries in the skeleton caches (together), the shape cache and the key
      cache before each is cleared (the token cache holds up to `_TOKEN_CACHE_SIZE`). The
      caches only save work; the templates are the state.
    """

    def __init__(
        self, *, min_siblings: int = 5, min_first_siblings: int = 16, cache_size: int = 50_000
    ) -> None:
        self.min_siblings = min_siblings
        self.min_first_siblings = min_first_siblings
        self.cache_size = cache_size
        self._tpls: list[_Tpl] = []
        self._parent: list[int] = []  # union-find: merged ids point towards the survivor
        self._buckets: dict[tuple[int, str], list[int]] = {}
        # fast path caches, and how many entries they hold (to keep them capped)
        self._by_skeleton: dict[bytes, int] = {}
        self._by_kept_words: dict[bytes, dict[int, _Kept]] = {}  # by skeleton, token count
        self._line_entries = 0
        self._by_shape: dict[str, tuple[int, bool]] = {}
        self._by_token: dict[str, str] = {}
        self._by_key: dict[tuple[str, ...], int] = {}
        # (token before previous, previous token) pairs seen right before a variable, and, for
        # revisiting when a pair is learnt, the templates that have a word after such a pair
        self._contexts: set[tuple[str, str]] = set()
        # templates with a plain first word, by the rest of their tokens; and the key lengths
        # at which a first word has been found to be a variable
        self._tails: dict[tuple[str, ...], set[int]] = {}
        self._word_first_lengths: set[int] = set()
        self._after_context: dict[tuple[str, str], set[int]] = {}
        self._learnt: list[tuple[str, str]] = []

    # -- public API ---------------------------------------------------------------------------

    def add(self, message: str) -> int:
        """Mine one message; returns the id of its template (canonical at this moment)."""
        skeleton = message.encode().translate(None, _DIGIT_BYTES)
        tid = self._by_skeleton.get(skeleton)
        if tid is None:
            by_size = self._by_kept_words.get(skeleton)
            if by_size is not None:  # the shape keeps words with digits: look at those words
                tokens = message.split()
                kept = by_size.get(len(tokens))
                if kept is not None:
                    tid = kept.ids.get(kept.pick(tokens))
            if tid is None:
                return self._add_new(message, skeleton)
        if self._parent[tid] != tid:
            tid = self.canonical(tid)
        self._tpls[tid].count += 1
        return tid

    def canonical(self, tid: int) -> int:
        """The id that `tid` lives on as: itself, or the template it was merged into."""
        parent = self._parent
        root = tid
        while parent[root] != root:
            root = parent[root]
        while parent[tid] != root:  # path compression
            parent[tid], tid = root, parent[tid]
        return root

    def template(self, tid: int) -> str:
        """The current text of the template of `tid` (variables written `<*>`)."""
        tpl = self._tpls[self.canonical(tid)]
        return " ".join(tpl.fine if tpl.fine is not None else tpl.tokens)

    def templates(self) -> list[Template]:
        """The current templates (canonical ones only), in id order."""
        return [
            Template(tid, self.template(tid), tpl.count)
            for tid, tpl in enumerate(self._tpls)
            if self._parent[tid] == tid
        ]

    def to_state(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot; `from_state` continues from it with the same ids."""
        return {
            "version": _STATE_VERSION,
            "options": {
                "min_siblings": self.min_siblings,
                "min_first_siblings": self.min_first_siblings,
                "cache_size": self.cache_size,
            },
            "templates": [
                {"tokens": t.tokens, "fine": t.fine, "count": t.count, "parent": p}
                for t, p in zip(self._tpls, self._parent, strict=True)
            ],
            "word_first_lengths": sorted(self._word_first_lengths),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TemplateMiner:
        """A miner that continues from `to_state()`: same templates, ids and options."""
        if state.get("version") != _STATE_VERSION:
            raise ValueError(f"unsupported miner state version: {state.get('version')!r}")
        miner = cls(**state.get("options", {}))
        for t in state["templates"]:
            fine = t["fine"]
            miner._tpls.append(
                _Tpl(tuple(t["tokens"]), list(fine) if fine is not None else None, int(t["count"]))
            )
            miner._parent.append(int(t["parent"]))
        for tid, parent in enumerate(miner._parent):
            if parent == tid:
                miner._register(tid)
        miner._word_first_lengths.update(state.get("word_first_lengths", ()))
        miner._learnt.clear()  # the saved miner had already acted on what it learnt
        return miner

    # -- slow path: a skeleton not seen lately -----------------------------------------------

    def _add_new(self, message: str, skeleton: bytes) -> int:
        shape = mask(message, self._by_token)
        known = self._by_shape.get(shape)
        if known is None:
            tid = self._add_shape(shape)
            # When every digit of the line sits in a variable, lines that differ from it only
            # in their digits have the same shape: the skeleton may answer for them.
            known = self._by_shape[shape] = (tid, not _HAS_DIGIT.search(shape))
        else:
            tid = known[0]
            if self._parent[tid] != tid:
                tid = self.canonical(tid)
            self._tpls[tid].count += 1
        self._remember(message, skeleton, shape, tid, digit_free=known[1])
        return tid

    def _remember(
        self, message: str, skeleton: bytes, shape: str, tid: int, *, digit_free: bool
    ) -> None:
        """Let the skeleton answer for lines like this one, on the fast path of `add`."""
        if self._line_entries >= self.cache_size:
            self._by_skeleton.clear()
            self._by_kept_words.clear()
            self._line_entries = 0
        by_size = self._by_kept_words.get(skeleton)
        if digit_free and by_size is None:
            # Every digit of the line sits in a variable: lines that differ from it only in
            # their digits have the same shape, so the skeleton alone answers for them.
            self._by_skeleton[skeleton] = tid
            self._line_entries += 1
            return
        # The shape keeps words with digits (`SIP0`, `Tunnel40`, `vty4`): lines of this
        # skeleton share the shape when they also have the same words in those places.
        # Places are token positions, so they hold for lines with as many tokens (a number
        # alone between two spaces may be missing: `slot 1 T3` and `slot  T3`).
        tokens = message.split()
        positions = self._kept_positions(tokens, shape)
        if positions is None:
            return  # a date masked across tokens blurs the positions: leave it to the slow path
        if by_size is None:
            by_size = self._by_kept_words[skeleton] = {}
        entry = by_size.get(len(tokens))
        if entry is None:
            entry = by_size[len(tokens)] = _Kept(positions)
        elif not positions <= entry.positions:  # another line kept other words: take both
            entry = by_size[len(tokens)] = _Kept(positions | entry.positions)
        entry.ids[entry.pick(tokens)] = tid
        self._line_entries += 1

    def _kept_positions(self, tokens: list[str], shape: str) -> frozenset[int] | None:
        """Where the tokens of a line stay words with digits in its shape (None if unclear)."""
        cache = self._by_token
        positions, kept = [], []
        for i, tok in enumerate(tokens):
            if _HAS_DIGIT.search(tok):
                masked = cache.get(tok) or _mask_token(tok)
                if _HAS_DIGIT.search(masked):
                    positions.append(i)
                    kept.append(masked)
        if kept != [tok for tok in shape.split() if _HAS_DIGIT.search(tok)]:
            return None
        return frozenset(positions)

    def _add_shape(self, shape: str) -> int:
        key = _key(shape)
        tid = self._by_key.get(key)
        tid = self.canonical(tid) if tid is not None else self._place(key)
        tpl = self._tpls[tid]
        tpl.count += 1
        self._merge_fine(tpl, shape.split())
        if len(self._by_shape) >= self.cache_size:
            self._by_shape.clear()
        if len(self._by_key) >= self.cache_size:
            self._by_key.clear()
        self._by_key[key] = tid
        return tid

    @staticmethod
    def _bucket_key(tokens: tuple[str, ...]) -> tuple[int, str]:
        # Drain's observation: the first word of a message names the event, so templates are
        # only compared with others of the same length and first word -- unless the first word
        # holds a variable itself (`10.0.0.1,10.0.0.2 GET`, `wpad:<*>`).
        first = tokens[0] if tokens else ""
        return (len(tokens), VAR if VAR in first else first)

    def _bucket(self, tokens: tuple[str, ...]) -> Sequence[int]:
        """The live templates that `tokens` is compared with."""
        return self._buckets.get(self._bucket_key(tokens), _NONE)

    @staticmethod
    def _context(tokens: tuple[str, ...], p: int) -> tuple[str, str] | None:
        """The two words before position `p`, case-folded (None when one is a variable)."""
        before, prev = (tokens[p - 2] if p >= 2 else ""), tokens[p - 1]
        return None if VAR in before or VAR in prev else (before.lower(), prev.lower())

    def _place(self, key: tuple[str, ...]) -> int:
        """Template id for a key seen for the first time (creating or merging templates)."""
        # 1. an existing template that already accepts this key; the most specific one wins
        diffs = self._diffs(key, -1)
        best, best_diff = -1, len(key) + 1
        candidates = diffs
        # A first word not seen before at this length may be one that a template has made a
        # variable (`<*> logged in`): look there too.
        first_seen = bool(diffs) or not key or VAR in key[0]
        if not first_seen and len(key) in self._word_first_lengths:
            candidates = self._diffs((VAR, *key[1:]), -1, key)
        for tid, diff in candidates:
            tokens = self._tpls[tid].tokens
            if len(diff) < best_diff and all(_covers(tokens[p], key[p]) for p in diff):
                best, best_diff = tid, len(diff)
        if best >= 0:
            return best
        # 2. a new template, merged with neighbours when the evidence says the slots vary
        new = len(self._tpls)
        self._tpls.append(_Tpl(key, None, 0))
        self._parent.append(new)
        group = self._neighbours(key, diffs)
        if group:
            self._merge([new, *group])
        else:
            self._register(new)
            if not first_seen:
                group = self._first_word_neighbours(new)
                if group:
                    self._merge([new, *group])
                    self._word_first_lengths.add(len(key))
        self._revisit()
        return self.canonical(new)

    def _diffs(
        self,
        tokens: tuple[str, ...],
        skip: int,
        compare: tuple[str, ...] | None = None,
    ) -> list[tuple[int, list[int]]]:
        """For each other template of the bucket of `tokens`, the positions where it differs
        from `compare` (by default `tokens` itself)."""
        tpls = self._tpls
        compare = tokens if compare is None else compare
        positions = range(len(compare))
        return [
            (
                tid,
                [p for p, a, b in zip(positions, tpls[tid].tokens, compare, strict=True) if a != b],
            )
            for tid in self._bucket(tokens)
            if tid != skip
        ]

    def _neighbours(self, tokens: tuple[str, ...], diffs: list[tuple[int, list[int]]]) -> list[int]:
        """The templates (of `diffs`) that should be merged with one that has `tokens`."""
        proven: list[int] = []
        # Siblings differ from `tokens` in plain words at the same few positions (fewer than
        # half the tokens, the first word excepted); they are grouped by those positions.
        most = max(1, (len(tokens) - 1) // 2)
        siblings: dict[tuple[int, ...], list[int]] = {}
        for other, diff in diffs:
            theirs = self._tpls[other].tokens
            if len(diff) > most:  # too different to be a sibling: only evidence counts
                if all(_evidence(theirs[p], tokens[p]) for p in diff):
                    proven.append(other)
                continue
            plain = tuple(p for p in diff if not _evidence(theirs[p], tokens[p]))
            if not plain:
                proven.append(other)
            elif plain[0] > 0:
                siblings.setdefault(plain, []).append(other)
        if proven:
            return proven
        group: list[int] = []
        for positions, sibs in siblings.items():
            known = all(self._context(tokens, p) in self._contexts for p in positions)
            if len(sibs) + 1 >= (2 if known else self.min_siblings):
                group += sibs
        return group

    def _first_word_neighbours(self, tid: int) -> list[int]:
        """Templates that differ from `tid` only in a plain first word and should merge.

        The first word usually names the event, so it is a variable only on evidence (the same
        name with another number: `tty2`/`tty3`) or when many words share the same rest.
        """
        tokens = self._tpls[tid].tokens
        others = [
            t
            for t in self._tails.get(tokens[1:], ())
            if t != tid and self._parent[t] == t and self._tpls[t].tokens[1:] == tokens[1:]
        ]
        proven = [t for t in others if _evidence(self._tpls[t].tokens[0], tokens[0])]
        if proven:
            return proven
        return others if len(others) + 1 >= self.min_first_siblings else []

    def _register(self, tid: int) -> None:
        """File a live template in its bucket and learn the variable contexts it shows."""
        tokens = self._tpls[tid].tokens
        self._buckets.setdefault(self._bucket_key(tokens), []).append(tid)
        if tokens and VAR not in tokens[0]:
            self._tails.setdefault(tokens[1:], set()).add(tid)
        contexts, after = self._contexts, self._after_context
        before, prev = "", (tokens[0] if tokens else "")
        for tok in tokens[1:]:
            if VAR not in prev and VAR not in before:
                ctx = (before.lower(), prev.lower())
                if tok == VAR:
                    if ctx not in contexts:
                        contexts.add(ctx)
                        self._learnt.append(ctx)
                elif VAR not in tok:
                    after.setdefault(ctx, set()).add(tid)
            before, prev = prev, tok

    def _revisit(self) -> None:
        """Templates with a word after a newly learnt context may now merge with siblings."""
        while self._learnt:
            ctx = self._learnt.pop()
            for tid in sorted(self._after_context.pop(ctx, ())):
                if self._parent[tid] == tid:
                    tokens = self._tpls[tid].tokens
                    group = self._neighbours(tokens, self._diffs(tokens, tid))
                    if group:
                        self._merge([tid, *group])

    def _merge(self, tids: list[int]) -> int:
        """Merge templates into the oldest one; then absorb whatever the result now covers."""
        survivor = min(tids)
        keep = self._tpls[survivor]
        for tid in tids:
            bucket = self._buckets.get(self._bucket_key(self._tpls[tid].tokens))
            if bucket is not None and tid in bucket:
                bucket.remove(tid)
        for tid in tids:
            if tid == survivor:
                continue
            other = self._tpls[tid]
            keep.tokens = tuple(
                _generalise(a, b) for a, b in zip(keep.tokens, other.tokens, strict=True)
            )
            if other.fine is not None and keep.fine is not None:
                self._merge_fine(keep, other.fine)
            elif other.count:
                keep.fine = None
            keep.count += other.count
            self._parent[tid] = survivor
            other.tokens, other.fine, other.count = (), None, 0  # only its id lives on
        # adjacent variables after generalisation are one variable (may change the bucket)
        collapsed: list[str] = []
        for tok in keep.tokens:
            if not (tok == VAR and collapsed and collapsed[-1] == VAR):
                collapsed.append(tok)
        keep.tokens = tokens = tuple(collapsed)
        self._register(survivor)
        covered = [
            tid
            for tid in self._bucket(tokens)
            if tid != survivor
            and all(_covers(a, b) for a, b in zip(tokens, self._tpls[tid].tokens, strict=True))
        ]
        if covered:
            return self._merge([survivor, *covered])
        return survivor

    @staticmethod
    def _merge_fine(tpl: _Tpl, tokens: list[str]) -> None:
        if tpl.fine is None:
            if tpl.count <= 1:  # first member: its shape is the template
                tpl.fine = list(tokens)
            return
        if len(tpl.fine) != len(tokens):
            tpl.fine = None
        elif tpl.fine != tokens:
            tpl.fine = [_generalise(a, b) for a, b in zip(tpl.fine, tokens, strict=True)]


# --------------------------------------------------------------------------------------------
# Recognising a template across logs and tickets
# --------------------------------------------------------------------------------------------

_VAR_RUN = re.compile(r"<\*>(?:\s*<\*>)+")
_SPACES = re.compile(r"\s+")


def normalise_template(text: str) -> str:
    """Whitespace folded and runs of `<*>` (with or without spaces between) collapsed."""
    return _VAR_RUN.sub(VAR, _SPACES.sub(" ", text).strip())


def signature(template_text: str) -> str:
    """A short stable hash of the normalised template text (12 hex digits)."""
    digest = hashlib.blake2b(normalise_template(template_text).encode(), digest_size=6)
    return digest.hexdigest()
