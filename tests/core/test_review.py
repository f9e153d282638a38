"""The "post this?" step's rules (core.asking.needs_review, form_boxes) and where long text is cut
(core.markup.cut_point), with plain values: no Slack."""

from __future__ import annotations

import re

import pytest

from core import asking
from core.asking import ReviewReason
from core.markup import cut_point
from storage import qa
from storage.db import session_scope

TEAM = "T0FAKETEAM"
QA = "C0QUESTION"


@pytest.mark.parametrize(
    "text",
    [
        "foo",
        "test",
        "Kubernetes?",  # a question mark does not make one word a question for the whole company
        "VPN broken",
        "kubectl get pods -n staging",  # a command typed after /ask by mistake: five words, nothing asked
        "<@U0HELPER1> <https://wiki.example/x|the wiki>",
    ],
)
def test_very_short_text_is_shown_before_it_is_posted(text):
    review = asking.needs_review(text)
    assert review is not None and review.reason is ReviewReason.SHORT


@pytest.mark.parametrize(
    "text",
    [
        "Where are the fire exits?",
        "How do I rotate keys",  # opens with a question word: no question mark needed
        "Is staging down",
        "Who approves holidays?",
        "Need help choosing a laptop for data science work",  # six words or more: taken as meant
        "如何申请新的笔记本电脑？",  # no spaces, a full-width question mark
        "Как настроить VPN?",
        "متى يبدأ التقييم السنوي؟",
    ],
)
def test_questions_that_read_as_questions_are_posted_straight_away(text):
    assert asking.needs_review(text) is None


def test_details_count_with_the_question():
    assert asking.needs_review("Deploy hangs") is not None
    assert asking.needs_review("Deploy hangs", details="It stops at helm upgrade for ten minutes") is None


def test_words_of_scripts_without_spaces_count_two_characters_each():
    assert asking.word_count("如何申请新的笔记本电脑") == 6
    assert asking.word_count("VPNの設定") == 2
    assert asking.word_count("&amp;&amp; &lt;3") == 1  # entities as the reader sees them, not "amp amp lt"


def test_exactly_one_blocks_worth_is_not_long():
    assert asking.needs_review(_prose(asking.LONG_CHARS)) is None


def test_over_one_blocks_worth_is_very_long_and_says_how_long():
    review = asking.needs_review("Why is CI slow? " * 200)
    assert review.reason is ReviewReason.LONG and review.chars == len(("Why is CI slow? " * 200).strip())


def _prose(chars: int) -> str:
    sentences, n = [], 0
    while sum(len(s) + 1 for s in sentences) < chars:
        n += 1
        sentences.append(f"Sentence number {n} says something about the build cache and its keys.")
    return " ".join(sentences)[:chars]


def test_long_text_is_cut_after_a_paragraph_then_a_line_then_a_sentence():
    para = _prose(1500) + "\n\n" + _prose(2000)
    end, start = cut_point(para, 3000)
    assert para[:end].endswith(_prose(1500)) and para[start:].startswith("Sentence number 1 ")

    lines = _prose(1500) + "\n" + _prose(2000)
    end, start = cut_point(lines, 3000)
    assert (end, start) == (1500, 1501)

    prose = _prose(6000)
    end, start = cut_point(prose, 3000)
    assert end <= 3000 and prose[:end].endswith(".") and prose[start:].startswith("Sentence number")


def test_text_without_sentence_ends_is_cut_at_a_space_then_at_the_limit():
    words = "word " * 1000
    end, start = cut_point(words, 3000)
    assert words[end] == " " and start == end + 1
    assert cut_point("x" * 9000, 3000) == (3000, 3000)
    assert cut_point("short", 3000) == (5, 5)


def test_a_sentence_end_is_not_taken_inside_a_number_or_a_file_name():
    text = "Version 3.14 of config.yaml breaks " + "a" * 2990 + " it."
    end, _ = cut_point(text, 3000)
    assert text[end - 1] == " " or text[:end].endswith(("breaks", "a"))  # no cut after "3." or "config."
    assert not re.search(r"\d\.$|config\.$", text[:end])


def test_the_form_holds_a_long_question_as_its_first_paragraph_and_the_rest_as_details():
    first = "Why does our CI take forty minutes?"
    rest = _prose(2990)
    question, details = asking.form_boxes(first + "\n\n" + rest)
    assert (question, details) == (first, rest)

    one_paragraph = _prose(5000)
    question, details = asking.form_boxes(one_paragraph)
    assert len(question) <= asking.LONG_CHARS and question.endswith(".")
    assert question + " " + details == one_paragraph

    assert asking.form_boxes("short one", "and its details") == ("short one", "and its details")
    assert asking.form_boxes(_prose(7000)) is None  # more than both boxes hold: nothing is dropped


def _ask(session, text, request_id="trig-1"):
    return asking.ask_question(
        session, team_id=TEAM, asker_id="U0ASKER", text=text, qa_channel_id=QA, request_id=request_id, review=True
    )


def test_a_very_short_question_is_held_with_why(engine):
    with session_scope(engine) as s:
        outcome = _ask(s, "foo")
        status = qa.get_question(s, team_id=TEAM, question_id=outcome.question_id).status
    assert outcome.held and outcome.review.reason is ReviewReason.SHORT and outcome.review.words == 1
    assert status == "held"
    with session_scope(engine) as s:
        again = _ask(s, "foo")  # the same request again (a Slack retry): the same question, nothing new
    assert not again.new and again.question_id == outcome.question_id


def test_cancelled_is_withdrawn_once_and_can_no_longer_be_posted(engine):
    with session_scope(engine) as s:
        qid = _ask(s, "foo").question_id
    decide = dict(team_id=TEAM, question_id=qid, answered_by=None)
    with session_scope(engine) as s:
        assert asking.decide_held(s, **decide, user_id="U0OTHER", withdraw=True) is asking.HeldChoice.NOT_YOURS
        assert asking.decide_held(s, **decide, user_id="U0ASKER", withdraw=True) is asking.HeldChoice.WITHDRAWN
    with session_scope(engine) as s:
        assert asking.decide_held(s, **decide, user_id="U0ASKER") is asking.HeldChoice.ALREADY_DECIDED
        assert qa.get_question(s, team_id=TEAM, question_id=qid).status == "withdrawn"
