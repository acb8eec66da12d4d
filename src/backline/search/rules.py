"""Pure search policy, shared by both database backends: tokens, the query parser, the scorer and
the snippets. Nothing here touches the database, so the same input ranks the same everywhere."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache

import snowballstemmer
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_QUERY_CHARS = 500  # the rest of a pasted essay is ignored
MAX_TERMS = 12  # terms of a search() query that reach the database
MIN_PREFIX = 2  # `a*` would match half the index
# PostgreSQL's (Snowball's) English stop words: dropped from queries on both backends, since
# PostgreSQL's `english` configuration does not index them.
STOPWORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him
    his himself she her hers herself it its itself they them their theirs themselves
    what which who whom this that these those am is are was were be been being have
    has had having do does did doing a an the and but if or because as until while
    of at by for with about against between into through during before after above
    below to from up down in out on off over under again further then once here
    there when where why how all any both each few more most other some such no nor
    not only own same so than too very s t can will just don should now""".split()  # noqa: SIM905
)

# A token: a run of letters and digits, like FTS5's unicode61 tokenizer (underscores separate).
_TOKEN = re.compile(r"[^\W_]+")
_NUMBER = re.compile(r"^([A-Za-z]{1,8})-0*(\d{1,12})$")
_QUERY_PART = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_STEMMER = snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Lower case without diacritics (`Café` → `cafe`), as `remove_diacritics 2` does."""
    text = text.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball English stem of a folded word (what PostgreSQL's `english` config indexes)."""
    return _STEMMER.stemWord(word)


def words(text: str) -> list[str]:
    """The folded tokens of `text`, in order."""
    return _TOKEN.findall(fold(text))


def index_text(text: str) -> str:
    """Text as the backends should tokenize it: folded tokens separated by spaces, so that
    PostgreSQL's parser (which keeps host names and e-mails whole) sees what FTS5 sees."""
    return " ".join(words(text))


# --- the query -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One query term: a word, a prefix (`print*`) or a phrase (`"vpn gateway"`)."""

    words: tuple[str, ...]  # folded
    prefix: bool = False
    negated: bool = False

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1

    @cached_property
    def stems(self) -> tuple[str, ...]:
        return tuple(stem(w) for w in self.words)

    @property
    def key_words(self) -> tuple[str, ...]:
        """The words a backend must find (a phrase's stop words are checked in Python only)."""
        if self.prefix:
            return self.words
        return tuple(w for w in self.words if w not in STOPWORDS)

    def __str__(self) -> str:
        text = " ".join(self.words)
        text = f'"{text}"' if self.is_phrase else text + ("*" if self.prefix else "")
        return ("-" if self.negated else "") + text


@dataclass(frozen=True)
class ParsedQuery:
    """AND of groups, each group an OR of terms; `exclude` terms must not occur."""

    groups: tuple[tuple[Term, ...], ...] = ()
    exclude: tuple[Term, ...] = ()
    numbers: tuple[tuple[str, int], ...] = ()  # ("INC", 42): direct hits, shown first

    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(t for g in self.groups for t in g)

    @property
    def is_empty(self) -> bool:
        return not self.groups

    def __str__(self) -> str:
        parts = [" OR ".join(str(t) for t in g) for g in self.groups]
        return " ".join(parts + [str(t) for t in self.exclude])


def _term(raw: str, negated: bool, phrase: bool) -> Term | None:
    tokens = words(raw)
    if not tokens:
        return None
    if phrase:
        term = Term(tuple(tokens[:8]), negated=negated)
        return term if term.key_words else None
    # `wi-fi` or `fs-01` typed without quotes is a phrase of its parts.
    prefix = raw.endswith("*") and len(tokens) == 1 and len(tokens[0]) >= MIN_PREFIX
    if len(tokens) > 1:
        term = Term(tuple(tokens[:8]), negated=negated)
        return term if term.key_words else None
    if not prefix and tokens[0] in STOPWORDS:
        return None
    return Term((tokens[0],), prefix=prefix, negated=negated)


