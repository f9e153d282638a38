"""The `knowhow` command: `run` the bot, `migrate` the database, `doctor` a deployment, see and
retry the `outbox`'s dead letters, `export` and `import` the knowledge base, list the questions
`similar` to a text, and, for a privacy office, `forget` a person who left and `export --user`
everything held about one person (PRIVACY.md)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from bot import logs
from bot.config import WHERE, ConfigError, Settings, load_settings

SETUP_STEPS = """\
Knowhow needs a Slack app to talk to. To create one:
  1. Open https://api.slack.com/apps, choose "Create New App", then "From a manifest".
  2. Pick your workspace and paste the contents of manifest.yml from this repository.
  3. "Install to Workspace". Then copy, into a .env file beside the Makefile (see .env.example):
     - SLACK_BOT_TOKEN: the Bot User OAuth Token (xoxb-...) on "OAuth & Permissions".
     - SLACK_APP_TOKEN: on "Basic Information", "App-Level Tokens", generate a token with the
       connections:write scope (xapp-...). With it Knowhow uses Socket Mode: no public URL needed.
     - or, for HTTP mode instead of Socket Mode: SLACK_SIGNING_SECRET from "Basic Information",
       turn Socket Mode off, and set the Request URLs to https://YOUR-HOST/slack/events.
  4. Set KNOWHOW_QA_CHANNEL to the id of the channel where /ask questions go, and invite the bot there.
  5. Run `make run` again.
