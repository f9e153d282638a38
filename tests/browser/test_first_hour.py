"""What a new user meets in their first hour with the playground (issue 20, items 10 to 12): the
/ask form's topic picker, emoji, commands typed in capitals, private channels named in a command,
short fields, the "Act as" menu and the welcome of an empty playground. Each through the page, as a
person uses it."""

from __future__ import annotations

import re

from bot import ids
from playground import sample
from tests.browser.conftest import QA, expect

ALICE, BEN, CHLOE, DEVIKA, EMMA = "U0ALICE001", "U0BEN00001", "U0CHLOE001", "U0DEVIKA01", "U0EMMA0001"
GRACE, HUGO, ISLA = "U0GRACE001", "U0HUGO0001", "U0ISLA0001"
MANAGERS = sample.MANAGERS_CHANNEL


# -- 10. the /ask form's topics -------------------------------------------------------------------


def test_the_ask_forms_topic_picker_offers_topics_and_brings_in_those_who_know(person):
    """Chloé lists Hiring; Hugo asks through the form and picks Hiring from the picker's
    suggestions; Chloé is invited into the thread and, as someone who lists the topic, accepts
    Emma's answer although she did not ask."""
    person.open(CHLOE, QA)
    person.say("/expert topics add Hiring")
    expect(person.messages("Hiring").filter(has_text="Only visible to you")).not_to_have_count(0)

    person.act_as(HUGO)
    person.say("/ask")
    expect(person.modal).to_contain_text("Ask your colleagues")
    question = "How many interviewers should a senior engineer's loop have?"
    person.field(ids.ASK_MODAL_QUESTION).fill(question)
    topics = person.field(ids.ASK_MODAL_TOPICS)
    topics.locator("input").fill("hiring")
    suggestions = topics.get_by_role("option")
    expect(suggestions.filter(has_text=re.compile("^Hiring$"))).to_have_count(1)  # the existing topic
    expect(suggestions.filter(has_text="New topic")).to_have_count(0)  # a spelling of it is not new
    suggestions.filter(has_text="Hiring").click()
    expect(topics.locator(".bk-chip")).to_have_text(["Hiring×"])
    # A topic nobody used yet, typed and taken as new.
    topics.locator("input").fill("Interview loops")
    topics.get_by_role("option").filter(has_text="New topic: Interview loops").click()
    expect(topics.locator(".bk-chip")).to_have_count(2)
    person.submit()
    expect(person.modal).to_contain_text("posting your question")
    person.modal.get_by_test_id("modal-close").click()

    post = person.messages(question).filter(has_text="Asked by")
    expect(post).to_contain_text("Hiring")
    expect(post).to_contain_text("Interview loops")
    # Chloé, who lists Hiring, is invited into the thread (never the asker).
    expect(post.get_by_test_id("replies")).to_be_visible()
    post.get_by_test_id("replies").click()
    invitation = person.thread_messages("Could you help here?")
    expect(invitation).to_contain_text("Chloé Dubois")
    expect(invitation).not_to_contain_text("Hugo Silva")

    person.act_as(EMMA)
    post.hover()
    post.get_by_test_id("reply-btn").click()
    answer = "Four: two technical, one on collaboration, and the hiring manager."
    person.reply(answer)

    person.act_as(CHLOE)
    post.get_by_test_id("replies").click()
    reply = person.thread_messages(answer)
    reply.hover()
    reply.get_by_test_id("msg-menu").click()
    reply.get_by_test_id("shortcut-accept_answer").click()
    expect(post).to_contain_text("Resolved")
    expect(post).to_contain_text("Emma Schmidt")