def parse_query(q: str, number_prefixes: Collection[str] | None = None) -> ParsedQuery:
    """Words are ANDed; `"a phrase"`, `prefix*`, `-excluded`, `a OR b`; `INC-42` finds ticket 42
    (when `number_prefixes` is given, other `XYZ-123` are searched as text). Anything else
    (operators, quotes, brackets, control characters) is just text."""
    q = (q or "").replace("\x00", " ")[:MAX_QUERY_CHARS]
    groups: list[list[Term]] = []
    exclude: list[Term] = []
    numbers: list[tuple[str, int]] = []
    join_next = False
    for m in _QUERY_PART.finditer(q):
        negated = bool(m.group(1))
        if m.group(3) is not None:
            raw = m.group(3)
            if raw == "OR":
                join_next = bool(groups)
                continue
            number = _NUMBER.match(raw)
            if number and (number_prefixes is None or number.group(1).upper() in number_prefixes):
                numbers.append((number.group(1).upper(), int(number.group(2))))
                continue
            negated = raw.startswith("-") and len(raw) > 1
            term = _term(raw[1:] if negated else raw, negated, phrase=False)
        else:
            term = _term(m.group(2), negated, phrase=True)
        if term is None:
            join_next = False
            continue
        if term.negated:
            exclude.append(term)
        elif join_next and groups:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
        if sum(len(g) for g in groups) + len(exclude) >= MAX_TERMS:
            break
    return ParsedQuery(
        groups=tuple(tuple(g) for g in groups),
        exclude=tuple(exclude),
        numbers=tuple(dict.fromkeys(numbers)),
    )


# --- matching and scoring --------------------------------------------------------------------

FIELD_WEIGHTS = {"title": 3.0, "keywords": 2.0, "body": 1.0}
# Typical field lengths in tokens; fixed (not measured) so scores never depend on the backend.
AVG_LEN = {"title": 8.0, "keywords": 6.0, "body": 60.0}
K1, B = 1.2, 0.75
DF_CAP = 1000  # document frequencies are counted up to this many documents


def idf(df: int) -> float:
    """Inverse document frequency from a count capped at DF_CAP (so both backends agree)."""
    return 1.0 + math.log((DF_CAP + 1) / (min(max(df, 0), DF_CAP) + 1))


@dataclass
class Analysed:
    """A document's fields as folded words and their stems (kept for scoring and snippets)."""

    words: dict[str, list[str]] = field(default_factory=dict)
    stems: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, Counter[str]] = field(default_factory=dict)


def analyse(fields: Mapping[str, str]) -> Analysed:
    out = Analysed()
    for name, text in fields.items():
        ws = words(text)
        ss = [stem(w) for w in ws]
        out.words[name], out.stems[name], out.counts[name] = ws, ss, Counter(ss)
    return out


