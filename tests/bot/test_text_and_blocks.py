"""Pure edge helpers: making user text inert, and the Block Kit it is shown in."""

from __future__ import annotations

import json

import pytest

from bot.ask import blocks
from bot.text import WORD_JOINER, chunks, neutralise_mentions


@pytest.mark.parametrize(
    "text,shown",
    [
        ("<!channel> help", f"@{WORD_JOINER}channel help"),
        ("<!here|here> anyone", f"@{WORD_JOINER}here anyone"),
        ("<!HERE> shouting", f"@{WORD_JOINER}here shouting"),
        ("<!everyone>", f"@{WORD_JOINER}everyone"),
        ("ask <!subteam^S0123ABCD|@platform>", f"ask @{WORD_JOINER}platform"),
        ("ask <!subteam^S0123ABCD>", f"ask @{WORD_JOINER}group"),
        ("typed @here and @channel", f"typed @{WORD_JOINER}here and @{WORD_JOINER}channel"),
    ],
)
def test_crowd_pings_are_made_inert_but_stay_readable(text, shown):
    assert neutralise_mentions(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "thanks <@U0123ABC> for the tip",  # one person, named by the asker: kept
        "mail me at team@here.example",  # not a ping
        "see <https://example.com|the docs> and <#C0123ABCD>",
        "<!date^1754400000^{date_short}|Aug 5>",
        "Как настроить VPN? 🚀",
    ],
)
def test_everything_else_is_left_alone(text):
    assert neutralise_mentions(text) == text


def test_chunks_split_long_text_at_line_breaks_and_lose_nothing():
    text = "\n".join(f"line {n} " + "x" * 90 for n in range(100))
    pieces = chunks(text, 3000)
    assert len(pieces) > 1 and all(len(p) <= 3000 for p in pieces)
    assert all(p.startswith("line ") for p in pieces)  # cut at line breaks
    assert "\n".join(pieces) == text


def test_chunks_cut_prose_at_paragraph_and_sentence_ends_never_mid_sentence():
    sentence = "Our build restores the cache first, then it runs the tests in four shards. "
    prose = (sentence * 80).strip()  # about 6,000 characters, one paragraph
    pieces = chunks(prose, 3000)
    assert len(pieces) == 3 and all(len(p) <= 3000 for p in pieces)
    assert all(p.endswith("shards.") and p.startswith("Our build") for p in pieces)
    assert " ".join(pieces) == prose

    paragraphs = "\n\n".join([(sentence * 25).strip(), (sentence * 25).strip(), (sentence * 25).strip()])
    pieces = chunks(paragraphs, 3000)
    assert pieces == [(sentence * 25).strip()] * 3  # each paragraph whole, blank lines dropped at the cuts


def test_chunks_cut_text_without_spaces():
    pieces = chunks("y" * 7001, 3000)
    assert all(len(p) <= 3000 for p in pieces)
    assert "".join(pieces) == "y" * 7001


def test_chunks_never_cut_a_link_or_a_mention():
    link = "<https://wiki.example.com/a/very/long/page|the runbook>"
    text = ("see " + link + " ") * 200
    for piece in chunks(text, 3000):
        assert piece.count("<") == piece.count(">")


def test_a_code_block_cut_in_two_is_closed_and_reopened():
    code = "```\n" + "\n".join(f"print({n})" for n in range(600)) + "\n```"
    pieces = chunks(code, 3000)
    assert len(pieces) > 1 and all(len(p) <= 3000 for p in pieces)
    assert all(p.startswith("```") and p.endswith("```") for p in pieces)
    lines = [line for p in pieces for line in p.splitlines() if line != "```"]
    assert lines == [f"print({n})" for n in range(600)]


def test_question_post_credits_the_asker_and_keeps_to_slack_limits():
    message = blocks.question_post(asker_id="U0ASKER", text="<!here> " + "word " * 1500)
    sections = [b for b in message["blocks"] if b["type"] == "section"]
    assert len(sections) == 3 and all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert "<@U0ASKER>" in message["blocks"][-2]["elements"][0]["text"]
    assert "Open" in message["blocks"][-1]["elements"][0]["text"]
    assert "<!here>" not in str(message)
    assert len(message["text"]) < 300


