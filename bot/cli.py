"""The `knowhow` command: `run` the bot, `migrate` the database, `export` and `import` the
knowledge base, and list the questions `similar` to a text."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

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


def _export(args: argparse.Namespace) -> int:
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
    exp.add_argument("--output", "-o", help="a file to write (default: standard output)")
    exp.set_defaults(func=_export)
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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Bolt logs request bodies at debug level; keep them out of production logs.
    logging.getLogger("slack_bolt").setLevel(logging.WARNING)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"knowhow: {exc}", file=sys.stderr)
        return 2
    except _db_errors() as exc:
        print(f"knowhow: cannot use the database in DATABASE_URL: {_short(exc)}", file=sys.stderr)
        return 2


def _db_errors():
    from sqlalchemy.exc import OperationalError

    return (OperationalError,)


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