For many workspaces or a Grid organisation ("Add to Slack"), set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET
and KNOWHOW_TOKEN_KEY instead of SLACK_BOT_TOKEN: see the README, "Setting Knowhow up in Slack"."""


def explain_missing(settings: Settings) -> str:
    missing = settings.missing_for_run()
    lines = [f"Knowhow cannot start: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set."]
    lines += [f"  - {name}: {WHERE[name]}" for name in missing]
    if "SLACK_APP_TOKEN" in missing:
        lines.append(
            "  - or, for HTTP mode instead of Socket Mode, SLACK_SIGNING_SECRET: " + WHERE["SLACK_SIGNING_SECRET"]
        )
    return "\n".join(lines) + "\n\n" + SETUP_STEPS


def _unconfigured(settings: Settings) -> bool:
    """No Slack credential at all (not one half-set): the playground, not an error, is the answer."""
    return not (
        settings.bot_token
        or settings.app_token
        or settings.signing_secret
        or settings.client_id
        or settings.client_secret
    )


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if getattr(args, "playground_if_unconfigured", False) and _unconfigured(settings):
        from playground.run import serve

        return serve(
            say="No Slack credentials are configured, so here is Knowhow in a local playground: {url} (Ctrl+C stops it)"
        )
    if settings.missing_for_run():
        print(explain_missing(settings), file=sys.stderr)
        return 2
    from bot.service import Knowhow

    knowhow = Knowhow(settings, with_scheduler=not args.no_scheduler, host=args.host)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        knowhow.start()
    except BaseException:
        knowhow.stop()
        raise
    print(f"Knowhow is running. Health: http://127.0.0.1:{knowhow.http.port}/healthz (Ctrl+C stops it)", flush=True)
    if knowhow.slack_problem:
        print(
            f"Slack cannot be reached at SLACK_API_URL={settings.api_url} ({knowhow.slack_problem}): "
            "Knowhow catches up once it can.",
            file=sys.stderr,
            flush=True,
        )
    stop.wait()
    print("Stopping: finishing requests in flight…", flush=True)
    knowhow.stop()
    return 0


def _playground(args: argparse.Namespace) -> int:
    from playground.run import serve

    return serve(port=args.port, data_dir=args.data_dir, demo=args.demo)


def _migrate(_args: argparse.Namespace) -> int:
    from storage import migrate
    from storage.db import make_engine

    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    print("Database is up to date.")
    return 0


def _rotate_token_key(_args: argparse.Namespace) -> int:
    from bot.config import NEW_TOKEN_KEY

    settings = load_settings()
    if not settings.token_key:
        raise ConfigError(
            f"KNOWHOW_TOKEN_KEY is not set: it holds the keys of the stored tokens, newest first. Make a new key "
            f"with `{NEW_TOKEN_KEY}` and put it before the old one: KNOWHOW_TOKEN_KEY=new,old"
        )
    from bot.tokenstore import cipher, reseal
    from storage import migrate
    from storage.db import make_engine

    engine = make_engine(settings.database_url)
    try:
        migrate.upgrade(engine)
        result = reseal(engine, cipher(settings.token_key))
    finally:
        engine.dispose()
    print(
        f"Encrypted {result.tokens} token{'s' if result.tokens != 1 else ''} again with the first key of KNOWHOW_TOKEN_KEY."
    )
    if result.unreadable:
        print(
            f"knowhow: {result.unreadable} stored token{'s' if result.unreadable != 1 else ''} could not be opened "
            "with any key of KNOWHOW_TOKEN_KEY (a key removed too early?): they were left as they are; put the "
            "old key back (after the new one) and run this again.",
            file=sys.stderr,
        )
        return 1
    if len(settings.token_key) > 1:
        print("The other keys can now be removed from KNOWHOW_TOKEN_KEY (then restart Knowhow).")
    return 0


def _doctor(_args: argparse.Namespace) -> int:
    from bot import doctor

    problems = 0
    for finding in doctor.examine():
        print(finding.line(), flush=True)
        problems += finding.problem
    if problems:
        print(f"{problems} problem{'s' if problems != 1 else ''} found.")
        return 1
    print("All clear.")
    return 0


def _outbox(args: argparse.Namespace) -> int:
    from bot import deadletters
    from storage import migrate
    from storage.db import make_engine

    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        if migrate.pending(engine):
            print("knowhow: the database is not migrated: run `knowhow migrate` first.", file=sys.stderr)
            return 2
        if args.action == "retry":
            if not args.all and not args.ids:
                print("knowhow: name the messages to retry (their ids), or --all.", file=sys.stderr)
                return 2
            back = deadletters.retry(engine, team_id=args.team, ids=None if args.all else args.ids)
            missed = [] if args.all else sorted(set(args.ids) - set(back))
            print(
                f"Put {len(back)} message{'s' if len(back) != 1 else ''} back in the queue"
                + (f": {', '.join(map(str, back))}" if back else "")
                + ". A running Knowhow sends them within a few seconds."
            )
            if missed:
                print(
                    f"Not put back: {', '.join(map(str, missed))} (retried already, sent since, no such message"
                    f"{' in ' + args.team if args.team else ''}, or a request whose person was told to try again)."
                )
            return 0
        letters, total = deadletters.listed(engine, team_id=args.team, limit=args.limit)
    finally:
        engine.dispose()
    if not letters:
        print("No message failed for good.", file=sys.stderr)
        return 0
    print("id\tkind\tworkspace\tto\tfailed at\twhy")
    for letter in letters:
        print(deadletters.text_line(letter))
    shown = f" (the {len(letters)} newest shown: --limit)" if total > len(letters) else ""
    print(
        f"{total} message{'s' if total != 1 else ''} failed for good{shown}. "
        "`knowhow outbox retry ID...` (or --all) puts them back in the queue.",
        file=sys.stderr,
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    if args.user:
        return _export_person(args)
    from core import export
    from storage.db import make_engine, session_scope

    settings = load_settings()
    engine = make_engine(settings.database_url)
    out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout  # noqa: SIM115 (closed below)
    try:
        with session_scope(engine) as session:
            items = export.knowledge(
                session, team_id=args.team, workspace_only=args.workspace_only, include_private=args.include_private
            )
            count = export.write(items, out, args.format)
    finally:
        if args.output:
            out.close()
        engine.dispose()
    print(f"Exported {count} question{'s' if count != 1 else ''}.", file=sys.stderr)
    return 0


def _export_person(args: argparse.Namespace) -> int:
    """`knowhow export --team T --user U`: everything Knowhow holds about one person, as JSON."""
    import json

    from core import erasure
    from core.clock import utcnow
    from storage.db import make_engine, session_scope

    if not args.team:
        print("knowhow: --user needs --team: the workspace (T...) the person is in.", file=sys.stderr)
        return 2
    if args.format != "jsonl" or args.workspace_only or args.include_private:
        print(
            "knowhow: with --user the export is one JSON document of everything held about that person, "
            "across the organisation: leave out --format, --workspace-only and --include-private.",
            file=sys.stderr,
        )
        return 2
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            held = erasure.about(session, team_id=args.team, user_id=args.user, now=utcnow())
    except erasure.NotAPerson as exc:
        print(f"knowhow: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    text = json.dumps(held, ensure_ascii=False, indent=2, default=str) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    logging.getLogger("knowhow.privacy").info(
        "exported what is held about a member of the organisation of %s: %d rows", args.team, held["rows"]
    )
    print(
        f"Exported {held['rows']} row{'s' if held['rows'] != 1 else ''} that name this person "
        f"({len(held['tables'])} table{'s' if len(held['tables']) != 1 else ''}).",
        file=sys.stderr,
    )
    return 0


def _forget(args: argparse.Namespace) -> int:
    """`knowhow forget --team T --user U`: what Slack's `user_change` (deleted) does (bot.privacy)."""
    from bot import privacy
    from core.erasure import NotAPerson
    from storage import migrate
    from storage.db import make_engine, session_scope

    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        migrate.upgrade(engine)
        with session_scope(engine) as session:
            forgotten = privacy.forget(session, team_id=args.team, user_id=args.user)
    except NotAPerson as exc:
        print(f"knowhow: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(forgotten.fact()[0].upper() + forgotten.fact()[1:] + ".")
    if forgotten.posts:
        print(
            f"{len(forgotten.posts)} post{'s' if len(forgotten.posts) != 1 else ''} in Slack named them: "
            "Knowhow will update them to read “a former member” (they are queued; a running Knowhow sends them)."
        )
    return 0


def _import(args: argparse.Namespace) -> int:
    from core import importing
    from storage import migrate
    from storage.db import make_engine, session_scope

    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        migrate.upgrade(engine)
        with open(args.file, encoding="utf-8") as lines, session_scope(engine) as session:
            report = importing.import_jsonl(session, team_id=args.team, lines=lines)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"knowhow: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    for line, problem in report.problems:
        print(f"{args.file}:{line}: skipped: {problem}", file=sys.stderr)
    print(
        f"Imported {report.imported} question{'s' if report.imported != 1 else ''} into {args.team}"
        f" ({report.already} already there, {len(report.problems)} skipped).",
        file=sys.stderr,
    )
    return 1 if report.problems else 0


def _similar(args: argparse.Namespace) -> int:
    import json

    from core.importing import source_id
    from core.lessons import rank_similar
    from storage import qa, workspaces
    from storage.db import make_engine, session_scope

    settings = load_settings()
    engine = make_engine(settings.database_url)
    rows = []
    try:
        with session_scope(engine) as session:
            pool = workspaces.pool(session, team_id=args.team)
            for hit in rank_similar(
                session, team_id=args.team, text=args.text, limit=args.limit, channel_id=args.channel
            ):
                question = qa.get_in_pool(session, team_ids=pool, question_id=hit.question_id)
                rows.append(
                    {
                        "id": source_id(question) or str(question.id),
                        "score": round(hit.score, 6),
                        "text": question.text,
                        "team_id": question.team_id,
                    }
                )
    finally:
        engine.dispose()
    for row in rows:
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(f"{row['score']:10.4f}  {row['id']}  {' '.join(row['text'].split())[:100]}")
    if not rows:
        print("No similar questions.", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="knowhow", description="Knowhow: social learning in Slack.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (migrates the database first)")
    run.add_argument(
        "--no-scheduler",
        action="store_true",
        help="run a replica without the scheduler (only one process may run the scheduler per database)",
    )
    run.add_argument(
        "--host", default="0.0.0.0", help="the address HTTP mode listens on (default 0.0.0.0: every interface)"
    )
    run.add_argument(
        "--playground-if-unconfigured",
        action="store_true",
        help="with no Slack credentials at all, start the local playground instead (what `make run` does)",
    )
    run.set_defaults(func=_run)
    play = sub.add_parser("playground", help="try Knowhow in a browser, without Slack: a local workspace on 127.0.0.1")
    from playground.options import add_arguments as playground_arguments

    playground_arguments(play)
    play.set_defaults(func=_playground)
    sub.add_parser("migrate", help="apply pending database migrations").set_defaults(func=_migrate)
    sub.add_parser(
        "rotate-token-key",
        help="encrypt every stored Slack token again with the first key of KNOWHOW_TOKEN_KEY (distribution mode), "
        "so the older keys can be removed",
    ).set_defaults(func=_rotate_token_key)
    sub.add_parser(
        "doctor",
        help="check the deployment (tokens, scopes, channels, database, scheduler, outbox) and say what to fix; "
        "exit code 1 on a problem",
    ).set_defaults(func=_doctor)
    box = sub.add_parser(
        "outbox", help="list the messages that failed for good (dead letters), or put them back in the queue"
    )
    box.add_argument("action", nargs="?", choices=("list", "retry"), default="list")
    box.add_argument("ids", nargs="*", type=_positive_id, help="with retry: the ids of the messages to retry")
    box.add_argument("--all", action="store_true", help="with retry: every message that failed for good")
    box.add_argument("--team", help="one workspace's team id (T...) only (default: every workspace)")
    box.add_argument("--limit", type=int, default=100, help="how many to list, newest failure first (default 100)")
    box.set_defaults(func=_outbox)
    exp = sub.add_parser("export", help="write the knowledge base (questions and answers) to a file or stdout")
    exp.add_argument(
        "--format",
        choices=("jsonl", "csv", "markdown"),
        default="jsonl",
        help="jsonl (what `knowhow import` reads, text unchanged), csv (a cell a spreadsheet would run as a "
        "formula starts with '), markdown (HTML people typed shows as text); default jsonl",
    )
    exp.add_argument(
        "--team", help="a workspace's team id: its whole organisation's knowledge base (default: every workspace)"
    )
    exp.add_argument("--workspace-only", action="store_true", help="with --team: that workspace alone")
    exp.add_argument(
        "--include-private",
        action="store_true",
        help="also the questions of private channels and other conversations that are not public channels",
    )
    exp.add_argument(
        "--user",
        help="with --team: instead of the knowledge base, everything Knowhow holds about this person (U...), "
        "across the organisation, as one JSON document (for an access request)",
    )
    exp.add_argument("--output", "-o", help="a file to write (default: standard output)")
    exp.set_defaults(func=_export)
    fgt = sub.add_parser(
        "forget",
        help="erase what is personal about someone who left, across the organisation; their questions and "
        "answers stay, by a former member (what Slack's account deactivation does; see PRIVACY.md)",
    )
    fgt.add_argument("--team", required=True, help="a workspace's team id (T...): its whole organisation")
    fgt.add_argument("--user", required=True, help="the person's Slack user id (U... or W...)")
    fgt.set_defaults(func=_forget)
    imp = sub.add_parser(
        "import", help="load questions and answers (JSON Lines, as export writes them) into a workspace"
    )
    imp.add_argument("--team", required=True, help="the workspace's team id (T...)")
    imp.add_argument("--format", choices=("jsonl",), default="jsonl")
    imp.add_argument("file", help="the file to read")
    imp.set_defaults(func=_import)
    sim = sub.add_parser(
        "similar", help="the earlier questions most like TEXT, best first (the ranking behind suggestions)"
    )
    sim.add_argument(
        "--team", required=True, help="the workspace's team id (T...): its whole organisation's knowledge base"
    )
    sim.add_argument(
        "--channel", help="as asked from this conversation (its questions are found even if it is not public)"
    )
    sim.add_argument("--limit", type=int, default=3, help="how many (default 3)")
    sim.add_argument("--json", action="store_true", help="one JSON object a line: id, score, text")
    sim.add_argument("text", help="the new question")
    sim.set_defaults(func=_similar)
    args = parser.parse_args(argv)
    try:  # the log format, and the secrets no line may show; a setting that is wrong is said below
        logs.configure(load_settings())
    except ConfigError:
        logs.configure(None)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"knowhow: {exc}", file=sys.stderr)
        return 2
    except _db_errors() as exc:
        print(f"knowhow: cannot use the database in DATABASE_URL: {_short(exc)}", file=sys.stderr)
        return 2


def _positive_id(value: str) -> int:
    if not (value.isascii() and value.isdigit() and 0 < int(value) < 2**63):
        raise argparse.ArgumentTypeError(f"{value!r} is not a message id (a whole number, as `knowhow outbox` lists)")
    return int(value)


def _db_errors():
    from sqlalchemy.exc import OperationalError

    return (OperationalError,)


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
