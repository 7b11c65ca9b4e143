"""The tokens of the search index that start with a given prefix, read from its vocabulary.

An FTS5 prefix query ("4dxuke"*) merges the doclists of every token it covers into one before
it hands over its first row, whatever the LIMIT or rowid bound: 14 ms for the ~19,000 units
of the eight 6-letter tokens of xuke on a 100k catalog, of which a tier takes twenty. The same
tokens named one by one ("4dxukebe" OR "4dxukesh" OR …) stream in rowid order (0.05 ms).
Listing them costs a pass over their doclists without the merge (fts5vocab counts documents:
~1 ms for xuke), so it is for the queries whose cheaper candidates failed.

The vocabulary table lives in the connection's temp schema: no store schema change, nothing
written to the store file.
"""

from __future__ import annotations

import sqlite3

_VOCAB = "temp.search_gram_vocab"
_MAX_TOKENS = 400  # an OR of more phrases costs more to open than the prefix merge saves


def vocab_table(conn: sqlite3.Connection) -> str:
    """The name of the index's vocabulary table (term, doc, cnt), created on first use."""
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {_VOCAB} "
                 "USING fts5vocab(main, 'search_gram', 'row')")
    return _VOCAB


def token_range(conn: sqlite3.Connection, prefixes: list[str], cap: int | None = None
                ) -> list[str] | None:
    """Every token of search_gram that starts with one of `prefixes` (tokens are [0-9a-z]
    runs), or None when there are more than `cap` (_MAX_TOKENS; the caller queries another
    way)."""
    cap = _MAX_TOKENS if cap is None else cap
    vocab_table(conn)
    tokens: list[str] = []
    for prefix in prefixes:
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)  # the first string after the prefix's
        tokens += [t for (t,) in conn.execute(
            f"SELECT term FROM {_VOCAB} WHERE term >= ? AND term < ? LIMIT ?",
            (prefix, end, cap + 1))]
        if len(tokens) > cap:
            return None
    return tokens
