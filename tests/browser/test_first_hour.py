"""What a new user meets in their first hour with the playground (issue 20, items 10 to 12): the
/ask form's topic picker, emoji, commands typed in capitals, private channels named in a command,
short fields, the "Act as" menu and the welcome of an empty playground. Each through the page, as a
person uses it."""

from __future__ import annotations

import re

from bot import ids
from playground import sample
from tests.browser.conftest import GENERAL, QA, expect

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
    person.message_action(post, "reply-btn")
    answer = "Four: two technical, one on collaboration, and the hiring manager."
    person.reply(answer)

    person.act_as(CHLOE)
    post.get_by_test_id("replies").click()
    reply = person.thread_messages(answer)
    person.message_shortcut(reply, "accept_answer")
    expect(post).to_contain_text("Resolved")
    expect(post).to_contain_text("Emma Schmidt")


# -- 11. emoji, commands, channel names, short fields, "Act as" -----------------------------------


def test_slacks_emoji_shortcodes_are_shown_as_emoji(person, playground):
    """Every shortcode of Slack's standard set, as Knowhow writes them (:checkered_flag: in each
    closing summary); a skin tone; a name Slack does not know stays as it was typed, as in Slack."""
    from slack_sdk import WebClient

    ws = playground.workspace
    text = (
        ":checkered_flag: Closed · :large_green_circle: open · :star-struck: :flag-gb: :+1::skin-tone-3: :not_an_emoji:"
    )
    WebClient(token=ws.token, base_url=ws.api_url).chat_postMessage(channel=QA, text=text)
    person.open(ALICE, QA)
    shown = person.messages("Closed")
    expect(shown.locator('.emoji[title=":checkered_flag:"]')).to_have_text("🏁")
    expect(shown.locator('.emoji[title=":large_green_circle:"]')).to_have_text("🟢")
    expect(shown.locator('.emoji[title=":star-struck:"]')).to_have_text("🤩")
    expect(shown.locator('.emoji[title=":flag-gb:"]')).to_have_text("🇬🇧")
    expect(shown.locator('.emoji[title=":+1::skin-tone-3:"]')).to_have_text("👍🏼")
    expect(shown).to_contain_text(":not_an_emoji:")
    expect(shown).not_to_contain_text(":checkered_flag:")


def test_a_command_typed_in_capitals_is_the_command(person):
    """Slack takes /ASK as /ask: no "invalid_command" under the message box, and Knowhow answers."""
    person.open(HUGO, GENERAL)
    person.say("/ASK help")
    expect(person.tab.get_by_test_id("composer-error")).to_be_empty()
    expect(person.messages("/ask search").filter(has_text="Only visible to you")).not_to_have_count(0)


def test_a_private_channel_named_by_a_member_becomes_a_link(person):
    """#people-managers typed by one of its members is a channel link, in a command as in a message;
    typed by someone who cannot see it, it stays text."""
    person.open(ALICE, GENERAL)
    person.say("/expert channels add #people-managers")
    answer = person.messages().filter(has_text="Only visible to you").last
    expect(answer.locator(f'[data-channel="{MANAGERS}"]')).not_to_have_count(0)  # Knowhow was given the channel
    expect(answer).not_to_contain_text("Name the channel as a link")

    person.act_as(CHLOE)  # a member
    person.say("The agenda is pinned in #people-managers")
    expect(person.messages("The agenda is pinned").locator(f'[data-channel="{MANAGERS}"]')).to_have_text(
        "#people-managers"
    )
    person.act_as(EMMA)  # not a member: the room's name stays as she typed it
    person.say("Is there a room like #people-managers for product?")
    typed = person.messages("Is there a room like")
    expect(typed).to_contain_text("#people-managers")
    expect(typed.locator("[data-channel]")).to_have_count(0)


def test_a_short_field_shows_no_character_counter(person):
    """The call for volunteers asks for weeks and hours in two-character fields: no "2/2" under
    them. A long field still counts its characters near its limit."""
    person.open(ISLA, GENERAL)  # in KNOWHOW_ADMINS
    person.say("/mentor broadcast")
    weeks = person.field(ids.MENTOR_IN_WEEKS)
    expect(weeks).to_have_value("12")
    counters = person.modal.locator(".bk-counter")
    expect(counters.filter(has_text=re.compile(r"\d"))).to_have_count(0)
    weeks.fill("10")
    person.field(ids.MENTOR_IN_HOURS).fill("4")
    expect(counters.filter(has_text=re.compile(r"\d"))).to_have_count(0)
    goals = person.field(ids.MENTOR_IN_GOALS)
    limit = int(goals.get_attribute("maxlength"))
    goals.fill("x" * (limit - 5))
    expect(counters.filter(has_text=f"{limit - 5}/{limit}")).to_have_count(1)
    person.modal.get_by_test_id("modal-close").click()
    expect(person.modal).to_be_hidden()


def _cut(select) -> bool:
    """Whether the closed <select> shows less than its chosen option's text."""
    return select.evaluate(
        """(el) => {
          const style = getComputedStyle(el);
          const ctx = document.createElement('canvas').getContext('2d');
          ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
          const text = el.options[el.selectedIndex].text;
          const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
          return ctx.measureText(text).width > room;
        }"""
    )


def test_the_act_as_menu_shows_whole_names_and_says_who_each_is(person):
    tab = person.tab
    person.open(ALICE, GENERAL)
    select = tab.get_by_test_id("act-as")
    who = tab.get_by_test_id("act-as-who")
    expect(who).to_contain_text("Head of Learning & Development")
    expect(who).to_contain_text("London")
    expect(who).to_contain_text("Slack admin")
    for p in sample.PEOPLE:
        if sample.LONDON not in p.teams:
            continue
        person.act_as(p.id)
        expect(select.locator("option:checked")).to_have_text(p.real_name)
        assert not _cut(select), f"{p.real_name} is cut in the Act as menu"
        expect(who).to_contain_text(p.title)
    person.act_as(ISLA)
    expect(who).to_contain_text("Knowhow admin")
    # The narrow window's sidebar, too.
    tab.set_viewport_size({"width": 1000, "height": 800})
    person.act_as(GRACE)
    assert not _cut(select)


# -- 12. the welcome of an empty playground ----------------------------------------------------------


def test_an_empty_playground_welcomes_with_three_things_to_try(person):
    tab = person.tab
    tab.goto(tab.base_url + "/")  # as a new visitor: no one chosen, no channel in the address
    welcome = tab.get_by_test_id("welcome")
    expect(welcome).to_be_visible()
    expect(welcome).to_contain_text("Welcome to the Knowhow playground")
    expect(welcome.get_by_test_id("try")).to_have_count(3)
    expect(welcome).to_contain_text("make demo")
    # Each suggestion puts its command in the message box, ready to send.
    welcome.get_by_test_id("try").first.click()
    composer = tab.get_by_test_id("composer")
    expect(composer).to_have_value(re.compile(r"^/ask \S"))
    expect(composer).to_be_focused()
    question = composer.input_value().removeprefix("/ask ")
    with tab.expect_response(lambda r: r.url.endswith("/api/message") and r.request.method == "POST"):
        composer.press("Enter")
    expect(person.messages(question).filter(has_text="Asked by")).to_have_count(1)
    # The welcome stays at the top of the channel, as its introduction.
    expect(welcome).to_have_count(1)
    # Only the Q&A channel, where the page opens, carries it.
    person.go(GENERAL)
    expect(tab.get_by_test_id("welcome")).to_have_count(0)