def _has_sequence(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    first = needle[0]
    return any(
        haystack[i] == first and list(haystack[i : i + n]) == list(needle)
        for i in range(len(haystack) - n + 1)
    )


def term_tf(term: Term, doc: Analysed, name: str) -> int:
    """How often `term` occurs in one field (a phrase counts once when present)."""
    if term.prefix:
        # Like the engines, which store stems: `print*` finds "printing" (stem "print").
        start = term.words[0]
        return sum(1 for s in doc.stems.get(name, ()) if s.startswith(start))
    if len(term.words) > 1:
        return int(_has_sequence(doc.stems.get(name, ()), term.stems))
    counts = doc.counts.get(name)
    return counts.get(term.stems[0], 0) if counts else 0


def term_score(term: Term, doc: Analysed, weight: float) -> float:
    """BM25F for one term: field frequencies weighted and length-normalised, then saturated."""
    tf = 0.0
    word = term.stems[0] if len(term.words) == 1 and not term.prefix else None
    for name, field_weight in FIELD_WEIGHTS.items():
        if word is not None:
            counts = doc.counts.get(name)
            n = counts.get(word, 0) if counts else 0
        else:
            n = term_tf(term, doc, name)
        if n:
            length = len(doc.words[name])
            tf += field_weight * n / (1 - B + B * length / AVG_LEN[name])
    return weight * tf / (K1 + tf) if tf else 0.0


def matches(query: ParsedQuery, doc: Analysed) -> bool:
    """Every group has a term in some field and no excluded term occurs."""
    for group in query.groups:
        if not any(term_tf(t, doc, name) for t in group for name in FIELD_WEIGHTS):
            return False
    return not any(term_tf(t, doc, name) for t in query.exclude for name in FIELD_WEIGHTS)


def score(query: ParsedQuery, doc: Analysed, weights: Mapping[Term, float]) -> float:
    """The document's relevance: the sum of its terms' BM25F scores (phrases count double)."""
    total = 0.0
    for term in query.terms:
        s = term_score(term, doc, weights.get(term, 1.0))
        total += 2 * s if term.is_phrase else s
    return round(total, 9)


def rank_key(score_: float, updated_at: datetime | None, object_id: int, kind: str) -> tuple:
    """Sort key: best score first, then the most recently updated, then the highest id."""
    stamp = updated_at.timestamp() if updated_at else 0.0
    return (-round(score_, 9), -stamp, -object_id, kind)


# --- similar() -------------------------------------------------------------------------------

MAX_SIMILAR_TERMS = 16  # informative words of a text that are scored
RETRIEVAL_TERMS = 6  # of those, the rarest ones that fetch candidates


def informative_words(text: str) -> list[str]:
    """The distinct non-stop words of a text (first occurrence order), numbers of 1–2 digits and
    single letters dropped (times, counters), at most MAX_SIMILAR_TERMS."""
    seen: dict[str, str] = {}
    for w in words(text[:20_000]):
        if len(w) < 3 and not w.isalpha():
            continue
        if len(w) < 2 or w in STOPWORDS or w.isdigit():
            continue
        s = stem(w)
        if s not in seen:
            seen[s] = w
        if len(seen) >= MAX_SIMILAR_TERMS * 2:
            break
    return list(seen.values())[: MAX_SIMILAR_TERMS * 2]


def retrieval_words(candidates: Sequence[str], df: Mapping[str, int]) -> list[str]:
    """The rarest words that occur somewhere (df > 0), text order breaking ties."""
    order = {w: i for i, w in enumerate(candidates)}
    present = [w for w in candidates if df.get(w, 0) > 0]
    return sorted(present, key=lambda w: (min(df[w], DF_CAP), order[w]))[:RETRIEVAL_TERMS]


BOOSTS = (
    ("ci", 0.45, "same CI"),
    ("service", 0.2, "same service"),
    ("category", 0.1, "same category"),
)


def boosted(text_score: float, best: float, shared: Iterable[str]) -> tuple[float, tuple[str, ...]]:
    """Text similarity scaled to 0–1 against the best candidate, plus a boost for each shared
    configuration item, service and category; returns (score, reasons)."""
    shared = set(shared)
    base = text_score / best if best > 0 else 0.0
    reasons = tuple(label for name, _, label in BOOSTS if name in shared)
    extra = sum(boost for name, boost, _ in BOOSTS if name in shared)
    return round(base + extra, 9), reasons


# --- snippets --------------------------------------------------------------------------------

SNIPPET_CHARS = 200


def _highlighter(query: ParsedQuery):
    stems = {s for t in query.terms if not t.prefix for s in t.stems if s}
    prefixes = tuple(t.words[0] for t in query.terms if t.prefix)

    def hit(token: str) -> bool:
        w = fold(token)
        s = stem(w)
        return s in stems or (bool(prefixes) and s.startswith(prefixes))

    return hit


def highlight(text: str, query: ParsedQuery) -> SafeString:
    """The whole text escaped, with <mark> around the words that match the query."""
    return _marked(text, _highlighter(query))


def _marked(text: str, hit) -> SafeString:
    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        if hit(m.group()):
            out.append(escape(text[pos : m.start()]))
            out.append(f"<mark>{escape(m.group())}</mark>")
            pos = m.end()
    out.append(escape(text[pos:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


def snippet(text: str, query: ParsedQuery, chars: int = SNIPPET_CHARS) -> SafeString:
    """About `chars` characters of `text` around its first match (or its start), escaped, with
    matches in <mark> and an ellipsis where text was cut."""
    text = " ".join(text.split())
    hit = _highlighter(query)
    first = next((m.start() for m in _TOKEN.finditer(text) if hit(m.group())), None)
    if len(text) <= chars:
        return _marked(text, hit)
    start = 0 if first is None else max(0, first - chars // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(text), start + chars)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + chars // 2 else end
    body = _marked(text[start:end], hit)
    return mark_safe(("… " if start else "") + body + (" …" if end < len(text) else ""))  # noqa: S308
