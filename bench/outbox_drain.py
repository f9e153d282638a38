"""Does the outbox keep up with a burst, at the rate Slack allows and no faster?

The script starts a Slack stand-in (`fakeslack.FakeSlack`) that limits chat.postMessage per channel
as Slack does (a token bucket: `--burst` at once, then `--rate` a second; 429 with Retry-After
beyond), and the real bot (`python -m bot.cli run`, HTTP mode) pointed at it, with its own pacing
set to the same rate and a burst one smaller (`KNOWHOW_POST_RATE`, `KNOWHOW_POST_BURST`: the bot
takes a token before its request leaves, the stand-in counts it when it arrives, and one token of
margin absorbs that jitter; `--bot-rate` and `--bot-burst` set them apart, e.g. far above the
limit to see what no pacing costs). It then sends
a burst of signed `/ask` commands (distinct questions, `--concurrency` at a time) and waits until
every question is posted in the Q&A channel and its asker answered through the response_url.

Slack's limit is 1 post a second per channel: 1,000 questions take 17 minutes. The rate is scaled
instead (default 20 a second): what matters is the ratio of the measured drain to the limit's own
minimum, `(N - burst) / rate` after the first post (the burst goes at once).

It prints N, the rate and burst, the minimum and measured drain (from the first request sent to
the last post or response_url answer) and their ratio, the 429s the stand-in gave, the posts per
question (each exactly once) and the response_url answers. The exit status is 1 if a question was
lost or doubled, or the bot did not exit 0.

    .venv/bin/python bench/outbox_drain.py
    .venv/bin/python bench/outbox_drain.py --questions 1000 --rate 20 --burst 3
    .venv/bin/python bench/outbox_drain.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/outbox_drain.py --lose-every 10

`--lose-every K`: the stand-in carries out every K-th question's post and drops the connection
without answering (the answer lost after Slack took it); each must still be posted exactly once
(the retry finds it in the channel's history: bot/once.py), at the cost of its back-off.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ask_ack_latency import FORM, QA_CHANNEL, SECRET, Server, environment, free_port  # noqa: E402
from bench.scratch import scratch_database  # noqa: E402
from fakeslack import FakeSlack, SlackSender  # noqa: E402


class Burst:
    def __init__(self, fake: FakeSlack, port: int):
        self.fake = fake
        self.sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET)
        self.run_id = uuid.uuid4().hex[:8]
        self.tag = re.compile(rf"bench-{self.run_id} q(\d+):")
        self.lock = threading.Lock()
        self.posted: Counter[int] = Counter()  # question -> posts in the Q&A channel
        self.answered: Counter[int] = Counter()  # question -> answers through its response_url
        self.post_times: list[float] = []
        self.last = 0.0
        fake.after_answer.append(self._seen)

    def _seen(self, call, answer) -> None:
        """Every answer the stand-in gives: note the posts and response_url answers that went through."""
        now = time.perf_counter()
        if answer.status != 200:
            return
        if call.method == "chat.postMessage" and call.args.get("channel") == QA_CHANNEL:
            match = self.tag.search(call.text)
            if match and answer.body.get("ok"):
                with self.lock:
                    self.posted[int(match.group(1))] += 1
                    self.post_times.append(now)
                    self.last = max(self.last, now)
        elif call.method == "response_url" and (match := re.fullmatch(r"/response/r(\d+)", call.path)):
            with self.lock:
                self.answered[int(match.group(1))] += 1
                self.last = max(self.last, now)

    def ask(self, i: int) -> bool:
        body = self.sender.command_body(
            "/ask",
            f"bench-{self.run_id} q{i}: how do I renew the certificate of build agent number {i}?",
            response_url=self.fake.response_url(f"r{i}"),
            trigger_id=f"{8800000000000 + i}.{self.run_id}.{i:032x}",
        )
        try:
            answer = self.sender.post(body, FORM, self.sender.sign(body))
        except OSError:
            return False
        return answer.status == 200 and b"Got it" in answer.body

    def done(self, acked: set[int]) -> bool:
        with self.lock:
            return all(self.posted[i] and self.answered[i] for i in acked)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=1000, help="questions in the burst (default 1000)")
    parser.add_argument("--rate", type=float, default=20.0, help="posts a second per channel Slack allows (default 20)")
    parser.add_argument("--burst", type=int, default=3, help="posts a channel may take at once (default 3)")
    parser.add_argument("--bot-rate", type=float, help="the bot's KNOWHOW_POST_RATE (default: --rate)")
    parser.add_argument("--bot-burst", type=int, help="the bot's KNOWHOW_POST_BURST (default: --burst minus 1)")
    parser.add_argument("--concurrency", type=int, default=20, help="requests in flight while sending (default 20)")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: SQLite in a temp dir; PostgreSQL: a scratch schema)"
    )
    parser.add_argument("--bot-log", type=Path, help="keep a copy of the bot's stdout and stderr in this file")
    parser.add_argument("--lose-every", type=int, help="lose the answer of every K-th question's post (default: none)")
    parser.add_argument("--timeout", type=float, help="seconds to wait for the drain (default: 3 x the minimum + 60)")
    args = parser.parse_args()
    n, rate, burst = args.questions, args.rate, args.burst
    # One token of margin: the bot takes its token before the request leaves, the stand-in counts
    # it when it arrives, and at a scaled-up rate (50 ms a post) the jitter between the two would
    # otherwise draw a 429 now and then. At Slack's 1 a second the margin is Slack's own tolerance.
    bot_rate, bot_burst = args.bot_rate or rate, args.bot_burst or max(burst - 1, 1)
    minimum = max(n - burst, 0) / rate
    timeout = args.timeout or 3 * minimum + 60

    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="knowhow-drain-")))
        database_url = stack.enter_context(scratch_database(args.database_url, workdir))
        fake = stack.enter_context(FakeSlack(post_rate_limit=(rate, burst)))
        port = free_port()
        print(
            f"Python {platform.python_version()} | database {database_url.split(':', 1)[0]} | {os.cpu_count()} CPUs | "
            f"limit {rate:g}/s burst {burst} per channel | bot paced at {bot_rate:g}/s burst {bot_burst}"
        )
        env = environment(
            SLACK_BOT_TOKEN=fake.token,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake.api_url,
            DATABASE_URL=database_url,
            PORT=str(port),
            KNOWHOW_QA_CHANNEL=QA_CHANNEL,
            KNOWHOW_POST_RATE=str(bot_rate),
            KNOWHOW_POST_BURST=str(bot_burst),
        )
        server = Server("knowhow", [sys.executable, "-m", "bot.cli", "run"], env, port, workdir)
        proc, log_path = server.proc, server.log_path
        lost = True
        try:
            server.wait_up()
            bench = Burst(fake, port)
            for i in range(0, n, args.lose_every) if args.lose_every else ():
                fake.lose_answer_next(
                    "chat.postMessage", lambda call, tag=f"bench-{bench.run_id} q{i}:": tag in call.text
                )
            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                acks = list(pool.map(bench.ask, range(n)))
            sent = time.perf_counter() - start
            with bench.lock:
                posted_by_last_ack = sum(bench.posted.values())
            acked = {i for i, ok in enumerate(acks) if ok}
            deadline = time.monotonic() + timeout
            while not bench.done(acked) and time.monotonic() < deadline:
                time.sleep(0.05)
            with bench.lock:
                posted, answered, times, last = (
                    Counter(bench.posted),
                    Counter(bench.answered),
                    bench.post_times,
                    bench.last,
                )
            drain = last - start
            posting = times[-1] - times[0] if len(times) > 1 else 0.0
            missing_posts = [i for i in acked if not posted[i]]
            missing_answers = [i for i in acked if not answered[i]]
            doubled = [i for i, c in posted.items() if c > 1]
            doubled_answers = [i for i, c in answered.items() if c > 1]
            per_post = Counter(posted.values())
            print(
                f"questions sent {n}, acked {len(acked)} in {sent:.1f} s; {posted_by_last_ack} posted by the last ack"
            )
            print(f"minimum drain  {minimum:8.2f} s   (first {burst} at once, then {n - burst} at {rate:g}/s)")
            print(f"measured drain {drain:8.2f} s   ratio {drain / minimum if minimum else float('nan'):.3f}")
            print(
                f"posting span   {posting:8.2f} s   ratio {posting / minimum if minimum else float('nan'):.3f}"
                "   (first post to last post)"
            )
            print(f"429s given     {fake.post_limit.total_refused}")
            lost_answers = len(range(0, n, args.lose_every)) if args.lose_every else 0
            print(
                f"answers lost   {lost_answers}   (looked up before a retry: "
                f"{len(fake.calls_to('conversations.history'))} conversations.history calls)"
            )
            print(
                f"posts in {QA_CHANNEL}: {sum(posted.values())} for {len(posted)} questions "
                f"(times posted: {dict(sorted(per_post.items()))}); missing {len(missing_posts)}, doubled {len(doubled)}"
            )
            print(
                f"response_url answers: {sum(answered.values())} for {len(answered)} askers; "
                f"missing {len(missing_answers)}, more than one {len(doubled_answers)}"
            )
            lost = bool(len(acked) < n or missing_posts or missing_answers or doubled or doubled_answers)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            print(f"bot exit code: {proc.returncode}")
            if args.bot_log:
                shutil.copyfile(log_path, args.bot_log)
            log = log_path.read_text(errors="replace").splitlines()
            problems = [line for line in log if re.search(r"\b(ERROR|CRITICAL|Traceback)\b", line)]
            warnings = [line for line in log if " WARNING " in line]
            print(f"bot log: {len(log)} lines, {len(problems)} errors, {len(warnings)} warnings")
            for line in (problems + warnings)[:5]:
                print(f"  | {line}")
    return 1 if lost or proc.returncode != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
