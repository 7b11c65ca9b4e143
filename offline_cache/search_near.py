"""Did you mean, full pinyin typed with one letter off: the key starts in the index that lie
within one edit of the query's first letters (a deletion neighbourhood, as in SymSpell).

Every title and alias key has a token of its first 4–6 letters (search_index.long_token, first
= 1). When the wrong letter is among the query's first six, the unit meant starts with one of
the few such tokens one edit away from them; the units starting with those (a handful of tokens,
whatever the rest of the query) are the candidates, read best first. Without them the only
intact part was the query's tail, and a common tail (shengh… in every 生活) filled the
candidates before the unit meant.

The starts are read from the index's vocabulary (search_vocab's fts5vocab table, ~1,000–5,000
tokens) once per index version: the dictionary maps each start and each start with one letter
deleted to the starts, so a lookup is ~20 dictionary reads, not a pass over the vocabulary.
symspellpy does the same for words with frequencies; here the candidates are checked by
one_edit_prefix anyway, and the dictionary is a few lines.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from offline_cache.search_index import LATIN, LATIN_LONG, long_token
from offline_cache.search_text import ALIAS, TITLE, one_edit_prefix
from offline_cache.search_vocab import vocab_table

_STREAMS = (TITLE + LATIN, ALIAS + LATIN)
_CACHED = 4  # stores a process keeps dictionaries of (it has one; tests open many)
# id(conn) → (conn, index token, {start or start minus a letter: [(stream, start)]})
Neighbours = dict[str, list[tuple[int, str]]]
_cache: dict[int, tuple[sqlite3.Connection, int, Neighbours]] = {}


def _deletes(word: str) -> Iterable[str]:
    """The word and the word with each one of its letters deleted."""
    yield word
    for i in range(len(word)):
        yield word[:i] + word[i + 1:]


def _starts(conn: sqlite3.Connection) -> Neighbours:
    """The dictionary of the index's key starts, built again when the index changed (its token
    in search_state changes with every page a sync applies)."""
    row = conn.execute("SELECT value FROM search_state WHERE key = 'token'").fetchone()
    token = row[0] if row else 0
    entry = _cache.pop(id(conn), None)
    if entry is None or entry[0] is not conn or entry[1] != token:
        entry = (conn, token, _build(conn))
    _cache[id(conn)] = entry  # most recent last
    while len(_cache) > _CACHED:
        del _cache[next(iter(_cache))]
    return entry[2]


def _build(conn: sqlite3.Connection) -> Neighbours:
    """Each 6-letter key start of both streams and each with one letter deleted → the starts
    (20–60 ms on a 100,000-item index: the vocabulary scan counts their documents)."""
    table = vocab_table(conn)
    neighbours: Neighbours = {}
    for stream in _STREAMS:
        head = long_token(stream, 1, "")
        end = head[:-1] + chr(ord(head[-1]) + 1)
        for (term,) in conn.execute(
                f"SELECT term FROM {table} WHERE term >= ? AND term < ?", (head, end)):
            start = term[len(head):]
            if len(start) < LATIN_LONG:  # a whole key of 4–5 letters: too short for
                continue  # a query of 7+ with one letter off
            for key in _deletes(start):
                neighbours.setdefault(key, []).append((stream, start))
    return neighbours


def warm(conn: sqlite3.Connection) -> None:
    """Build the dictionary now (after a sync changed the index) rather than in the first
    guess a citizen waits for."""
    _starts(conn)


def near_variants(conn: sqlite3.Connection, q: str) -> list[tuple[int, str]]:
    """(stream, v) for the query typed right, v, when the wrong letter is among its first
    six (7+ letters): a unit meant has a key that starts with v, and v starts with a key start
    of the index (in that stream) one edit away from the query's first 5, 6 or 7 letters. The
    query's own first six letters are left out (the caller reads those units apart)."""
    if len(q) <= LATIN_LONG:
        raise ValueError("near_variants needs 7+ letters")
    neighbours = _starts(conn)
    heads = [q[:m] for m in (LATIN_LONG - 1, LATIN_LONG, LATIN_LONG + 1)]
    found: dict[tuple[int, str], None] = {}
    for head in heads:
        for key in _deletes(head):
            found.update(dict.fromkeys(neighbours.get(key, ())))
    out: dict[tuple[int, str], None] = {}
    for stream, start in found:
        if start == q[:LATIN_LONG]:
            continue
        # What follows the start: the query's rest after a letter wrong or two swapped
        # (before the sixth), swapped across it, one letter too many, one missing.
        for rest in (q[6:], q[5] + q[7:], q[7:], q[5:]):
            if one_edit_prefix(q, start + rest):
                out[(stream, start + rest)] = None
    return list(out)
