"""The whole demo walked through the playground's page as several people, in one go (issue 20, "Done
means"): ask (the form with topics, and `/ask <text>`), answer in the thread, accept, topics, a
panel session with two experts, a mentor match, the scoreboard and App Home.

At each step the test asserts what the person sees, on facts that stay true when a text is
reworded (a question's text, a person's name, a state word), and `_looks_right` reads everything
the page shows then: no raw code, no contradiction, no dead end."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import ids
from playground import sample
from tests.browser.conftest import EXPERT, GENERAL, QA, dm_with_knowhow, expect

ALICE, BEN, CHLOE, EMMA = "U0ALICE001", "U0BEN00001", "U0CHLOE001", "U0EMMA0001"
GRACE, HUGO, ISLA = "U0GRACE001", "U0HUGO0001", "U0ISLA0001"

# -- what no person should meet -------------------------------------------------------------------

RAW = (
    (re.compile(r"(?<![\w:]):[a-z+][a-z0-9_+\-]*:(?![\w])"), "an emoji shortcode shown as typed"),
    (re.compile(r"`"), "a backtick"),
    (re.compile(r"(?<![\w*])\*(?=\S)[^*\n]{1,120}(?<=\S)\*(?![\w*])"), "*bold* markers"),
    (re.compile(r"(?<![\w])_(?=[^\s_])[^_\n]{1,120}(?<=[^\s_])_(?!\w)"), "_italic_ markers"),
    (re.compile(r"(?<![\w~])~(?=\S)[^~\n]{1,120}(?<=\S)~(?![\w~])"), "~strike~ markers"),
    (re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"), "a snake_case code (an error code, an id)"),
    (re.compile(r"\b(?:KNOWHOW|SLACK)_[A-Z0-9_]+"), "a setting's name"),
    (re.compile(r"<[@#!]|<https?:|&(?:amp|lt|gt);"), "Slack markup shown as typed"),
    (re.compile(r"\b[UCDGTBEV]0[A-Z0-9]{7,}\b"), "a Slack id"),
    (re.compile(r"@None\b|\b(?:null|undefined|NaN)\b|\bNone\b(?=[ \t]*(?:$|[),;|·]))|\[object ", re.M), "a null"),
    (re.compile(r"\[unsupported |could not be shown|Slack would refuse"), "a view Slack would not show"),
)
REFUSAL = re.compile(
    r"\b(?:sorry|cannot|can't|could not|couldn't|not allowed|unable to|"
    r"only (?:the|workspace|knowhow|admins?|people|an?|its)\b[^.]*\b(?:can|may|choose|change|add)\b(?! see))",
    re.I,
)
WAY_FORWARD = re.compile(
    r"/(?:ask|expert|mentor|invite)\b|\b(?:try|ask|use|run|choose|pick|invite|add|check|wait|contact|click|type|"
    r"reply|react|take it over|schedule|say which|name the)\b",
    re.I,
)
# Where a question stands, as the surfaces say it.
OPEN = re.compile(r"\bopen\b|not answered|unanswered|no answers? yet|waiting for an answer", re.I)
RESOLVED = re.compile(r"\bresolved\b", re.I)
PROMISE = re.compile(r"@?([A-Z][\w.'-]+(?: [A-Z][\w.'-]+)*) will answer (?:it |this )?by ([^.\n(:]+?)(?=[.\n(:]|$| ·)")


def _units(tab, question: str) -> list[str]:
    """The texts that say where `question` stands: each message, App Home block, form block or
    list row showing it; a bullet under a heading ("Deferred", "Not answered yet") with its heading;
    a line of its own where a block shows several questions."""
    found = []
    places = tab.locator(
        '[data-testid="message"] .message-body, [data-testid="home"] [data-block-id], '
        '[data-testid="modal"] [data-block-id]'
    )
    for text in places.filter(has_text=question[:60]).all_inner_texts():
        lines = text.splitlines()
        if len([line for line in lines if line.strip().startswith("•")]) <= 1 and text.count("?") <= 1:
            found.append(text)
            continue
        heading = ""
        for line in lines:
            if not line.strip().startswith("•"):
                heading = line
            if question[:60] in line:
                found.append(f"{heading}\n{line}" if line.strip().startswith("•") else line)
    return found


def _looks_right(tab, states: dict[str, tuple]) -> None:
    """Everything the page shows now, read as a person would:
    - no raw code: emoji shortcodes, backticks, mrkdwn markers in rendered text, error codes,
      settings' names, Slack markup or ids, nulls, views the page could not show;
    - no dead end: each thing Knowhow says (a message, a private answer, a form, a form's error)
      and each notice of the page that refuses something says what to do instead;
    - no contradiction: every place showing a question agrees on where it stands (`states`:
      question -> ("open",) | ("answered",) | ("resolved",) | ("deferred", expert's name)), once
      the page has looked again (it polls): a disagreement that lasts is a contradiction."""
    text = tab.locator("body").inner_text()
    problems = []
    for pattern, what in RAW:
        for m in pattern.finditer(text):
            around = text[max(m.start() - 40, 0) : m.end() + 40].replace("\n", " ⏎ ")
            problems.append(f"{what}: {m.group(0)!r} in …{around}…")
    said = tab.locator(
        '.message:has(.app-badge) :is(.blocks, .message-text), [data-testid="modal"] [data-block-id], '
        '[data-testid="input-error"]:visible, .toast, [data-testid="composer-error"], [data-testid="thread-error"]'
    ).all_inner_texts()
    for note in said:
        if REFUSAL.search(note) and not WAY_FORWARD.search(note):
            problems.append(f"a refusal that does not say what to do: {note!r}")
    assert not problems, "\n".join(problems)
    # The page reads a conversation and its open thread in two requests, each poll: for one poll
    # they may hold a post before and after a change. What disagrees for longer is a contradiction.
    deadline = time.monotonic() + 15
    while problems := _contradictions(tab, states):
        assert time.monotonic() < deadline, "\n".join(problems)
        tab.wait_for_event("response", lambda r: "/api/state" in r.url)  # the page's next look


def _contradictions(tab, states: dict[str, tuple]) -> list[str]:
    problems = []
    me = sample.person(tab.locator("body").get_attribute("data-as")).real_name
    for question, (state, *who) in states.items():
        for unit in _units(tab, question):
            if state in ("answered", "resolved") and OPEN.search(unit):
                problems.append(f"{question!r} is {state}, but shown as open: {unit!r}")
            if state == "open" and (RESOLVED.search(unit) or PROMISE.search(unit)):
                problems.append(f"{question!r} is open, but shown otherwise: {unit!r}")
            if state == "deferred":
                for name, _day in PROMISE.findall(unit):
                    if (me if name == "You" else name) != who[0]:
                        problems.append(f"{question!r} is {who[0]}'s to answer, but shown as {name}'s: {unit!r}")
    return problems


def _figures(text: str) -> dict[str, str]:
    """A scoreboard's figures as shown ("Asked: 4" -> {"Asked": "4"}), wherever it is shown."""
    return dict(
        re.findall(
            r"(Asked|answered|resolved|Sessions held|questions|handled|Active pairs): ([^·\n]+?)(?= ·|\n|$)", text
        )
    )


def _wall_clock(user: str, moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(sample.person(user).tz)).strftime("%Y-%m-%dT%H:%M")


def test_a_person_walks_through_the_whole_demo_without_meeting_raw_code_a_contradiction_or_a_dead_end(person):
    tab = person.tab
    states: dict[str, tuple] = {}

    def looks_right():
        _looks_right(tab, states)

    def posts(text):
        """Messages everyone sees (not private answers) in the open conversation, holding `text`."""
        return tab.locator('[data-testid="messages"] .message:not(.message-ephemeral)').filter(has_text=text)

    def private_notes(text=None):
        found = tab.locator('[data-testid="messages"] .message-ephemeral')
        return found.filter(has_text=text) if text else found

    def close_form(field: str) -> None:
        """A form submitted: once its field `field` is gone (the form closed, or says in place what
        came of it), closed."""
        expect(person.field(field)).to_have_count(0)
        if person.modal.is_visible():
            person.modal.get_by_test_id("modal-close").click()
        expect(person.modal).to_be_hidden()

    def accept_by_shortcut(post, answer: str) -> None:
        post.get_by_test_id("replies").click()
        reply = person.thread_messages(answer)
        person.message_shortcut(reply, "accept_answer")

    # -- 1. Ask through the form, with a topic: someone who lists it is invited ----------------------
    person.open(CHLOE, QA)
    looks_right()  # the welcome
    person.say("/expert topics add Hiring")
    expect(private_notes("Hiring")).to_have_count(1)
    looks_right()

    person.act_as(HUGO)
    person.say("/ask")
    hiring_q = "How many interviewers should a senior engineer's interview loop have?"
    person.field(ids.ASK_MODAL_QUESTION).fill(hiring_q)
    topics = person.field(ids.ASK_MODAL_TOPICS)
    topics.locator("input").fill("hiring")
    topics.get_by_role("option").filter(has_text=re.compile("^Hiring$")).click()
    expect(topics.locator(".bk-chip")).to_have_count(1)
    looks_right()
    person.submit()
    close_form(ids.ASK_MODAL_QUESTION)
    hiring_post = posts(hiring_q)
    expect(hiring_post).to_have_count(1)
    expect(hiring_post).to_contain_text("Hugo Silva")
    expect(hiring_post).to_contain_text("Hiring")
    states[hiring_q] = ("open",)
    expect(hiring_post.get_by_test_id("replies")).to_be_visible()  # Knowhow invited Chloé in the thread
    hiring_post.get_by_test_id("replies").click()
    expect(person.thread_messages("Chloé Dubois")).to_have_count(1)
    looks_right()

    # -- 2. Ask with `/ask <text>`, from #general: the question goes to the Q&A channel ---------------
    person.act_as(BEN)
    person.go(GENERAL)
    oneone_q = "What should I cover in my first one-to-ones as a newly promoted manager?"
    person.say("/ask " + oneone_q)
    looks_right()
    person.go(QA)
    oneone_post = posts(oneone_q)
    expect(oneone_post).to_have_count(1)
    expect(oneone_post).to_contain_text("Ben Okafor")
    states[oneone_q] = ("open",)
    looks_right()

    # -- 3. Answered in the thread, each by someone else -----------------------------------------------
    person.act_as(EMMA)
    hiring_post.get_by_test_id("replies").click()
    hiring_a = "Four: two technical, one on collaboration, and the hiring manager."
    person.reply(hiring_a)
    expect(person.thread_messages(hiring_a)).to_have_count(1)
    expect(hiring_post).to_contain_text("Answered")
    states[hiring_q] = ("answered",)
    looks_right()
    person.act_as(GRACE)
    person.message_action(oneone_post, "reply-btn")
    oneone_a = "Ask what they want from you and how they like feedback; agree a regular slot."
    person.reply(oneone_a)
    expect(person.thread_messages(oneone_a)).to_have_count(1)
    expect(oneone_post).to_contain_text("Answered")
    states[oneone_q] = ("answered",)
    looks_right()

    # -- 4. Accepted -------------------------------------------------------------------------------------
    # Emma neither asked nor lists the topic: she may not accept, and is told what she can do.
    person.act_as(EMMA)
    accept_by_shortcut(oneone_post, oneone_a)
    expect(tab.locator(".message-ephemeral")).not_to_have_count(0)
    expect(oneone_post).not_to_contain_text("Resolved")
    looks_right()
    # Hugo accepts Emma's answer with the reply's shortcut…
    person.act_as(HUGO)
    accept_by_shortcut(hiring_post, hiring_a)
    expect(hiring_post).to_contain_text("Resolved")
    expect(hiring_post).to_contain_text("Emma Schmidt")
    states[hiring_q] = ("resolved",)
    looks_right()
    # …and Ben Grace's, with the button on his question and its form.
    person.act_as(BEN)
    oneone_post.locator(f'[data-action-id="{ids.ASK_ACCEPT_OPEN}"]').click()
    choice = person.field(ids.ACCEPT_MODAL_ANSWER)
    # Each answer is offered with its author, found here by its first words.
    answer = choice.locator("label").filter(has_text=oneone_a[:40])
    expect(answer).to_have_count(1)
    expect(answer).to_contain_text("Grace Kim")
    looks_right()
    answer.locator("input").check()
    person.submit()
    close_form(ids.ACCEPT_MODAL_ANSWER)
    expect(oneone_post).to_contain_text("Resolved")
    expect(oneone_post).to_contain_text("Grace Kim")
    states[oneone_q] = ("resolved",)
    looks_right()

    # -- 5. Topics: the one Chloé listed, the one Emma's accepted answer taught Knowhow ----------------
    person.act_as(CHLOE)
    person.say("/expert topics")
    expect(private_notes("Hiring")).to_have_count(2)  # after "added" a moment ago
    looks_right()
    person.act_as(EMMA)
    person.say("/expert topics")
    expect(private_notes("Hiring")).to_have_count(1)
    # Emma listed nothing: what she is told rests on her answers alone, and says so.
    expect(private_notes("Hiring").last).not_to_contain_text("listed by you")
    expect(private_notes("Hiring").last).to_contain_text("answer")
    looks_right()

    # -- 6. A panel session: two experts; one question answered, one deferred by Grace -----------------
    person.act_as(ALICE)
    person.go(EXPERT)
    person.say("/expert channels add #ask-the-expert")
    expect(private_notes("ask-the-expert")).to_have_count(1)
    looks_right()
    person.say("/expert schedule")
    topic = "Growing into your first management role"
    person.field("topic").fill(topic)
    experts = person.field("experts")
    experts.locator("select").select_option(GRACE)
    experts.locator("select").select_option(CHLOE)
    experts.locator(".bk-chip").filter(has_text="Alice Moreau").get_by_role("button").click()
    expect(experts.locator(".bk-chip")).to_have_count(2)
    person.field("start").fill(_wall_clock(ALICE, datetime.now().astimezone()))  # now: it opens at once
    person.field("minutes").fill("30")
    looks_right()
    person.submit()
    expect(person.modal).to_be_hidden()
    opened = posts("Ask the Expert is open").filter(has_text=topic)  # (questions count from then on)
    expect(opened).to_have_count(1)
    expect(opened).to_contain_text("Grace Kim")
    expect(opened).to_contain_text("Chloé Dubois")
    looks_right()

    person.act_as(HUGO)
    answered_q = "How do I give difficult feedback to someone who used to be my peer?"
    deferred_q = "How do I run my first skip-level meeting without undermining my managers?"
    for question in (answered_q, deferred_q):
        person.say(question)
        expect(person.messages(question).get_by_test_id("reaction")).to_have_count(1)  # taken by the session
        states[question] = ("open",)
    looks_right()
    person.act_as(GRACE)
    asked = person.messages(answered_q)
    person.message_action(asked, "reply-btn")
    person.reply("Say it early, in private, about the work and not the person.")
    expect(asked.get_by_test_id("replies")).to_be_visible()
    states[answered_q] = ("answered",)
    looks_right()
    person.say("/expert close")
    summary = posts("Ask the Expert is closed").filter(has_text=topic)
    expect(summary).to_have_count(1)
    expect(summary).to_contain_text(deferred_q)
    looks_right()

    # Grace's list of what is still open: she defers the second question to a date.
    person.go(dm_with_knowhow(GRACE))
    row = tab.locator('[data-block-id^="defer:"]').filter(has_text=deferred_q)
    expect(row).to_have_count(1)
    expect(tab.locator('[data-block-id^="defer:"]').filter(has_text=answered_q)).to_have_count(0)
    looks_right()
    due = (datetime.now(ZoneInfo(sample.person(GRACE).tz)) + timedelta(days=7)).date()
    row.locator(f'[data-action-id="{ids.SESSION_DEFER}"]').fill(due.isoformat())
    expect(row).to_contain_text(
        re.compile(rf"\b{due.day}(?:st|nd|rd|th)?\b")
    )  # her list says she will answer it by then
    states[deferred_q] = ("deferred", "Grace Kim")
    looks_right()
    # The thread and the summary say it is Grace's, by that date.
    person.go(EXPERT)
    promised = re.compile(re.escape(deferred_q) + rf".{{0,80}}Grace Kim.{{0,80}}\b{due.day}(?:st|nd|rd|th)?\b")
    expect(summary).to_contain_text(promised)
    person.messages(deferred_q).get_by_test_id("replies").click()
    expect(person.thread_messages("Grace Kim")).to_contain_text(re.compile(rf"\b{due.day}(?:st|nd|rd|th)?\b"))
    looks_right()

    # Chloé, the other expert, sees it as Grace's, and may take it over: no date picker of her own.
    person.act_as(CHLOE)
    person.go(dm_with_knowhow(CHLOE))
    row = tab.locator('[data-block-id^="defer:"]').filter(has_text=deferred_q)
    expect(row).to_contain_text("Grace Kim")
    expect(row.locator(f'[data-action-id="{ids.SESSION_TAKE_OVER}"]')).to_have_count(1)
    expect(row.locator(f'[data-action-id="{ids.SESSION_DEFER}"]')).to_have_count(0)
    looks_right()

    # -- 7. A mentor match: a volunteer, a seeker, the introduction ------------------------------------
    person.act_as(ISLA)  # a Knowhow admin
    person.go(GENERAL)
    person.say("/mentor topics add Negotiation")
    expect(private_notes("Negotiation")).to_have_count(1)
    looks_right()
    person.act_as(CHLOE)
    person.say("/mentor volunteer")
    person.field("mentor_topics").locator("select").select_option(label="Negotiation")
    person.field("mentor_note").fill("Happy to role-play a salary talk.")
    looks_right()
    person.submit()
    close_form("mentor_note")
    looks_right()
    person.act_as(HUGO)
    person.say("/mentor find")
    person.field("mentor_topic").select_option(label="Negotiation")
    goal = "Prepare for my first salary negotiation with a client."
    person.field("mentor_goal").fill(goal)
    looks_right()
    person.submit()
    close_form("mentor_goal")
    person.go(dm_with_knowhow(HUGO))
    offer = person.messages("Chloé Dubois").filter(has=tab.locator('[data-action-id="mentor_choose"]'))
    expect(offer).to_have_count(1)
    looks_right()
    offer.locator('[data-action-id="mentor_choose"]').click()
    # Hugo is told she was asked (the offer says so in place of its buttons).
    expect(tab.locator('[data-action-id="mentor_choose"]')).to_have_count(0)
    expect(person.messages("Chloé Dubois")).not_to_have_count(0)
    looks_right()
    person.act_as(CHLOE)
    person.go(dm_with_knowhow(CHLOE))
    ask = person.messages("Hugo Silva").filter(has=tab.locator('[data-action-id="mentor_accept"]'))
    expect(ask).to_have_count(1)
    looks_right()
    ask.locator('[data-action-id="mentor_accept"]').click()
    group = tab.locator('#sidebar [data-testid^="conv-G"]')
    expect(group).to_have_count(1)
    group.click()
    intro = person.messages(goal)
    expect(intro).to_have_count(1)
    expect(intro).to_contain_text("Hugo Silva")
    looks_right()
    person.act_as(HUGO)
    group.click()
    expect(intro).to_contain_text("Chloé Dubois")
    looks_right()
    person.go(dm_with_knowhow(HUGO))
    # Once Chloé accepted, Hugo's message about asking her says so, and no longer that he will hear.
    expect(posts("accepted to mentor you")).to_have_count(1)
    expect(posts("you will hear either way")).to_have_count(0)
    looks_right()

    # -- 8. The scoreboard and App Home agree ----------------------------------------------------------
    person.act_as(EMMA)
    person.go(GENERAL)
    person.say("/mentor scoreboard")
    board = private_notes()
    expect(board).to_have_count(1)
    expect(board).to_contain_text(re.compile(r"Asked: 4\b"))  # two in the Q&A channel, two in the session
    expect(board).to_contain_text(re.compile(r"Sessions held: 1\b"))
    looks_right()
    figures = _figures(board.inner_text())
    assert {"Asked", "resolved", "Sessions held", "Active pairs"} <= figures.keys(), figures

    person.act_as(HUGO)
    tab.get_by_test_id("nav-home").click()
    home = tab.get_by_test_id("home")
    # His own questions, each where it stands, as the channel, the thread and the summary say.
    for question in (hiring_q, answered_q, deferred_q):
        expect(home).to_contain_text(question)
    expect(home.locator("[data-block-id]").filter(has_text=deferred_q)).to_contain_text("Grace Kim")
    expect(home).to_contain_text(re.compile(r"3 asked"))
    expect(home).to_contain_text("Chloé Dubois")  # his mentor
    # The board in the Home is the scoreboard Emma was shown, figure for figure.
    for label, value in figures.items():
        expect(home).to_contain_text(f"{label}: {value}")
    looks_right()
