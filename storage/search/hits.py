"""A search's reader and hits, and the filter both engines share: the posted questions the reader
may see, best first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text


@dataclass(frozen=True)
class Reader:
    """Whom a search is for: the workspaces whose questions it reads (an organisation's: its
    knowledge base is one pool) and the conversation the person searches from (None: nowhere in
    particular). A question from a conversation that is not a public channel is found only from
    that conversation (storage.channels)."""

    team_ids: tuple[str, ...]
    channel_id: str | None = None

    def params(self) -> dict:
        """The reader as bound parameters: `:w0`, `:w1`… for the workspaces, `:reader_channel`."""
        return {**{f"w{i}": team for i, team in enumerate(self.team_ids)}, "reader_channel": self.channel_id}

    def in_pool(self, column: str) -> str:
        """SQL: `column` (a team_id) is one of the reader's workspaces."""
        return f"{column} IN ({', '.join(f':w{i}' for i in range(len(self.team_ids)))})"


@dataclass(frozen=True)
class Hit:
    question_id: int
    score: float  # higher is better; comparable within one search only


# Ranking first and filtering after: each engine orders its own index's matches (rank, then the
# newest question first, a total order) and only a prefix of that order is looked up in
# `question` for the status and whether the reader may see it (and on SQLite, whose FTS5 table has
# no workspace column, the workspace); posted questions are most of what is indexed, so the prefix nearly always holds
# enough, and when it does not the whole order is read. (Joining `question` to every match first
# cost more than the ranking itself on a large store.)
_PREFIX_PER_HIT, _PREFIX_EXTRA = 4, 32


def first_posted(bind, sql: str, params: dict, wanted: int) -> list[Hit]:
    """The first `wanted` of `sql`'s rows that are posted questions the reader may see. `sql` gives
    (question id, score, shown to the reader) rows, best first, the first :prefix of its
    index's order (all of it when :prefix is NULL)."""
    prefix = _PREFIX_PER_HIT * wanted + _PREFIX_EXTRA
    while True:
        rows = bind.execute(text(sql), {**params, "prefix": prefix}).all()
        hits = [Hit(question_id, float(score)) for question_id, score, posted in rows if posted]
        if len(hits) >= wanted or prefix is None or len(rows) < prefix:
            return hits[:wanted]
        prefix = None  # the prefix ran out: read the whole order