def test_the_longest_question_with_details_and_topics_keeps_to_slack_limits():
    from core.asking import MAX_DETAILS_CHARS, MAX_QUESTION_CHARS

    message = blocks.question_post(
        asker_id="U0ASKER",
        text="q " * (MAX_QUESTION_CHARS // 2),
        details="d " * (MAX_DETAILS_CHARS // 2),
        topics=["x" * 50] * 5,
        state="resolved",
        question_id=7,
        accepted_author="U0HELPER",
        accepted_link="https://example.slack.com/archives/C1/p1",
    )
    assert len(message["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in message["blocks"] if b["type"] == "section")
    assert all(len(e["text"]) <= 3000 for b in message["blocks"] if b["type"] == "context" for e in b["elements"])


def test_an_anonymous_post_names_nobody():
    message = blocks.question_post(
        asker_id="U0ASKER", text="Is it OK?", anonymous=True, state="answered", question_id=3
    )
    assert "U0ASKER" not in str(message) and "anonymous" in str(message).lower()


def test_private_notes_echo_the_text_but_never_a_ping():
    for message in (
        blocks.ask_too_long(10, "<!channel> " + "z" * 20),
        blocks.ask_not_saved("<!channel> please"),
        blocks.question_failed(channel_id="C1", reason="not_in_channel", text="<!channel> please"),
    ):
        assert "<!channel>" not in message["text"]


def test_link_labels_cannot_be_broken_out_of():
    from bot.text import flatten_links

    text = "See <https://evil.example|click> and <@U0123> | x > y <#C0123|general>"
    flat = flatten_links(text)
    assert "<" not in flat and ">" not in flat and "|" not in flat
    assert "click" in flat and "@U0123" in flat and "general" in flat


def test_search_results_link_each_title_safely():
    from datetime import UTC, datetime

    from core.search import Match, QuestionState, SearchPage

    match = Match(
        question_id=1,
        text="Why <https://evil.example|this> | that > <!channel>?",
        state=QuestionState.OPEN,
        answers=0,
        answer=None,
        accepted=False,
        permalink="https://fake.slack.com/archives/C1/p1",
        asked_at=datetime(2026, 1, 1, tzinfo=UTC),
        score=1.0,
    )
    message = blocks.search_results(query="why", page=SearchPage([match], 0, False), more_value=None)
    title = message["blocks"][1]["text"]["text"]
    assert title.startswith("<https://fake.slack.com/archives/C1/p1|") and title.endswith(">")
    assert title.count("<") == 1 and title.count(">") == 1 and title.count("|") == 1
    assert "<!channel>" not in str(message)


@pytest.mark.parametrize(
    "query",
    [
        "如何申请新的笔记本电脑 " * 200,
        "🚀 ünïcödé wörds " * 300,
        " ".join(f"término{n}" for n in range(400)),
        "x" * 5000,
    ],
)
def test_the_more_button_value_fits_and_replays_the_same_words(query):
    import json

    from bot.ask.search import BUTTON_VALUE_CHARS, _more_value
    from core.search import query_terms

    terms, value = _more_value(query_terms(query), 5)
    assert len(value) <= BUTTON_VALUE_CHARS
    carried = json.loads(value)
    assert carried["o"] == 5 and query_terms(carried["q"]) == terms and terms


def test_suggestions_invitations_and_search_never_ping_the_crowd():
    from datetime import UTC, datetime

    from core.lessons import Lesson
    from core.search import Match, QuestionState, SearchPage

    lesson = Lesson(
        question_id=1,
        text="<!channel> VPN?",
        answer="ask <!here> or <!subteam^S1|@it>",
        accepted=True,
        permalink="https://x.slack.com/archives/C1/p1",
        coverage=1.0,
    )
    match = Match(
        question_id=1,
        text="<!everyone> VPN?",
        state=QuestionState.RESOLVED,
        answers=1,
        answer="<!here> yes",
        accepted=True,
        permalink=None,
        asked_at=datetime(2026, 1, 1, tzinfo=UTC),
        score=1.0,
    )
    for message in (
        blocks.suggestions_message(question_id=2, lessons=[lesson]),
        {"blocks": blocks.suggestions_view(question_id=2, lessons=[lesson])["blocks"]},
        blocks.invite_helpers(user_ids=["U0HELPER"], topics=["<!channel>", "@here"]),
        blocks.search_results(query="<!here>", page=SearchPage([match], 0, False), more_value=None),
    ):
        text = str(message)
        assert (
            "<!channel>" not in text and "<!here>" not in text and "<!everyone>" not in text and "<!subteam" not in text
        )


def test_topic_options_keep_to_slack_limits():
    options = blocks.topic_options([f"topic {n} " + "x" * 80 for n in range(150)], "y" * 80)["options"]
    assert len(options) == 100 and all(len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in options)


def test_session_posts_never_ping_the_crowd_and_keep_to_slack_limits():
    from datetime import UTC, date, datetime, timedelta

    from bot.sessions import blocks as sb
    from core.sessions import SessionInfo, SessionQuestion, State, Summary

    start = datetime(2026, 12, 1, 14, tzinfo=UTC)
    info = SessionInfo(
        id=1,
        team_id="T1",
        channel_id="C1",
        topic="<!channel> upgrades",
        organiser_id="U1",
        experts=("U0EXPERT",),
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        state=State.CLOSED,
        announcement_ts=None,
        summary_ts=None,
        summary_version=0,
    )
    questions = [
        SessionQuestion(
            id=n,
            text=f"<!here> question {n} " + "x" * 200,
            asker_id="U2",
            message_ts=f"{n}.0",
            answered=False,
            answered_in_window=False,
            deferred_to=date(2026, 12, 3) if n % 2 else None,
            deferred_by="U0EXPERT" if n % 2 else None,
            overdue=n % 4 == 1,
        )
        for n in range(60)
    ]
    summary = Summary(
        session=info,
        asked=60,
        answered_in_window=0,
        answered_later=0,
        deferred=[q for q in questions if q.deferred_to],
        open=[q for q in questions if not q.deferred_to],
        chased=True,
    )
    messages = [
        sb.announcement(info),
        sb.opened(info),
        sb.summary(summary, now=start),
        sb.expert_list(info, summary.open, {}, viewer="U0EXPERT", last_call=True),
        sb.expert_list(info, questions, {}, viewer="U0OTHER", last_call=False),
        sb.announcement(info, cancelled=True),
    ]
    for message in messages:
        text = str(message)
        assert "<!channel>" not in text and "<!here>" not in text
        assert len(message["blocks"]) <= 50
        assert all(len((b.get("text") or {}).get("text", "")) <= 3000 for b in message["blocks"])
    assert "question 59" in str(messages[2]) or "Left open" in str(messages[2])
    assert "<!date^" in str(messages[0]) and "<!date^" in str(messages[1])


def test_the_accept_form_keeps_to_slack_limits_and_says_when_it_leaves_answers_out():
    from bot.ask.accept_blocks import accept_modal

    answers = [
        (
            f"1754400{n:03d}.000100",
            f"U0HELPER{n:02d}",
            f"See <https://wiki.example/{n}|the runbook> {'x' * n * 9}",
            False,
        )
        for n in range(12)
    ]
    answers[0] = (*answers[0][:3], True)
    view = accept_modal(question_id=1, question_text="Where is the runbook?", answers=answers)
    [element] = [b["element"] for b in view["blocks"] if b["type"] == "input"]
    assert element["type"] == "radio_buttons" and len(element["options"]) == 10
    assert element["initial_option"]["value"] == answers[0][0]  # the accepted one is always offered
    for o in element["options"]:
        assert len(o["text"]["text"]) <= 75 and len(o.get("description", {}).get("text", "")) <= 75
        assert "https://" not in o["text"]["text"] and "the runbook" in o["text"]["text"]
    assert "10 latest of 12 answers" in json.dumps(view["blocks"])


# -- mrkdwn where Slack shows text as typed ------------------------------------------------------


@pytest.mark.parametrize(
    "mrkdwn,plain",
    [
        ("Run `/ask channel` in that channel.", "Run /ask channel in that channel."),
        ("*Accepted*: _the_ answer, ~not~ this", "Accepted: the answer, not this"),
        (":white_check_mark: Accepted. :tada:", "✅ Accepted. 🎉"),
        ("See <https://x.example/a|the docs> or <https://x.example/b>", "See the docs or https://x.example/b"),
        ("Asked by <@U0123ABC|emma> in <#C0123ABCD|general>", "Asked by @emma in #general"),
        ("By <!date^1754400000^{date_short}|5 Aug 2025>", "By 5 Aug 2025"),
        ("```\nSELECT 1;\n```", "SELECT 1;"),
        ("&gt; a quote\n&gt; goes on", "a quote\ngoes on"),
        # Not mrkdwn: left as it is.
        ("snake_case_names and 2*3*4", "snake_case_names and 2*3*4"),
        ("at 10:30:00, ratio 1:2:3", "at 10:30:00, ratio 1:2:3"),
        ("R&amp;D", "R&amp;D"),
    ],
)
def test_plain_text_shows_mrkdwn_as_a_reader_should_see_it(mrkdwn, plain):
    from bot.text import plain_text

    assert plain_text(mrkdwn) == plain


def test_a_notification_keeps_mentions_links_and_emoji_but_drops_marks():
    from bot.text import notification_text

    text = "<@U1> ended your mentorship in *Leadership*; `/mentor` is there :wave: <https://x.example|see>"
    assert (
        notification_text(text)
        == "<@U1> ended your mentorship in Leadership; /mentor is there :wave: <https://x.example|see>"
    )


def test_plain_text_objects_options_buttons_and_form_errors_are_made_plain():
    from bot.blockkit import button, form_errors, option, plain

    assert plain("Use `/expert topics add`")["text"] == "Use /expert topics add"
    assert option(":white_check_mark: *Yes*", "y")["text"]["text"] == "✅ Yes"
    assert button("`Go`", "go")["text"]["text"] == "Go"
    assert form_errors({"b": "Run `/ask` again :tada:"}) == {
        "response_action": "errors",
        "errors": {"b": "Run /ask again 🎉"},
    }


def test_the_stand_in_finds_markup_where_slack_shows_text_as_typed():
    from fakeslack.blocks import markup_shown_as_typed

    assert (
        markup_shown_as_typed({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "`ok` *ok*"}}]}) == []
    )
    found = markup_shown_as_typed(
        {
            "type": "modal",
            "title": {"type": "plain_text", "text": "*Hi*"},
            "blocks": [
                {
                    "type": "input",
                    "label": {"type": "plain_text", "text": "Run `/ask`", "emoji": True},
                    "element": {
                        "type": "static_select",
                        "options": [{"text": {"type": "plain_text", "text": ":tada: ok"}}],
                    },
                }
            ],
        }
    )
    assert [f.split(" [json-pointer:")[1] for f in found] == [
        "/title/text]",
        "/blocks/0/label/text]",
        "/blocks/0/element/options/0/text/text]",
    ]
    # With `emoji: true` Slack shows a shortcode as the emoji.
    assert markup_shown_as_typed({"text": {"type": "plain_text", "text": ":tada: ok", "emoji": True}}) == []
    assert markup_shown_as_typed({"response_action": "errors", "errors": {"b": "Run `/ask` :tada:"}}) == [
        "a form error shows a backtick as typed: 'Run `/ask` :tada:' [json-pointer:/errors/b]",
        "a form error shows an emoji shortcode as typed: 'Run `/ask` :tada:' [json-pointer:/errors/b]",
    ]
    # A notification (a posted message's `text` beside blocks) shows mentions and links, not marks.
    message = {"text": "<@U1> said *this*", "blocks": [{"type": "divider"}]}
    assert markup_shown_as_typed(message) == []
    assert markup_shown_as_typed(message, notifies=True) == [
        "a notification shows *bold* as typed: '<@U1> said *this*' [json-pointer:/text]"
    ]


@pytest.mark.parametrize(
    "day,words",
    [
        ("2026-12-07", "Monday, December 7th, 2026"),
        ("2026-12-01", "Tuesday, December 1st, 2026"),
        ("2026-12-02", "Wednesday, December 2nd, 2026"),
        ("2026-12-03", "Thursday, December 3rd, 2026"),
        ("2026-12-11", "Friday, December 11th, 2026"),
        ("2026-12-12", "Saturday, December 12th, 2026"),
        ("2026-12-13", "Sunday, December 13th, 2026"),
        ("2026-12-22", "Tuesday, December 22nd, 2026"),
        ("2026-12-31", "Thursday, December 31st, 2026"),
    ],
)
def test_a_day_is_written_as_slack_writes_its_long_date(day, words):
    from datetime import date

    from bot.blockkit import day as written

    assert written(date.fromisoformat(day)) == words


def test_an_instant_is_a_long_date_token_with_the_same_words_as_its_fallback():
    from datetime import UTC, datetime

    from bot.blockkit import at, on

    moment = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    stamp = int(moment.timestamp())
    assert on(moment) == f"<!date^{stamp}^{{date_long}}|Monday, December 7th, 2026>"
    assert at(moment) == f"<!date^{stamp}^{{date_long}} at {{time}}|Monday, December 7th, 2026 at 09:30 UTC>"
    assert at(moment, date=False) == f"<!date^{stamp}^{{time}}|09:30 UTC>"
