"""How fast does Knowhow ack, against a bare Bolt app that only acks? Both measured side by side.

The script starts a Slack stand-in (`fakeslack.FakeSlack`) in this process, and two servers as
subprocesses: the real bot (`python -m bot.cli run`, HTTP mode, pointed at the stand-in) and
bench/bare_bolt.py, a Bolt app whose listeners only call `ack()`, on the same server stack
(Cheroot, 16 threads, Bolt with `process_before_response`). Both get the same signed requests,
shaped as Slack sends them, from a thread pool at each concurrency level; each request is timed
from send to full response. The two apps take turns level by level (the order alternates, and
Knowhow's outbox is drained before the other app's turn), so the machine's noise falls on both.

Three kinds of request, one table each:
- `ask`: `/ask <text>`, each a fresh question (random wording and a unique tag word), so none is
  held as similar to another: no earlier question has an answer while these are asked.
- `reply`: an `event_callback` with a `message` replying in the thread of a question Knowhow
  posted (the questions are asked and posted beforehand, untimed).
- `button`: "Post my question anyway" (`ask_post_anyway`) on a held question. Untimed, questions
  are asked by someone else, posted and answered in their thread; then each is asked again a few
  times (as many in all as there will be clicks), and Knowhow holds these with suggestions (in the
  ack, or later through their response_url). Each click posts its question.
The kinds run in this order whatever `--kinds` says: a reply makes its question an answered
one, which could hold a later `/ask` as similar to it. The reply targets are all posted before
the first reply, for the same reason.

Per level it prints n, p50/p99 of both apps, the ratios Knowhow/bare, the errors (a request that
failed, or an ack that did not say what it should) and how long after the last ack Knowhow's
outbox took to finish the level's work as the stand-in saw it (questions posted and answered
through their response_url; replied-to posts updated; clicked questions posted and confirmed).

Then it verifies, and exits 1 if anything is wrong: every acked /ask question is stored once,
posted once (one chat.postMessage carrying it) and answered through its response_url (at least
one final answer, i.e. one that is not the interim "Got it…"; more than one final answer, and a
question both offered suggestions and posted, are counted); every acked reply is stored and its
post updated; every clicked question is stored as posted, posted once and confirmed.

Run it from the repository root (PostgreSQL is skipped, with a message, when unreachable):

    .venv/bin/python bench/ask_ack_latency.py
    .venv/bin/python bench/ask_ack_latency.py --requests 100 --concurrency 1,10 --kinds ask --backends sqlite
    .venv/bin/python bench/ask_ack_latency.py --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test

On PostgreSQL the bot runs in a throwaway schema of that database (default
postgresql+psycopg://postgres@127.0.0.1:5432/test_bench), dropped at the end.

Known bias: the stand-in answers Knowhow's Web API calls in this process, beside the client's
threads, and Knowhow's outbox makes those calls during its own turn (the bare app makes none). On
a 2-core machine that work competes with the measurement; real Slack would do it elsewhere.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text as sql  # noqa: E402

from bench.bare_bolt import SERVER_THREADS  # noqa: E402
from bench.loadgen import LoadGenerator  # noqa: E402
from bench.scratch import scratch_database  # noqa: E402
from bot import ids  # noqa: E402
from fakeslack import Answer, Call, FakeSlack, SlackSender  # noqa: E402
from fakeslack.sender import Response  # noqa: E402
from storage.db import make_engine  # noqa: E402

SECRET = "bench-signing-secret-0123456789abcdef"
QA_CHANNEL = "C0QUESTION"
ASKER, SEEDER, HELPER = "U0STUDENT1", "U0STUDENT2", "U0HELPER01"
FORM, JSON = "application/x-www-form-urlencoded", "application/json"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
KINDS = {"ask": "/ask <text>", "reply": "thread reply event", "button": "button click (Post my question anyway)"}
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test_bench"

# Questions a team might ask, put together at random so that no two are alike.
OPENERS = [
    "How do I",
    "What is the right way to",
    "Who can help me",
    "Is there a runbook to",
    "Can someone explain how to",
]
VERBS = "get access to|rotate|restart|debug|configure|upgrade|monitor|back up|restore|deploy|scale|migrate|clean up"
THINGS = (
    "staging database|kafka consumer|nginx ingress|billing cron job|redis cache|grafana dashboard|terraform state|"
    "bucket policy|ci runner|feature flag|sso login|vpn profile|docker registry|pager rotation|search index|"
    "mobile release build|ldap group|load balancer|certificate renewal|data warehouse export"
)
PLACES = (
    "for the payments team|in the eu region|after the last release|on a new laptop|without downtime|during on-call|"
    "for a contractor|in the sandbox account|before the audit|for the mobile app|on the analytics cluster"
)
ANSWER = "Run the job in CI, then restart the pods; the runbook in the wiki has the details."
# The button's held questions repeat answered ones, worded apart from the questions above so the
# answered ones are not held themselves. A few copies per answered question: with more, the
# unanswered copies fill the similar-question candidates and the answered one is not offered.
SEED_VERBS = "refresh|unlock|reset|re-run|archive|purge|approve|reopen|reconcile|export"
SEED_THINGS = (
    "vault token|ledger reconciliation worker|payroll export|invoice renderer|tax report|audit trail|"
    "expense approval flow|quarterly forecast sheet|warehouse barcode printer|travel booking tool"
)
COPIES_PER_SEED = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS and k != "SLACK_APP_TOKEN"}  # HTTP mode
    env.update(values, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])))
    return env


class Server:
    """A server under test, as a subprocess logging to a file (a full pipe would stall it)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, workdir: Path):
        self.name, self.port = name, port
        self.log_path = workdir / f"{name}.log"
        self.sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(argv, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_up(self, timeout: float = 30, *, healthz: bool = True) -> None:
        """Up when /healthz says 200 (Knowhow), or when it answers HTTP at all (`healthz=False`:
        Bolt's adapter answers 404)."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"{self.name} exited with code {self.proc.returncode}:\n{self.log_path.read_text()}")
            try:
                with opener.open(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except urllib.error.HTTPError:
                if not healthz:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        sys.exit(f"{self.name} was not up within {timeout:.0f}s:\n{self.log_path.read_text()}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                print(f"{self.name} did not stop within 20 s after SIGTERM: killed")
        return self.proc.returncode

    def log_summary(self, keep_in: Path | None = None) -> None:
        if keep_in is not None:
            keep_in.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.log_path, keep_in / self.log_path.name)
        log = self.log_path.read_text(errors="replace").splitlines()
        problems = [line for line in log if re.search(r"\b(ERROR|CRITICAL|Traceback)\b", line)]
        warnings = [line for line in log if " WARNING " in line]
        print(
            f"{self.name} exit code {self.proc.returncode}; log: {len(log)} lines, {len(problems)} errors, "
            f"{len(warnings)} warnings"
        )
        for line in (problems + warnings)[:10]:
            print(f"  | {line}")


class Observed:
    """What Knowhow asked the stand-in to do, indexed as each call is answered (no rescans)."""

    def __init__(self, fake: FakeSlack, tag_prefix: str):
        self.tag = re.compile(rf"\b{tag_prefix}(\d+)\b")
        self.cond = threading.Condition()
        self.posts: dict[int, list[tuple[str, str]]] = defaultdict(list)  # tag -> (channel, ts) of its posts
        self.posts_of: dict[int, list[tuple[str, str]]] = defaultdict(list)  # question id (metadata) -> posts
        self.responses: dict[str, list[dict]] = defaultdict(list)  # response_url name -> bodies posted
        self.updates: dict[tuple[str, str], list[float]] = defaultdict(list)  # (channel, ts) -> chat.update times
        self.fake = fake
        fake.after_answer.append(self._seen)

    def close(self) -> None:
        self.fake.after_answer.remove(self._seen)

    def _seen(self, call: Call, answer: Answer) -> None:
        if answer.status != 200 or (isinstance(answer.body, dict) and not answer.body.get("ok")):
            return
        with self.cond:
            if call.method == "chat.postMessage" and call.args.get("channel") == QA_CHANNEL:
                where = (answer.body.get("channel"), answer.body.get("ts"))
                for n in {int(m) for m in self.tag.findall(f"{call.text}\n{call.block_text()}")}:
                    self.posts[n].append(where)
                metadata = call.args.get("metadata")
                if isinstance(metadata, dict) and "question_id" in (metadata.get("event_payload") or {}):
                    self.posts_of[metadata["event_payload"]["question_id"]].append(where)
            elif call.method == "response_url":
                self.responses[call.path.rsplit("/", 1)[-1]].append(call.args)
            elif call.method == "chat.update":
                self.updates[(call.args.get("channel"), call.args.get("ts"))].append(call.at)
            self.cond.notify_all()

    def wait(self, done: Callable[[], bool], timeout: float) -> bool:
        with self.cond:
            return self.cond.wait_for(done, timeout)

    def finals(self, name: str) -> list[dict]:
        """What went through a response_url other than the interim "Got it…"."""
        return [r for r in self.responses.get(name, []) if "Got it" not in (r.get("text") or "")]


def post_anyway_value(message: dict | None) -> str | None:
    """The value of the "Post my question anyway" button in a message, if it has one."""
    for block in (message or {}).get("blocks") or []:
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("action_id") == ids.ASK_POST_ANYWAY:
                return element.get("value")
    return None


@dataclass
class Question:
    n: int  # its tag's number
    text: str
    asker: str = ASKER
    acked: bool = False
    offered: str | None = None  # the "Post my question anyway" value, once Knowhow held it
    post: tuple[str, str] | None = None  # (channel, ts)
    reply_ts: str | None = None
    sent_at: float = 0.0  # when the timed request went (the reply or click), time.time()


LOADGEN: LoadGenerator  # the client's process, started in main()


@dataclass
class Result:
    ms: float
    ok: bool  # 200, and the ack says what it should
    status: str
    item: object
    body: bytes = b""


def run_level(server: Server, items: list, concurrency: int, make: Callable, check: Callable) -> list[Result]:
    """One request per item, `concurrency` at a time, from the load generator's process (built and
    signed here just before, well within the signature's five minutes)."""
    prepared = []
    for item in items:
        body, content_type = make(item)
        prepared.append((body, content_type, server.sender.sign(body)))
    timed = LOADGEN.fire(server.port, prepared, concurrency)
    return [
        Result(ms, status == "200" and check(Response(int(status), body, {})), status, item, body)
        if status.isdigit()
        else Result(ms, False, status, item)
        for item, (ms, status, body) in zip(items, timed)
    ]


class Run:
    """Knowhow on one database, the bare app, and the questions asked of Knowhow so far."""

    def __init__(self, backend: str, database_url: str, knowhow: Server, bare: Server, fake: FakeSlack, args):
        self.backend, self.database_url = backend, database_url
        self.knowhow, self.bare, self.fake, self.args = knowhow, bare, fake, args
        self.tag_prefix = f"kb{uuid.uuid4().hex[:6]}n"  # one word, unique to this run
        self.observed = Observed(fake, self.tag_prefix)
        self.rng = random.Random()
        self.count = 0
        self.ts_lock = threading.Lock()
        self.last_ts = 0.0

    # -- the requests ---------------------------------------------------------------------------
    def asked(self, q: Question) -> str:
        """The name of the response_url of the /ask that asked `q`, on the stand-in."""
        return f"{self.tag_prefix}{q.n}"

    def clicked(self, q: Question) -> str:
        """The name of the response_url of the click on `q`'s suggestions."""
        return f"{self.tag_prefix}{q.n}c"

    def next_n(self) -> int:
        self.count += 1
        return self.count

    def question(self, text: str | None = None) -> Question:
        """A new question: `text` (random wording by default) and its tag word."""
        self.next_n()
        if text is None:
            pick = self.rng.choice
            text = f"{pick(OPENERS)} {pick(VERBS.split('|'))} the {pick(THINGS.split('|'))} {pick(PLACES.split('|'))}"
        return Question(self.count, f"{text}? {self.tag_prefix}{self.count}")

    def ask(self, q: Question) -> tuple[bytes, str]:
        trigger_id = f"{7700000000000 + q.n}.{self.tag_prefix}.{q.n:032x}"
        response_url = self.fake.response_url(self.asked(q))
        return self.knowhow.sender.command_body(
            ids.ASK_COMMAND, q.text, user_id=q.asker, response_url=response_url, trigger_id=trigger_id
        ), FORM

    def next_ts(self) -> str:
        with self.ts_lock:  # a message's ts is unique in its channel
            self.last_ts = max(time.time(), self.last_ts + 0.000001)
            return f"{self.last_ts:.6f}"

    def reply(self, q: Question) -> tuple[bytes, str]:
        q.reply_ts, q.sent_at = self.next_ts(), time.time()
        sender = self.knowhow.sender
        event = sender.thread_reply(channel=q.post[0], thread_ts=q.post[1], ts=q.reply_ts, user=HELPER, text=ANSWER)
        return sender.event_body(event), JSON

    def click(self, q: Question) -> tuple[bytes, str]:
        q.sent_at = time.time()
        sender = self.knowhow.sender
        payload = sender.block_actions_payload(
            user=q.asker,
            action_id=ids.ASK_POST_ANYWAY,
            value=q.offered,
            is_ephemeral=True,  # a click in the private answer to /ask
            response_url=self.fake.response_url(self.clicked(q)),
        )
        return sender.interaction_body(payload), FORM

    def bare_request(self, kind: str, k: int) -> tuple[bytes, str]:
        sender = self.bare.sender
        if kind == "ask":
            return sender.command_body(ids.ASK_COMMAND, f"How do I restart the ci runner number {k}?"), FORM
        if kind == "reply":
            event = sender.thread_reply(
                channel=QA_CHANNEL, thread_ts="1700000000.000100", ts=self.next_ts(), user=HELPER, text=ANSWER
            )
            return sender.event_body(event), JSON
        payload = sender.block_actions_payload(
            user=ASKER, action_id=ids.ASK_POST_ANYWAY, value=json.dumps({"q": k}), is_ephemeral=True
        )
        return sender.interaction_body(payload), FORM

    # -- what must follow a request, as the stand-in sees it -------------------------------------
    def posted_and_answered(self, q: Question, name: str) -> bool:
        return bool(self.observed.posts.get(q.n)) and bool(self.observed.finals(name))

    def done(self, kind: str, q: Question) -> bool:
        if kind == "ask":
            return self.posted_and_answered(q, self.asked(q))
        if kind == "reply":
            return any(at >= q.sent_at for at in self.observed.updates.get(q.post, []))
        return bool(self.observed.posts_of.get(held_id(q))) and bool(self.observed.finals(self.clicked(q)))

    def drain(self, kind: str, questions: list[Question]) -> bool:
        return self.observed.wait(lambda: all(self.done(kind, q) for q in questions), self.args.drain_timeout)

    # -- untimed preparation ----------------------------------------------------------------------
    def ask_untimed(self, questions: list[Question]) -> None:
        for result in run_level(self.knowhow, questions, 8, self.ask, lambda a: True):
            result.item.acked = result.ok
            with suppress(ValueError):
                result.item.offered = post_anyway_value(json.loads(result.body or b"{}"))

    def settle(self, questions: list[Question]) -> bool:
        """Wait until Knowhow held each question (suggestions in the ack or through its
        response_url) or answered it otherwise through its response_url (posted)."""

        def settled() -> bool:
            for q in questions:
                if q.offered is None:
                    offers = (post_anyway_value(r) for r in self.observed.responses.get(self.asked(q), []))
                    q.offered = next((v for v in offers if v), None)
                if q.offered is None and not self.observed.finals(self.asked(q)):
                    return False
            return True

        return self.observed.wait(settled, self.args.drain_timeout)

    def posted(self, count: int, texts: list[str] | None = None, asker: str = ASKER) -> list[Question]:
        """Questions asked and posted, their post recorded (the asker was told), to reply to. One
        that Knowhow holds as similar to an answered one is posted anyway."""
        questions = [self.question(text) for text in texts or [None] * count]
        for q in questions:
            q.asker = asker
        self.ask_untimed(questions)
        if not self.settle(questions):
            raise Unprepared("questions to reply to were not answered in time")
        held = [q for q in questions if q.offered]
        run_level(self.knowhow, held, 8, self.click, lambda a: True)

        def ready(q: Question) -> bool:
            name = self.clicked(q) if q.offered else self.asked(q)
            return bool(self.observed.posts.get(q.n)) and bool(self.observed.finals(name))

        if not self.observed.wait(lambda: all(ready(q) for q in questions), self.args.drain_timeout):
            missing = sum(1 for q in questions if not ready(q))
            raise Unprepared(f"{missing} of {len(questions)} questions to reply to were not posted in time")
        for q in questions:
            q.post = self.observed.posts[q.n][0]
        return questions

    def held(self, count: int) -> list[Question]:
        """`count` questions that Knowhow holds with suggestions: copies of questions asked by
        someone else, posted and answered in their thread beforehand."""
        pick = self.rng.choice
        texts = [
            f"Where do I {pick(SEED_VERBS.split('|'))} the {pick(SEED_THINGS.split('|'))}"
            for _ in range(-(-count // COPIES_PER_SEED))
        ]
        seeds = self.posted(len(texts), texts, asker=SEEDER)
        replies = run_level(self.knowhow, seeds, 8, self.reply, lambda a: True)
        if not all(r.ok for r in replies) or not self.drain("reply", seeds):
            raise Unprepared("the answers to the questions to repeat were not all taken")
        copies = [Question(self.next_n(), seeds[i // COPIES_PER_SEED].text) for i in range(count)]
        self.ask_untimed(copies)
        self.settle(copies)
        held = [q for q in copies if q.offered is not None]
        if len(held) < count:
            raise Unprepared(f"only {len(held)} of {count} repeated questions were held with suggestions")
        return held

    # -- verification --------------------------------------------------------------------------------
    def verify(self, kind: str, sent: list[Result]) -> bool:
        """Print what became of each acked request; whether something is wrong."""
        engine = make_engine(self.database_url)
        try:
            with engine.connect() as conn:
                if kind == "reply":
                    stored = {row[0] for row in conn.execute(sql("SELECT message_ts FROM answer"))}
                else:
                    stored_rows = conn.execute(sql("SELECT id, text, status FROM question")).all()
        finally:
            engine.dispose()
        acked = [r.item for r in sent if r.ok]
        if kind == "reply":
            kept = sum(1 for q in acked if q.reply_ts in stored)
            updated = sum(1 for q in acked if self.done("reply", q))
            bad = kept < len(acked) or updated < len(acked)
            print(
                f"  {'PROBLEM' if bad else 'verified'}: of {len(acked)} acked replies, {kept} stored, "
                f"{updated} had their question's post updated"
            )
            return bad
        rows: dict[int, list[str]] = defaultdict(list)  # tag -> statuses of the questions carrying it
        status_of = {}  # question id -> status
        for question_id, text, status in stored_rows:
            status_of[question_id] = status
            for m in self.observed.tag.findall(text):
                rows[int(m)].append(status)
        name = self.asked if kind == "ask" else self.clicked
        if kind == "ask":
            once = sum(1 for q in acked if len(self.observed.posts.get(q.n, [])) == 1)
        else:
            once = sum(1 for q in acked if len(self.observed.posts_of.get(held_id(q), [])) == 1)
        answered = sum(1 for q in acked if self.observed.finals(name(q)))
        twice = sum(1 for q in acked if len(self.observed.finals(name(q))) > 1)
        if kind == "ask":
            kept = sum(1 for q in acked if len(rows[q.n]) == 1)
            offered = {
                q.n
                for q in acked
                if q.offered or any(post_anyway_value(r) for r in self.observed.responses.get(self.asked(q), []))
            }
            both = sum(1 for q in acked if q.n in offered and self.observed.posts.get(q.n))
            what = "questions"
        else:
            kept = sum(1 for q in acked if status_of.get(held_id(q)) == "posted")
            both = 0  # suggestions, then the post the click asked for: as it should be
            what = "clicks"
        bad = min(kept, once, answered) < len(acked) or twice > 0 or both > 0
        print(
            f"  {'PROBLEM' if bad else 'verified'}: of {len(acked)} acked {what}, {kept} stored, {once} posted once, "
            f"{answered} answered through the response_url; {twice} answered twice, {both} offered suggestions "
            f"and posted"
        )
        return bad


def held_id(q: Question) -> int:
    """The id of a held question, as its "Post my question anyway" button carries it."""
    return int(json.loads(q.offered)["q"])


class Unprepared(Exception):
    """The untimed preparation of a kind did not come out as needed."""


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[p - 1]


HEADER = (
    f"{'conc':>5} {'n':>5} | {'bare p50':>8} {'p99':>7} | {'knowhow p50':>11} {'p99':>7} | "
    f"{'ratio p50':>9} {'p99':>6} | {'errors b/k':>10} | drain"
)


def row(concurrency: int, bare: list[Result], knowhow: list[Result], drain_s: float | None) -> str:
    b = [r.ms for r in bare]
    k = [r.ms for r in knowhow]
    b50, b99, k50, k99 = percentile(b, 50), percentile(b, 99), percentile(k, 50), percentile(k, 99)
    errors = f"{sum(not r.ok for r in bare)}/{sum(not r.ok for r in knowhow)}"
    drain = f"{drain_s * 1000:.0f} ms" if drain_s is not None else "NOT DRAINED"
    for name, results in (("bare", bare), ("knowhow", knowhow)):
        failures = Counter(r.status if r.status != "200" else "200, unexpected ack" for r in results if not r.ok)
        if failures:
            drain += f"  {name} errors: {', '.join(f'{n}x {why}' for why, n in failures.items())}"
    return (
        f"{concurrency:>5} {len(k):>5} | {b50:>8.1f} {b99:>7.1f} | {k50:>11.1f} {k99:>7.1f} | "
        f"{k50 / b50:>8.1f}x {k99 / b99:>5.1f}x | {errors:>10} | {drain}"
    )


def bench_kind(run: Run, kind: str, levels: list[int]) -> bool:
    """Prepare, warm up, then each level for both apps in turn; print the table; verify."""
    args = run.args
    total = args.warmup + args.requests * len(levels)
    print(f"\n{run.backend} · {KINDS[kind]}", flush=True)
    try:
        if kind == "ask":
            pool = [run.question() for _ in range(total)]
        elif kind == "reply":
            pool = run.posted(total)
        else:
            pool = run.held(total)
    except Unprepared as exc:
        print(f"  PROBLEM: not measured, {exc}")
        return True
    make = {"ask": run.ask, "reply": run.reply, "button": run.click}[kind]
    check = (lambda a: b"Got it" in a.body) if kind == "ask" else (lambda a: True)
    sent: list[Result] = []
    failed = False

    def knowhow_turn(items: list[Question], concurrency: int) -> tuple[list[Result], float | None]:
        results = run_level(run.knowhow, items, concurrency, make, check)
        last_ack = time.perf_counter()
        for r in results:
            r.item.acked = r.ok
        drained = run.drain(kind, [r.item for r in results if r.ok])
        sent.extend(results)
        return results, (time.perf_counter() - last_ack) if drained else None

    def bare_turn(count: int, concurrency: int) -> list[Result]:
        return run_level(run.bare, range(count), concurrency, lambda k: run.bare_request(kind, k), lambda a: True)

    warm = min(args.warmup, max(levels))
    bare_turn(args.warmup, warm)
    knowhow_turn(pool[: args.warmup], warm)
    pool = pool[args.warmup :]
    print(HEADER, flush=True)
    for j, concurrency in enumerate(levels):
        items, pool = pool[: args.requests], pool[args.requests :]
        if j % 2 == 0:  # the order alternates, so neither app always goes first
            bare = bare_turn(len(items), concurrency)
            knowhow, drain_s = knowhow_turn(items, concurrency)
        else:
            knowhow, drain_s = knowhow_turn(items, concurrency)
            bare = bare_turn(len(items), concurrency)
        failed |= drain_s is None or any(not r.ok for r in bare + knowhow)
        print(row(concurrency, bare, knowhow, drain_s), flush=True)
    return run.verify(kind, sent) or failed


def postgres_reachable(url: str) -> bool:
    try:
        engine = make_engine(url)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception as exc:  # whatever stops a connection means "skip it"
        print(f"\npostgresql: skipped, cannot connect to {url}: {str(exc).splitlines()[0] if str(exc) else exc!r}")
        print("  (createdb -h 127.0.0.1 -U postgres test_bench, or give --postgres-url)")
        return False


def bench_backend(backend: str, database_url: str, fake: FakeSlack, bare: Server, workdir: Path, levels, kinds, args):
    port = free_port()
    env = environment(
        SLACK_BOT_TOKEN=fake.token,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=database_url,
        PORT=str(port),
        KNOWHOW_QA_CHANNEL=QA_CHANNEL,
        # The stand-in does not rate-limit: the outbox need not pace itself to Slack's 1 a second.
        KNOWHOW_POST_RATE="100",
        KNOWHOW_POST_BURST="100",
    )
    knowhow = Server(f"knowhow-{backend}", [sys.executable, "-m", "bot.cli", "run"], env, port, workdir)
    run = Run(backend, database_url, knowhow, bare, fake, args)
    failed = False
    try:
        knowhow.wait_up()
        for kind in kinds:
            failed |= bench_kind(run, kind, levels)
    finally:
        run.observed.close()
        code = knowhow.stop()
        knowhow.log_summary(args.logs)
    return failed or code != 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per level and app (default 300)")
    parser.add_argument("--concurrency", default="1,10,100", help="comma-separated levels (default 1,10,100)")
    parser.add_argument("--kinds", default="ask,reply,button", help="some of ask,reply,button (default all)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="some of sqlite,postgresql (default both)")
    parser.add_argument("--postgres-url", default=DEFAULT_PG, help=f"a scratch schema is made in it ({DEFAULT_PG})")
    parser.add_argument("--warmup", type=int, default=20, help="uncounted requests per kind and app (default 20)")
    parser.add_argument("--logs", type=Path, help="copy each server's stdout and stderr into this directory")
    parser.add_argument("--drain-timeout", type=float, default=120, help="seconds to wait for the outbox (default 120)")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    kinds = [k for k in KINDS if k in args.kinds.split(",")]  # in this order: see the docstring
    backends = [b for b in ("sqlite", "postgresql") if b in args.backends.split(",")]
    if not levels or not kinds or not backends or args.requests < 1:
        parser.error("give at least one level, kind and backend, and at least one request")
    print(
        f"Python {platform.python_version()} | {os.cpu_count()} CPUs | both apps: Cheroot {SERVER_THREADS} threads, "
        f"Bolt with process_before_response | {args.requests} requests per level and app | times in ms"
    )
    failed = False
    global LOADGEN
    LOADGEN = LoadGenerator()
    with ExitStack() as stack:
        stack.callback(LOADGEN.close)
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="knowhow-bench-")))
        fake = stack.enter_context(FakeSlack())
        bare_port = free_port()
        bare_env = environment(SLACK_SIGNING_SECRET=SECRET, BARE_BOLT_TOKEN=fake.token, SLACK_API_URL=fake.api_url)
        bare = Server(
            "bare", [sys.executable, str(ROOT / "bench" / "bare_bolt.py"), str(bare_port)], bare_env, bare_port, workdir
        )
        try:
            bare.wait_up(healthz=False)
            unsigned = bare.sender.post(bare.sender.command_body(ids.ASK_COMMAND, "unsigned"), FORM)
            if unsigned.status != 401:
                sys.exit(f"the bare app answered an unsigned request with {unsigned.status}, not 401")
            for backend in backends:
                if backend == "postgresql" and not postgres_reachable(args.postgres_url):
                    continue
                url = args.postgres_url if backend == "postgresql" else None
                with scratch_database(url, workdir) as database_url:
                    failed |= bench_backend(backend, database_url, fake, bare, workdir, levels, kinds, args)
        finally:
            bare.stop()
            bare.log_summary(args.logs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
