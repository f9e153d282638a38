"""Knowhow through the playground's page, as people use it: typing in the message box, clicking
buttons and menus, filling forms, switching who they act as; and checking only what the page shows.
Behind the page: the workspace and the real `knowhow run` (tests/playground's fixture)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core import clock
from playground import sample
from scheduler import jobs
from tests.browser.conftest import EXPERT, GENERAL, QA, SG_GENERAL, dm_with_knowhow, expect

ALICE, BEN, CHLOE, DEVIKA, EMMA = "U0ALICE001", "U0BEN00001", "U0CHLOE001", "U0DEVIKA01", "U0EMMA0001"
FELIX, GRACE, HUGO, ISLA, KEIKO = "U0FELIX001", "U0GRACE001", "U0HUGO0001", "U0ISLA0001", "U0KEIKO001"


def _wall_clock(user: str, moment: datetime) -> str:
    """What a datetime-local input shows for `moment` to `user` (the page uses their time zone)."""
    return moment.astimezone(ZoneInfo(sample.person(user).tz)).strftime("%Y-%m-%dT%H:%M")


def test_ask_answer_in_the_thread_and_accept(person):
    question = "How do we run a blameless post-mortem after an incident?"
    person.open(DEVIKA, QA)
    person.say("/ask " + question)

    post = person.messages(question).filter(has_text="Asked by")
    expect(post).to_have_count(1)
    expect(post).to_contain_text("Devika Rao")
    # Knowhow tells the asker privately where the question went.
    expect(person.tab.locator(".message-ephemeral").filter(has_text="Only visible to you")).not_to_have_count(0)

    # Grace answers in the thread.
    person.act_as(GRACE)
    person.message_action(post, "reply-btn")
    expect(person.tab.get_by_test_id("thread")).to_be_visible()
    reply = "Write the timeline first, facts only, and ask what made it easy to get wrong."
    person.reply(reply)
    expect(person.thread_messages(reply)).to_have_count(1)
    expect(post.get_by_test_id("replies")).to_have_text(re.compile(r"1 reply"))
    expect(post).to_contain_text("Answered")

    # Devika accepts it with the message shortcut in the reply's ⋯ menu.
    person.act_as(DEVIKA)
    expect(person.tab.get_by_test_id("thread")).to_be_hidden()
    post.get_by_test_id("replies").click()
    answer = person.thread_messages(reply)
    person.message_shortcut(answer, "accept_answer")

    # The question's post now shows it resolved, crediting Grace, for Devika and for everyone else.
    expect(post).to_contain_text("Resolved")
    expect(post).to_contain_text("Grace Kim")
    expect(person.thread_messages("Accepted")).not_to_have_count(0)
    person.act_as(EMMA)
    expect(person.messages(question).filter(has_text="Resolved")).to_have_count(1)


def test_an_expert_session_opens_and_closes_on_time(person):
    """Scheduled through the form for the shortest length Knowhow allows (1 minute), starting now:
    Knowhow's scheduler opens it at once and closes it once its minute is over, and the channel
    shows both. The minute passes on Knowhow's clock (`core.clock.advance`) and the scheduler's
    sweep, which runs every 30 s, is run at once; the alarm at the end itself is tested in
    tests/edge/test_http_sessions.py."""
    topic = "Preparing a conference talk"
    person.open(ALICE, EXPERT)
    person.say("/expert channels add #ask-the-expert")
    expect(person.messages("hosts").filter(has_text="ask-the-expert")).not_to_have_count(0)

    person.say("/expert schedule")
    expect(person.modal).to_contain_text("Schedule a session")
    person.field("topic").fill(topic)
    person.field("experts").locator("select").select_option(GRACE)
    expect(person.field("experts")).to_contain_text("Grace Kim")
    # Only the channels that host sessions are offered, the one this runs in chosen.
    expect(person.field("channel").locator("option:checked")).to_have_text("#ask-the-expert")
    expect(person.field("channel").locator("option", has_text="#")).to_have_text(["#ask-the-expert"])
    # This minute, in Alice's time zone: a start already begun counts as now.
    person.field("start").fill(_wall_clock(ALICE, datetime.now().astimezone()))
    person.field("minutes").fill("1")
    person.submit()
    expect(person.modal).to_be_hidden()

    announcement = person.messages(f"Ask the Expert: {topic}")
    expect(announcement).to_have_count(1)
    opened = person.messages(f"Ask the Expert is open: {topic}")
    expect(opened).to_have_count(1)
    expect(opened).to_contain_text("Grace Kim")

    # While it is open, Hugo asks in the channel; Knowhow acknowledges it quietly with a reaction.
    person.act_as(HUGO)
    question = "How long should a lightning talk's first slide stay up?"
    person.say(question)
    asked = person.messages(question)
    expect(asked.get_by_test_id("reaction")).to_have_attribute("data-name", "eyes")

    # On time, Knowhow closes it: the summary lists Hugo's question as not answered yet.
    closed = person.messages(f"Ask the Expert is closed: {topic}")
    expect(closed).to_have_count(0)  # not before its minute is over
    clock.advance(timedelta(seconds=61))
    jobs.sweep_sessions()
    expect(closed).to_have_count(1)
    expect(closed).to_contain_text(question)
    expect(closed.locator('.emoji[title=":checkered_flag:"]')).to_have_text("🏁")  # not ":checkered_flag:"


def test_volunteer_and_request_a_mentor_through_to_the_introduction(person):
    # An admin (Isla is in KNOWHOW_ADMINS) puts the topic on the list.
    person.open(ISLA, GENERAL)
    person.say("/mentor topics add Negotiation")
    expect(person.messages("Negotiation").filter(has_text="Only visible to you")).not_to_have_count(0)

    # Chloé volunteers through the form.
    person.act_as(CHLOE)
    person.say("/mentor volunteer")
    expect(person.modal).to_contain_text("Volunteer as a mentor")
    person.field("mentor_topics").locator("select").select_option(label="Negotiation")
    expect(person.field("mentor_topics")).to_contain_text("Negotiation")
    person.field("mentor_note").fill("Happy to role-play a salary talk.")
    person.submit()
    expect(person.modal).to_contain_text("Thank you for volunteering")
    person.modal.get_by_test_id("modal-close").click()
    expect(person.modal).to_be_hidden()

    # Hugo asks for a mentor in it through the form; Knowhow offers Chloé in his DM with it.
    person.act_as(HUGO)
    person.say("/mentor find")
    expect(person.modal).to_contain_text("Find a mentor")
    person.field("mentor_topic").select_option(label="Negotiation")
    goal = "Prepare for my first salary negotiation with a client."
    person.field("mentor_goal").fill(goal)
    person.submit()
    expect(person.modal).to_contain_text("Knowhow found colleagues")
    person.modal.get_by_test_id("modal-close").click()
    person.go(dm_with_knowhow(HUGO))
    offer = person.messages("Colleagues who could mentor you")
    expect(offer).to_contain_text("Chloé Dubois")
    offer.locator('[data-action-id="mentor_choose"]').first.click()
    expect(person.messages("Knowhow asked")).to_contain_text("Chloé Dubois")

    # Chloé accepts in her DM with Knowhow.
    person.act_as(CHLOE)
    person.go(dm_with_knowhow(CHLOE))
    ask = person.messages("would like you as their mentor")
    expect(ask).to_contain_text("Hugo Silva")
    ask.locator('[data-action-id="mentor_accept"]').click()

    # The introduction arrives in a group DM of the two of them and Knowhow.
    group = person.tab.locator('#sidebar [data-testid^="conv-G"]')
    expect(group).to_have_count(1)
    group.click()
    intro = person.messages("meet")
    expect(intro).to_contain_text("has agreed to mentor")
    expect(intro).to_contain_text(goal)
    person.act_as(HUGO)
    expect(group).to_have_count(1)
    group.click()
    expect(person.messages("has agreed to mentor")).to_contain_text("Chloé Dubois")


def test_app_home_shows_the_persons_own_picture_and_the_scoreboard(person):
    person.open(KEIKO, SG_GENERAL)  # in Acme Singapore, her workspace
    person.tab.get_by_test_id("nav-home").click()
    home = person.tab.get_by_test_id("home")
    expect(home).to_contain_text("Your questions (0 asked)")
    expect(home).to_contain_text("Across the workspace")  # the scoreboard
    expect(home).to_contain_text("Mentoring")

    # Asking from the Home's button: the picture counts the question.
    home.locator('[data-action-id="home_ask"]').click()
    expect(person.modal).to_be_visible()
    question = "Which tools do designers here use for prototypes?"
    person.modal.locator("textarea, input[type=text]").first.fill(question)
    person.submit()
    # The form says what became of the question, in place (looked up after the ack), and closes.
    expect(person.modal).to_contain_text("posting your question")
    person.modal.get_by_test_id("modal-close").click()
    expect(person.modal).to_be_hidden()
    # Once the question is posted, Knowhow publishes Keiko's Home again: the open tab shows it.
    expect(home).to_contain_text("Your questions (1 asked)")
    expect(home).to_contain_text(question)
    person.go(QA)
    expect(person.messages(question).filter(has_text="Asked by")).to_have_count(1)

    # Another person's Home is theirs: switching to Felix on the Home tab opens his.
    person.tab.get_by_test_id("nav-home").click()
    person.act_as(FELIX)
    expect(home).to_contain_text("Your questions (0 asked)")
    expect(home).not_to_contain_text(question)


def test_a_forms_inline_errors_are_shown(person):
    person.open(ALICE, EXPERT)
    person.say("/expert channels add #ask-the-expert")
    person.say("/expert schedule")
    expect(person.modal).to_contain_text("Schedule a session")

    # The page's own checks, as Slack's client makes them: a required field, a number's range.
    person.field("minutes").fill("0")
    person.submit()
    errors = person.modal.get_by_test_id("input-error")
    expect(errors.filter(has_text="Please complete this required field.")).to_have_count(1)  # the topic
    expect(errors.filter(has_text="at least 1")).to_have_count(1)

    # Knowhow's own check, sent back with response_action "errors": a start that has passed.
    person.field("topic").fill("Hiring well")
    person.field("minutes").fill("30")
    person.field("start").fill(_wall_clock(ALICE, datetime.now().astimezone() - timedelta(days=1)))
    person.submit()
    start_error = person.modal.locator('[data-block-id="start"]').get_by_test_id("input-error")
    expect(start_error).to_have_text("That time has passed: choose a later one.")
    expect(person.modal.locator('[data-block-id="topic"]').get_by_test_id("input-error")).to_be_hidden()

    person.modal.get_by_test_id("modal-close").click()
    expect(person.modal).to_be_hidden()


def test_cancel_on_a_form_knowhow_has_just_closed_closes_it_without_an_error(person, playground):
    """Cancel clicked while the form's submission was closing it (the page not redrawn yet): the
    form is gone, as the person wanted, and no "view_not_found" is shown."""
    tab = person.tab
    person.open(ALICE, GENERAL)
    person.say("/ask")
    expect(person.modal).to_be_visible()
    view_id = person.modal.get_attribute("data-view-id")
    # The page does not hear of the form closing before Cancel is clicked.
    with tab.expect_event("requestfailed", lambda r: "/api/state" in r.url):
        tab.route("**/api/state*", lambda route: route.abort())
    playground.workspace.close_view(ALICE, view_id)
    with tab.expect_response(lambda r: r.url.endswith("/api/close")):
        person.modal.get_by_test_id("modal-close").click()
    tab.unroute("**/api/state*")
    expect(person.modal).to_be_hidden()
    # (An error would have been shown as the close was answered, and is shown for 8 s.)
    assert tab.get_by_test_id("error-toast").all_inner_texts() == []


PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def test_images_come_only_from_the_playground_and_the_page_cannot_be_framed(person, playground):
    from slack_sdk import WebClient

    ws = playground.workspace
    WebClient(token=ws.token, base_url=ws.api_url).chat_postMessage(
        channel=QA,
        text="pictures",
        blocks=[
            {"type": "image", "image_url": "https://example.com/tracker.png", "alt_text": "elsewhere"},
            {"type": "image", "image_url": "//example.com/x.png", "alt_text": "no scheme"},
            {"type": "image", "image_url": PIXEL, "alt_text": "inline"},
            {
                "type": "context",
                "elements": [{"type": "image", "image_url": "http://example.com/c.png", "alt_text": "ctx"}],
            },
        ],
    )
    with person.tab.expect_response(lambda r: r.url.split("?")[0].endswith("/")) as first:
        person.open(ALICE, QA)
    headers = first.value.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"] and headers["x-frame-options"] == "DENY"
    post = person.messages("elsewhere")
    expect(post.locator("img")).to_have_count(1)
    assert post.locator("img").get_attribute("src") == PIXEL
    expect(post.get_by_test_id("image-link")).to_have_count(2)  # shown as links to them, not loaded
    expect(post.get_by_test_id("image-link").first).to_have_attribute("href", "https://example.com/tracker.png")
    expect(post.get_by_test_id("image-placeholder")).to_have_count(1)  # `//host/x` is neither


def test_the_page_opens_the_qa_channel_and_follows_the_hash(person):
    tab = person.tab
    favicon = []
    tab.on("request", lambda r: favicon.append(r.url) if "favicon" in r.url else None)
    tab.goto(f"{tab.base_url}/?as={ALICE}")
    expect(tab.get_by_test_id(f"conv-{QA}")).to_have_attribute("aria-current", "page")  # no hash: the Q&A channel
    tab.evaluate(f"location.hash = '#{GENERAL}'")
    expect(tab.get_by_test_id(f"conv-{GENERAL}")).to_have_attribute("aria-current", "page")
    tab.evaluate("location.hash = '#home'")
    expect(tab.get_by_test_id("home")).to_be_visible()
    tab.go_back()  # back to #general
    expect(tab.get_by_test_id(f"conv-{GENERAL}")).to_have_attribute("aria-current", "page")
    expect(tab.get_by_test_id("home")).to_be_hidden()
    assert favicon == []  # no /favicon.ico asked for (and answered 404)


def test_switching_workspace_is_as_easy_as_switching_person(person):
    """Acme London and Acme Singapore: the workspace picker beside the person picker; someone of the
    other office takes the page there, and a workspace the person is not in switches person."""
    tab, LIAM = person.tab, "U0LIAM0001"
    person.open(ALICE, GENERAL)  # Alice is in both; her first is London
    expect(tab.locator("body")).to_have_attribute("data-team", sample.LONDON)
    expect(tab.get_by_test_id("workspace")).to_have_value(sample.LONDON)
    expect(tab.get_by_test_id(f"conv-{EXPERT}")).to_be_visible()  # London's own channel
    expect(tab.get_by_test_id(f"conv-{SG_GENERAL}")).to_have_count(0)
    expect(tab.get_by_test_id(f"conv-{QA}").get_by_test_id("shared")).to_have_count(1)  # shared by both

    # Alice switches to Singapore: its channels (and the shared ones), still as Alice.
    tab.get_by_test_id("workspace").select_option(sample.SINGAPORE)
    expect(tab.locator("body")).to_have_attribute("data-team", sample.SINGAPORE)
    expect(tab.locator("#workspace-name")).to_have_text("Acme Singapore")
    expect(tab.get_by_test_id(f"conv-{SG_GENERAL}")).to_be_visible()
    expect(tab.get_by_test_id(f"conv-{EXPERT}")).to_have_count(0)
    expect(tab.locator("body")).to_have_attribute("data-as", ALICE)

    # Liam is in Singapore only: acting as him keeps the workspace.
    person.act_as(LIAM)
    expect(tab.locator("body")).to_have_attribute("data-team", sample.SINGAPORE)
    # Ben is in London only: acting as him takes the page to London.
    person.act_as(BEN)
    expect(tab.locator("body")).to_have_attribute("data-team", sample.LONDON)
    expect(tab.get_by_test_id("workspace")).to_have_value(sample.LONDON)
    expect(tab.get_by_test_id(f"conv-{EXPERT}")).to_be_visible()
    # Back to Singapore, where Ben is not: the page acts as whom it last acted as there, Liam.
    tab.get_by_test_id("workspace").select_option(sample.SINGAPORE)
    expect(tab.locator("body")).to_have_attribute("data-as", LIAM)
    expect(tab.get_by_test_id("act-as")).to_have_value(LIAM)
    expect(tab.get_by_test_id(f"conv-{SG_GENERAL}")).to_be_visible()

    # Opening the page on a channel of her other workspace takes Alice there.
    tab.goto("about:blank")
    person.open(ALICE, SG_GENERAL)
    expect(tab.locator("body")).to_have_attribute("data-team", sample.SINGAPORE)
