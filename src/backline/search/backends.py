"""The two full-text engines behind one small interface: SQLite FTS5 and PostgreSQL tsvector/GIN.

A backend only finds candidate ids and counts; the ranking, phrases and snippets happen in
`rules.py`, the same on both. Queries reach the engines only as expressions built here from
parsed, folded words (letters and digits), never as user text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import Q

from backline.search.models import SearchDocument
from backline.search.rules import Term, index_text, stem

TABLE = SearchDocument._meta.db_table
FTS_TABLE = "search_fts"


@dataclass(frozen=True)
class Match:
    """A backend-neutral boolean query: AND of groups (each an OR of terms), minus `exclude`."""

    groups: tuple[tuple[Term, ...], ...]
    exclude: tuple[Term, ...] = ()
    kinds: tuple[str, ...] = ()  # a hint: the `where` filter limits the kinds to these
    # A hint too: AND of groups, each an OR of filter tags (`filter_tag`) that `where` already
    # implies. SQLite intersects them inside FTS5; `where` stays the truth on both backends.
    tags: tuple[tuple[str, ...], ...] = ()


_TAG_PREFIXES = {
    "service_id": "svc",
    "ci_id": "ci",
    "category_id": "cat",
    "team_id": "team",
    "owner_id": "own",
}


_TEXT_TAG_PREFIXES = {"status": "st", "kind": "kd"}  # hex-encoded: one token whatever the value


def filter_tag(name: str, value: int | str) -> str:
    """The FTS5 token of one filter value (`svc7`, `own55`; `st`/`kd` + the status/kind in hex),
    as migration 0003's view and triggers write them into the `tags` column; keep in step."""
    if name in _TEXT_TAG_PREFIXES:
        return _TEXT_TAG_PREFIXES[name] + str(value).encode().hex()
    return f"{_TAG_PREFIXES[name]}{int(value)}"


