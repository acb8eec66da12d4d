"""The two full-text engines behind one small interface: SQLite FTS5 and PostgreSQL tsvector/GIN.

A backend only finds candidate ids and counts; the ranking, phrases and snippets happen in
`rules.py`, the same on both. Queries reach the engines only as expressions built here from
parsed, folded words (letters and digits), never as user text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
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


def _where(q: Q) -> tuple[str, list] | None:
    """The SQL of a filter on SearchDocument; None when it can match nothing."""
    qs = SearchDocument.objects.filter(q)
    compiler = qs.query.get_compiler(using=qs.db)
    try:
        sql, params = compiler.compile(qs.query.where)
    except EmptyResultSet:
        return None
    return (sql or "1=1"), list(params)


class Backend:
    vendor = ""

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

    def newest(self, match: Match, where: Q, limit: int) -> list[int]:
        """The `limit` most recently indexed matches (used when a query matches very many)."""
        return self._select(match, where, f"ORDER BY {self._id_sql()} DESC LIMIT %s", [limit])

    def doc_freq(self, terms: Sequence[Term], cap: int) -> list[int]:
        """For each term, how many documents contain it, counted up to `cap`."""
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
    """FTS5 with external content on SearchDocument, kept in step by triggers (migration 0002),
    so every write of a row (service, bulk insert, delete, flush) updates the index with it."""

    vendor = "sqlite"

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
        expr = f"{{title keywords body}} : ({expr})"
        if match.kinds:
            kinds = " OR ".join(_fts_quote(k) for k in match.kinds)
            expr = f"kind : ({kinds}) AND {expr}"
        return expr

    def _from(self) -> str:
        # CROSS JOIN keeps the full-text match as the outer loop: SQLite would otherwise scan a
        # filter's index (e.g. every resolved ticket) and probe FTS5 once per row.
        return f'{FTS_TABLE} CROSS JOIN "{TABLE}" ON "{TABLE}"."id" = {FTS_TABLE}.rowid'

    def _match_sql(self) -> str:
        return f"{FTS_TABLE} MATCH %s"

    def _rank_sql(self) -> str:
        return f"bm25({FTS_TABLE}, 3.0, 2.0, 1.0, 0.0)"

    def _id_sql(self) -> str:
        # FTS5 walks its doclists backwards for this, stopping after LIMIT rows; ordering by the
        # content table's id (the same value) would sort every match first.
        return f"{FTS_TABLE}.rowid"

    def doc_freq(self, terms: Sequence[Term], cap: int) -> list[int]:
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
