"""`/ask search`: earlier questions and their answers, five at a time, privately, with a "More"
button that replays the same search for the next page."""

from __future__ import annotations

import json
import logging

from slack_bolt import App, BoltContext

from bot import ids
from bot.ask import blocks
from bot.deps import Deps
from bot.edge import json_object, parse_number, team_of, tell_not_valid
from core.search import MAX_OFFSET, query_terms, search_questions
from storage.db import session_scope

log = logging.getLogger(__name__)

BUTTON_VALUE_CHARS = 2000  # Slack's limit for a button's value


def _more_value(terms: list[str], offset: int) -> tuple[list[str], str]:
    """The words a "More" button carries back, as many as fit, so that every page of one search
    runs the same query; and the button's value."""
    terms = list(terms)
    while True:
        value = json.dumps({"q": " ".join(terms), "o": offset}, ensure_ascii=False)
        if len(value) <= BUTTON_VALUE_CHARS or len(terms) <= 1:
            return terms, value[:BUTTON_VALUE_CHARS]
        terms.pop()


def search_page(deps: Deps, team_id: str, query: str, *, offset: int, channel_id: str | None = None) -> dict:
    """One page of `/ask search` results over the organisation's knowledge base, rendered, for
    someone searching from `channel_id` (questions of a private conversation are found only there)."""
    terms, _ = _more_value(query_terms(query), offset)
    if not terms:
        return blocks.search_needs_terms()
    try:
        with session_scope(deps.engine) as session:
            page = search_questions(
                session, team_id=team_id, text=" ".join(terms), offset=offset, channel_id=channel_id
            )
    except Exception:
        log.exception("/ask search failed")
        return blocks.search_failed()
    more = _more_value(terms, page.offset + len(page.matches))[1] if page.has_more else None
    return blocks.search_results(query=query, page=page, more_value=more)


def show_more_results(deps: Deps, body: dict, context: BoltContext, respond) -> None:
    """The "More" button: the next page replaces the one shown."""
    value = json_object((body.get("actions") or [{}])[0].get("value"))
    query, offset = value.get("q"), parse_number(value.get("o"), 0, MAX_OFFSET)
    if not isinstance(query, str) or offset is None:
        tell_not_valid(respond, instead="Search again: `/ask search <words>`.")
        return
    # The button is in the ephemeral message shown where the search was made.
    channel_id = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    respond(
        replace_original=True, **search_page(deps, team_of(context, body), query, offset=offset, channel_id=channel_id)
    )


def register(app: App, deps: Deps) -> None:
    # Lazy: the click is acked at once; the next page goes out through the response_url.
    app.action(ids.ASK_SEARCH_MORE)(
        ack=lambda ack: ack(),
        lazy=[lambda body, context, respond: show_more_results(deps, body, context, respond)],
    )