class CommonWords:
    """Which terms reached the document-frequency cap recently, per (database alias, cap, term).

    Counting a common word up to the cap is the expensive part of `doc_freq` on PostgreSQL (its
    GIN bitmap holds every match), and a word in 1,000+ documents stays that common: it takes
    mass deletes to bring it under the cap, and even then its IDF barely moves (idf(1000) vs
    idf(999)). So those are remembered for `ttl` seconds; counts under the cap are never kept,
    since new and removed documents change them and, for rare words, the ranking. Counts read
    inside a transaction are not kept either: they may include writes that roll back (the test
    suite runs every test inside one). Per process, bounded to `size` entries."""

    def __init__(self, ttl: float = 300.0, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self._until: dict[Hashable, float] = {}
        self._lock = threading.Lock()
        # PostgreSQL: (alias, cap) → (until, lexemes its statistics put far above the cap).
        self.sampled: dict[Hashable, tuple[float, frozenset[str]]] = {}

    def __contains__(self, key: Hashable) -> bool:
        until = self._until.get(key)
        if until is None:
            return False
        if until < time.monotonic():
            with self._lock:
                self._until.pop(key, None)
            return False
        return True

    def add(self, key: Hashable) -> None:
        now = time.monotonic()
        with self._lock:
            if key not in self._until and len(self._until) >= self.size:
                # Full: drop the expired entries, or else the oldest tenth.
                expired = [k for k, until in self._until.items() if until < now]
                for old in expired or list(self._until)[: max(1, self.size // 10)]:
                    del self._until[old]
            self._until.pop(key, None)  # re-inserted last: the dict stays oldest first
            self._until[key] = now + self.ttl

    def clear(self) -> None:
        """Forget everything (tests; or after deleting most of the index)."""
        with self._lock:
            self._until.clear()
            self.sampled.clear()

    def __len__(self) -> int:
        return len(self._until)


COMMON_WORDS = CommonWords()


def _where(q: Q) -> tuple[str, list] | None:
    """The SQL of a filter on SearchDocument; None when it can match nothing."""
    qs = SearchDocument.objects.filter(q)
    compiler = qs.query.get_compiler(using=qs.db)
    try:
        sql, params = compiler.compile(qs.query.where)
    except EmptyResultSet:
        return None
    except FullResultSet:
        return "1=1", []
    return (sql or "1=1"), list(params)


class Backend:
    vendor = ""
    # How many of a word's newest matches an agent's search examines (None: all of them). See
    # matching_window; SQLite lists the newest matches for free, PostgreSQL's bitmap scan does
    # not (it would read and sort every match first), so there the scan stops at the limit.
    scan_window: int | None = None

    # --- writing ---------------------------------------------------------------------------
    def after_write(self, ids: Sequence[int], texts: Sequence[tuple[str, str, str]]) -> None:
        """Index the rows just inserted or updated (title, keywords, body for each id)."""

    def rebuild(self) -> None:
        """Rebuild the engine's index from the SearchDocument rows."""

    # --- reading ---------------------------------------------------------------------------
    def expression(self, match: Match) -> str:
        raise NotImplementedError

    def _from(self) -> str:
        raise NotImplementedError

    def _match_sql(self) -> str:
        raise NotImplementedError

    def _rank_sql(self) -> str:
        raise NotImplementedError

    def _select(self, match: Match, where: Q, tail: str, params: list) -> list[int]:
        compiled = _where(where)
        expr = self.expression(match)
        if compiled is None or not expr:
            return []
        sql = (
            f'SELECT "{TABLE}"."id" FROM {self._from()} WHERE {self._match_sql()} '  # noqa: S608 - identifiers are constants, values are parameters
            f"AND ({compiled[0]}) {tail}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [expr, *compiled[1], *params])
            return [row[0] for row in cursor.fetchall()]

    def matching(self, match: Match, where: Q, limit: int) -> list[int]:
        """Up to `limit` matching ids (for counting and small sets)."""
        return self._select(match, where, "LIMIT %s", [limit])

    def ranked(self, match: Match, where: Q, limit: int) -> list[int]:
        """The `limit` best matches by the engine's own rank (used for moderate match sets)."""
        rank = self._rank_sql()
        return self._select(match, where, f'ORDER BY {rank}, "{TABLE}"."id" DESC LIMIT %s', [limit])

    def _id_sql(self) -> str:
        return f'"{TABLE}"."id"'

    def _newest_ids_sql(self) -> str:
        """SQL for the ids of the newest matches (parameters: expression, limit); the engine
        alone, no filter."""
        return (
            f'SELECT "{TABLE}"."id" FROM {self._from()} WHERE {self._match_sql()} '  # noqa: S608 - identifiers are constants, values are parameters
            f"ORDER BY {self._id_sql()} DESC LIMIT %s"
        )

    def matching_window(
        self, match: Match, where: Q, limit: int, window: int
    ) -> tuple[list[int], bool]:
        """Up to `limit` ids, newest first, of the matches that pass `where` among the newest
        `window` matches; and whether matches older than the window were left unexamined.

        For filters that cost a probe per row (an agent's ticket visibility): a very common
        word matches tens of thousands of documents, and finding a thousand the agent may see
        among them would check every one. The engine lists the newest matches cheaply; only
        those are checked."""
        compiled = _where(where)
        expr = self.expression(match)
        if compiled is None or not expr:
            return [], False
        sql = (
            f'SELECT "{TABLE}"."id" FROM "{TABLE}" '  # noqa: S608 - identifiers are constants, values are parameters
            f'WHERE "{TABLE}"."id" IN ({self._newest_ids_sql()}) AND ({compiled[0]}) '
            f'ORDER BY "{TABLE}"."id" DESC LIMIT %s'
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [expr, window, *compiled[1], limit])
            ids = [row[0] for row in cursor.fetchall()]
            if len(ids) >= limit:
                return ids, True
            cursor.execute(
                f"SELECT COUNT(*) FROM ({self._newest_ids_sql()}) AS w",  # noqa: S608 - as above
                [expr, window + 1],
            )
            (found,) = cursor.fetchone()
        return ids, found > window

    def newest(self, match: Match, where: Q, limit: int) -> list[int]:
        """The `limit` most recently indexed matches (used when a query matches very many)."""
        return self._select(match, where, f"ORDER BY {self._id_sql()} DESC LIMIT %s", [limit])

    def doc_freq(self, terms: Sequence[Term], cap: int) -> list[int]:
        """For each term, how many documents contain it, counted up to `cap`; terms that
        reached the cap recently are not counted again (`CommonWords`)."""
        alias = connection.alias
        out: list[int | None] = [cap if (alias, cap, t) in COMMON_WORDS else None for t in terms]
        todo = [i for i, n in enumerate(out) if n is None]
        if todo:
            counts = self._doc_freq([terms[i] for i in todo], cap)
            keep = not connection.in_atomic_block
            for i, n in zip(todo, counts, strict=True):
                out[i] = n
                if keep and n >= cap:
                    COMMON_WORDS.add((alias, cap, terms[i]))
        return [int(n or 0) for n in out]

    def _doc_freq(self, terms: Sequence[Term], cap: int) -> list[int]:
        if not terms:
            return []
        parts, params = [], []
        for i, term in enumerate(terms):
            expr = self.expression(Match(((term,),)))
            if not expr:
                parts.append(f"SELECT {i}, 0")
                continue
            parts.append(
                f"SELECT {i}, (SELECT COUNT(*) FROM (SELECT 1 FROM {self._from()} "  # noqa: S608 - identifiers are constants, values are parameters
                f"WHERE {self._match_sql()} LIMIT %s) AS t{i})"
            )
            params += [expr, cap]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            counts = dict(cursor.fetchall())
        return [int(counts.get(i, 0)) for i in range(len(terms))]


def _fts_quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


class SqliteBackend(Backend):
    """FTS5 with external content on SearchDocument (through a view adding the filter tags),
    kept in step by triggers (migrations 0002, 0003), so every write of a row (service, bulk
    insert, delete, flush) updates the index with it."""

    vendor = "sqlite"
    scan_window = 5_000

    def matching(self, match: Match, where: Q, limit: int) -> list[int]:
        # Newest first costs FTS5 nothing (it reads its doclists backwards).
        return self.newest(match, where, limit)

    def rebuild(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")  # noqa: S608 - identifiers are constants, values are parameters

    def _term(self, term: Term, *, negated: bool = False) -> str:
        if term.prefix:
            return _fts_quote(term.words[0]) + "*"
        words = term.key_words
        if not words:
            return ""
        if negated and len(words) > 1:
            return ""  # a phrase is excluded in Python: its words apart are fine
        return "(" + " AND ".join(_fts_quote(w) for w in words) + ")"

    def expression(self, match: Match) -> str:
        groups = []
        for group in match.groups:
            parts = [p for p in (self._term(t) for t in group) if p]
            if not parts:
                return ""
            groups.append("(" + " OR ".join(parts) + ")")
        if not groups:
            return ""
        expr = " AND ".join(groups)
        for term in match.exclude:
            part = self._term(term, negated=True)
            if part:
                expr = f"({expr}) NOT {part}"
        # User words only ever reach the text columns; `kind` and `tags` only the terms below.
        expr = f"{{title keywords body}} : ({expr})"
        if match.kinds:
            kinds = " OR ".join(_fts_quote(k) for k in match.kinds)
            expr = f"kind : ({kinds}) AND {expr}"
        for group in match.tags:
            if group:
                tags = " OR ".join(_fts_quote(t) for t in group)
                expr = f"{expr} AND tags : ({tags})"
        return expr

    def _from(self) -> str:
        # CROSS JOIN keeps the full-text match as the outer loop: SQLite would otherwise scan a
        # filter's index (e.g. every resolved ticket) and probe FTS5 once per row.
        return f'{FTS_TABLE} CROSS JOIN "{TABLE}" ON "{TABLE}"."id" = {FTS_TABLE}.rowid'

    def _match_sql(self) -> str:
        return f"{FTS_TABLE} MATCH %s"

    def _rank_sql(self) -> str:
        return f"bm25({FTS_TABLE}, 3.0, 2.0, 1.0, 0.0, 0.0)"

    def _id_sql(self) -> str:
        # FTS5 walks its doclists backwards for this, stopping after LIMIT rows; ordering by the
        # content table's id (the same value) would sort every match first.
        return f"{FTS_TABLE}.rowid"

    def _newest_ids_sql(self) -> str:
        # The FTS table alone: its rowid is the document's id.
        return (
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "  # noqa: S608 - identifiers are constants, values are parameters
            "ORDER BY rowid DESC LIMIT %s"
        )

    def _doc_freq(self, terms: Sequence[Term], cap: int) -> list[int]:
        if not terms:
            return []
        parts, params = [], []
        for i, term in enumerate(terms):
            expr = self.expression(Match(((term,),)))
            if not expr:
                parts.append(f"SELECT {i}, 0")
                continue
            # The FTS table alone: no join needed to count documents.
            parts.append(
                f"SELECT {i}, (SELECT COUNT(*) FROM (SELECT 1 FROM {FTS_TABLE} "  # noqa: S608 - identifiers are constants, values are parameters
                f"WHERE {FTS_TABLE} MATCH %s LIMIT %s))"
            )
            params += [expr, cap]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            counts = dict(cursor.fetchall())
        return [int(counts.get(i, 0)) for i in range(len(terms))]


def _ts_quote(word: str) -> str:
    return "'" + word.replace("'", "''").replace("\\", "") + "'"


_VECTOR_SQL = (
    "setweight(to_tsvector('english', {t}), 'A') || "
    "setweight(to_tsvector('english', {k}), 'B') || "
    "setweight(to_tsvector('english', {b}), 'C')"
)


class PostgresBackend(Backend):
    """A weighted tsvector column (title A, keywords B, body C; config `english`) with a GIN
    index, written by the service in the caller's transaction. The vector is built from the
    folded words (`rules.index_text`), so PostgreSQL tokenizes what FTS5 and the scorer see."""

    vendor = "postgresql"

    def after_write(self, ids: Sequence[int], texts: Sequence[tuple[str, str, str]]) -> None:
        if not ids:
            return
        vector = _VECTOR_SQL.format(t="v.t", k="v.k", b="v.b")
        sql = (
            f'UPDATE "{TABLE}" AS d SET search_vector = {vector} '  # noqa: S608 - identifiers are constants, values are parameters
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS v(id, t, k, b) "
            "WHERE d.id = v.id"
        )
        titles, keywords, bodies = zip(
            *((index_text(x) for x in row) for row in texts), strict=True
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(ids), list(titles), list(keywords), list(bodies)])

    def rebuild(self) -> None:
        last = 0
        while True:
            rows = list(
                SearchDocument.objects.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", "title", "keywords", "body")[:5000]
            )
            if not rows:
                return
            self.after_write([r[0] for r in rows], [r[1:] for r in rows])
            last = rows[-1][0]

    def _term(self, term: Term, *, negated: bool = False) -> str:
        # Stemmed here with the same Snowball English stemmer PostgreSQL's `english` uses, and
        # passed through the `simple` configuration so PostgreSQL does not stem them again.
        if term.prefix:
            return _ts_quote(term.words[0]) + ":*"
        words = term.key_words
        if not words or (negated and len(words) > 1):
            return ""
        return "(" + " & ".join(_ts_quote(stem(w)) for w in words) + ")"

    def expression(self, match: Match) -> str:
        groups = []
        for group in match.groups:
            parts = [p for p in (self._term(t) for t in group) if p]
            if not parts:
                return ""
            groups.append("(" + " | ".join(parts) + ")")
        if not groups:
            return ""
        excluded = [p for p in (self._term(t, negated=True) for t in match.exclude) if p]
        return " & ".join(groups + [f"!{p}" for p in excluded])

    def _doc_freq(self, terms: Sequence[Term], cap: int) -> list[int]:
        # A word the planner's statistics put in ten times `cap` documents is at the cap without
        # counting: its GIN bitmap (every match) is what makes counting a common word slow.
        common = self._surely_common(cap)
        counted = [t for t in terms if t.prefix or t.is_phrase or t.stems[0] not in common]
        counts = dict(zip(counted, super()._doc_freq(counted, cap), strict=True))
        return [counts.get(t, cap) for t in terms]

    def _surely_common(self, cap: int) -> frozenset[str]:
        """The lexemes that ANALYZE found in at least 10 × `cap` documents (cached a few
        minutes). Sampled, so only a margin this wide is taken as sure: a word under the cap
        is still counted exactly."""
        key = (connection.alias, cap)
        cached = COMMON_WORDS.sampled.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
                "FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename "
                "AND c.relnamespace = to_regnamespace(s.schemaname) "
                "WHERE s.schemaname = current_schema() AND s.tablename = %s "
                "AND s.attname = 'search_vector'",
                [TABLE],
            )
            row = cursor.fetchone()
        common: frozenset[str] = frozenset()
        if row and row[0] and row[1] and row[2] and row[2] > 0:
            common = frozenset(w for w, f in zip(row[0], row[1]) if f * row[2] >= 10 * cap)  # noqa: B905 - the frequencies end with 3 summary values
        COMMON_WORDS.sampled[key] = (time.monotonic() + COMMON_WORDS.ttl, common)
        return common

    def _from(self) -> str:
        return f'"{TABLE}"'

    def _match_sql(self) -> str:
        return f"\"{TABLE}\".search_vector @@ to_tsquery('simple', %s)"

    def ranked(self, match: Match, where: Q, limit: int) -> list[int]:
        compiled = _where(where)
        expr = self.expression(match)
        if compiled is None or not expr:
            return []
        sql = (
            f'SELECT "{TABLE}"."id" FROM "{TABLE}", to_tsquery(\'simple\', %s) AS query '  # noqa: S608 - identifiers are constants, values are parameters
            f'WHERE "{TABLE}".search_vector @@ query AND ({compiled[0]}) '
            f"ORDER BY ts_rank('{{0.1, 0.33, 0.67, 1.0}}', \"{TABLE}\".search_vector, query) DESC, "
            f'"{TABLE}"."id" DESC LIMIT %s'
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [expr, *compiled[1], limit])
            return [row[0] for row in cursor.fetchall()]


def backend() -> Backend:
    """The backend for the default database's engine."""
    if connection.vendor == "postgresql":
        return PostgresBackend()
    if connection.vendor == "sqlite":
        return SqliteBackend()
    raise NotImplementedError(f"Search does not support {connection.vendor}.")
