"""`knowhow doctor`: checks a deployment and says, one line each, what is right and what to fix.

Each check is a small function that returns a `Finding` (or a few): ok, a problem with the fix in
one line, or that it cannot be checked (not a problem: it says how to check it by hand). The
checks run in an order where each needs only what the ones before found: the configuration, the
database, the tokens (Slack's `auth.test`; the granted scopes from its `x-oauth-scopes` header),
how Slack reaches Knowhow (Socket Mode or the request URL), each workspace's Q&A channel and
session channels, who runs the scheduler, and the outbox. `knowhow doctor` exits 1 when any
check found a problem.

It only reads: it sends no message, joins no channel and takes no lock (on SQLite it tries the
scheduler's flock and lets go at once). In distribution mode a token about to expire is
refreshed as any use of it would (bot/oauth.py).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

from bot.config import DEFAULT_SCOPES, WHERE, ConfigError, Settings, environment, load_settings
from bot.scoreboard.blocks import duration
from core.clock import utcnow

OK, PROBLEM, UNKNOWN = "ok", "problem", "unknown"
# A message due this long ago and still not taken: no worker is sending.
STUCK_AFTER = timedelta(minutes=5)
# A message still retrying after this long: Slack keeps refusing it for a reason that passes.
RETRYING_TOO_LONG = timedelta(hours=1)
SLACK_TIMEOUT_SECONDS = 10

# Token prefixes Slack issues, by kind (https://api.slack.com/concepts/token-types).
TOKEN_KINDS = {
    "xoxb-": "a bot token",
    "xoxe.xoxb-": "a bot token",
    "xoxp-": "a user token",
    "xoxe.xoxp-": "a user token",
    "xapp-": "an app-level token",
    "xoxe-": "a refresh token",
    "xoxa-": "a workspace token",
}
REINSTALL = (
    "add them under OAuth & Permissions > Scopes (or paste manifest.yml again on the App Manifest page), "
    "then reinstall the app to the workspace"
)


@dataclass(frozen=True)
class Finding:
    check: str
    state: str
    said: str
    fix: str = ""

    @property
    def problem(self) -> bool:
        return self.state == PROBLEM

    def line(self) -> str:
        if self.state == OK:
            return f"ok: {self.check}: {self.said}"
        if self.state == UNKNOWN:
            return f"can't check: {self.check}: {self.said}"
        return f"PROBLEM: {self.check}: {self.said} — fix: {self.fix}"


def ok(check: str, said: str) -> Finding:
    return Finding(check, OK, said)


def problem(check: str, said: str, fix: str) -> Finding:
    return Finding(check, PROBLEM, said, fix)


def unknown(check: str, said: str) -> Finding:
    return Finding(check, UNKNOWN, said)


def token_kind(token: str) -> str:
    for prefix, kind in TOKEN_KINDS.items():
        if token.startswith(prefix):
            return kind
    return "not a Slack token"


# -- configuration ---------------------------------------------------------------------------------
def configuration(env: dict[str, str]) -> tuple[list[Finding], Settings | None]:
    """The settings, and what is wrong with them. A token of the wrong kind is named as such and
    left out, so that the checks that do not need it still run."""
    findings = []
    env = dict(env)
    for name, wanted, fix in (
        ("SLACK_BOT_TOKEN", "a bot token", WHERE["SLACK_BOT_TOKEN"]),
        ("SLACK_APP_TOKEN", "an app-level token", WHERE["SLACK_APP_TOKEN"]),
    ):
        value = (env.get(name) or "").strip()
        if value and token_kind(value) != wanted:
            findings.append(problem(name, f"holds {token_kind(value)}, not {wanted}", fix))
            env.pop(name)
    try:
        settings = load_settings(env)
    except ConfigError as exc:
        findings.append(problem("configuration", str(exc), "set it right in the environment or .env, then run again"))
        return findings, None
    for name in settings.missing_for_run():
        if not any(f.check == name for f in findings):
            findings.append(problem(name, "is not set", WHERE[name]))
    if not findings:
        mode = "distribution (Add to Slack)" if settings.distribution else "one workspace (SLACK_BOT_TOKEN)"
        findings.append(ok("configuration", f"{mode}, {'Socket Mode' if settings.socket_mode else 'HTTP mode'}"))
    return findings, settings


# -- the database ----------------------------------------------------------------------------------
def database(engine: Engine) -> Finding:
    from pathlib import Path

    from storage import migrate
    from storage.db import ping

    url = engine.url
    file = url.database if url.get_backend_name() == "sqlite" and url.database != ":memory:" else None
    if file and not Path(file).exists():  # connecting would create it
        return problem(
            "database",
            f"there is no database at {file}",
            "correct DATABASE_URL, or create it with `knowhow migrate` (`knowhow run` also does)",
        )
    try:
        ping(engine)
        ahead = migrate.unknown(engine)
        todo = migrate.pending(engine)
    except Exception as exc:  # the kind of failure and its first line, never the URL (it may hold a password)
        first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
        return problem(
            "database",
            f"cannot use the database in DATABASE_URL ({type(exc).__name__}: {first[:200]})",
            "check DATABASE_URL, that the server runs and this machine may connect to it",
        )
    if ahead:
        return problem(
            "database",
            f"is at revision {', '.join(ahead)}, which this Knowhow does not know (a newer Knowhow migrated it)",
            "run the newer Knowhow, or restore the database's backup from before the upgrade",
        )
    if todo:
        return problem(
            "database",
            f"{len(todo)} migration{'s' if len(todo) != 1 else ''} not applied yet (up to {todo[-1]})",
            "run `knowhow migrate` (`knowhow run` also migrates as it starts)",
        )
    return ok("database", f"reachable, migrated to the latest revision ({migrate.head(engine)})")


# -- tokens and scopes -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    """What auth.test said of a bot token."""

    token: str
    team_id: str
    team: str
    bot_user_id: str | None
    enterprise_id: str | None
    enterprise_install: bool
    scopes: frozenset[str] | None  # None: Slack did not say


def _slack_error(exc: SlackApiError) -> str:
    data = exc.response.data
    return str(data.get("error") or "refused") if isinstance(data, dict) else f"HTTP {exc.response.status_code}"


def _unreachable(check: str, settings: Settings, exc: Exception) -> Finding:
    return problem(
        check,
        f"cannot reach the Slack Web API at {settings.api_url} ({exc})",
        "check SLACK_API_URL, and this machine's network and proxy settings (HTTPS_PROXY)",
    )


def bot_token(
    client: WebClient, settings: Settings, *, check: str = "SLACK_BOT_TOKEN", fix: str | None = None
) -> tuple[Finding, Token | None]:
    """Is the token valid, and a bot's? (auth.test names the bot it speaks for.)"""
    fix = fix or WHERE["SLACK_BOT_TOKEN"] + " (a token changes when it is revoked or the app reinstalled)"
    try:
        response = client.auth_test()
    except SlackApiError as exc:
        return problem(check, f"Slack refuses it ({_slack_error(exc)})", fix), None
    except (urllib.error.URLError, OSError) as exc:
        return _unreachable(check, settings, exc), None
    data = response.data if isinstance(response.data, dict) else {}
    if not data.get("bot_id"):
        return problem(
            check, f"is {token_kind(client.token or '')} of {data.get('user') or 'a person'}, not a bot's", fix
        ), None
    headers = {k.lower(): v for k, v in (response.headers or {}).items()}
    granted = headers.get("x-oauth-scopes")
    token = Token(
        token=client.token or "",
        team_id=data.get("team_id") or "",
        team=data.get("team") or "",
        bot_user_id=data.get("user_id"),
        enterprise_id=data.get("enterprise_id") or None,
        enterprise_install=bool(data.get("is_enterprise_install")),
        scopes=frozenset(s.strip() for s in granted.split(",") if s.strip()) if granted is not None else None,
    )
    where = f"the organisation {token.enterprise_id}" if token.enterprise_install else f"workspace {token.team_id}"
    return ok(check, f"valid bot token of {where} ({token.team}), bot user {token.bot_user_id}"), token


def scopes(token: Token, *, check: str = "scopes", fix: str = REINSTALL) -> Finding:
    """Does the token have every bot scope manifest.yml asks for (the ones Knowhow calls need)?"""
    if token.scopes is None:
        return unknown(check, "Slack did not list the token's scopes (no x-oauth-scopes header)")
    missing = [s for s in DEFAULT_SCOPES if s not in token.scopes]
    if missing:
        return problem(check, f"missing {', '.join(missing)} of the bot scopes manifest.yml asks for", fix)
    return ok(check, f"all {len(DEFAULT_SCOPES)} bot scopes of manifest.yml are granted")


# -- how Slack reaches Knowhow ---------------------------------------------------------------------
def socket_mode(settings: Settings) -> Finding:
    """Slack hands out a Socket Mode connection for SLACK_APP_TOKEN (apps.connections.open; the
    connection it offers is not opened)."""
    client = WebClient(base_url=settings.api_url, timeout=SLACK_TIMEOUT_SECONDS)
    try:
        client.apps_connections_open(app_token=settings.app_token)
    except SlackApiError as exc:
        return problem(
            "Socket Mode",
            f"Slack refuses a connection for SLACK_APP_TOKEN ({_slack_error(exc)})",
            "turn Socket Mode on under the app's Socket Mode page, and "
            + WHERE["SLACK_APP_TOKEN"].replace("create", "use", 1),
        )
    except (urllib.error.URLError, OSError) as exc:
        return _unreachable("Socket Mode", settings, exc)
    return ok("Socket Mode", "Slack hands out connections for SLACK_APP_TOKEN (apps.connections.open)")


def public_url(settings: Settings) -> Finding:
    """HTTP mode: does Knowhow answer at its public address? Known only from SLACK_REDIRECT_URI."""
    if not settings.redirect_uri:
        return unknown(
            "request URL",
            "HTTP mode, and Knowhow is not told its public address (only SLACK_REDIRECT_URI would say it); "
            "Slack verifies https://YOUR-HOST/slack/events when it is entered as the Request URL on the app's "
            "Event Subscriptions page",
        )
    parts = urllib.parse.urlsplit(settings.redirect_uri)
    url = f"{parts.scheme}://{parts.netloc}/healthz"
    fix = "make that address reach Knowhow's PORT (the reverse proxy, DNS, the firewall), /slack/events and /healthz"
    try:
        with urllib.request.urlopen(url, timeout=SLACK_TIMEOUT_SECONDS) as answer:
            status, body = answer.status, answer.read(4096)
    except urllib.error.HTTPError as answer:
        status, body = answer.code, answer.read(4096)
    except (urllib.error.URLError, OSError) as exc:
        return problem("request URL", f"{url} cannot be reached ({getattr(exc, 'reason', exc)})", fix)
    try:
        report = json.loads(body)
    except ValueError:
        report = None
    if not isinstance(report, dict) or "status" not in report:
        return problem("request URL", f"{url} answered HTTP {status}, but not as Knowhow", fix)
    if status != 200:
        return problem(
            "request URL",
            f"Knowhow answers at {url} but is unhealthy: {report}",
            "see the checks below and Knowhow's log",
        )
    return ok("request URL", f"Knowhow answers at {url}")


# -- channels --------------------------------------------------------------------------------------
def conversation(client: WebClient, channel: str, *, check: str, choose_another: str, can_join: bool) -> Finding:
    """Does the channel exist for the bot, and is the bot in it (or can it join by itself)?"""
    try:
        info = client.conversations_info(channel=channel).get("channel") or {}
    except SlackApiError as exc:
        error = _slack_error(exc)
        if error == "channel_not_found":
            return problem(
                check,
                f"<#{channel}> does not exist for the bot: deleted, or private and the bot was not invited",
                f"invite the bot there (/invite @Knowhow), or {choose_another}",
            )
        if error == "missing_scope":
            return unknown(check, f"the token may not read <#{channel}> (missing channels:read or groups:read)")
        return problem(
            check, f"Slack will not say what <#{channel}> is ({error})", f"invite the bot, or {choose_another}"
        )
    except (urllib.error.URLError, OSError) as exc:
        return problem(check, f"Slack could not be asked about <#{channel}> ({exc})", "check the network and run again")
    name = f"#{info['name']}" if info.get("name") else f"<#{channel}>"
    if info.get("is_archived"):
        return problem(check, f"{name} ({channel}) is archived", f"unarchive it, or {choose_another}")
    if info.get("is_member"):
        return ok(check, f"{name} ({channel}), the bot is in it")
    if not info.get("is_private") and can_join:
        return ok(check, f"{name} ({channel}), the bot is not in it yet and joins it when it first posts")
    return problem(check, f"the bot is not in {name} ({channel})", f"invite it (/invite @Knowhow in {name})")


def qa_channel(engine: Engine, settings: Settings, client: WebClient, token: Token, team_id: str) -> Finding:
    from storage import workspaces
    from storage.db import session_scope

    check = f"Q&A channel of {team_id}"
    with session_scope(engine) as session:
        own = workspaces.qa_channel(session, team_id=team_id)
    channel = own or settings.qa_channel
    if channel is None:
        return problem(
            check,
            "none is set, so /ask has nowhere to post",
            "set KNOWHOW_QA_CHANNEL to the channel's id, or an admin runs `/ask channel` in it",
        )
    return conversation(
        client,
        channel,
        check=check + (" (set with /ask channel)" if own else " (KNOWHOW_QA_CHANNEL)"),
        choose_another="choose another: an admin runs `/ask channel` in it"
        + ("" if own else ", or set KNOWHOW_QA_CHANNEL"),
        can_join=_can_join(token),
    )


def session_channels(engine: Engine, client: WebClient, token: Token, team_id: str) -> list[Finding]:
    from core import sessions
    from storage.db import session_scope

    with session_scope(engine) as session:
        hosts = sessions.hosts(session, team_id=team_id)
    if not hosts:
        return [ok(f"session channels of {team_id}", "none hosts sessions yet (`/expert channels add`)")]
    return [
        conversation(
            client,
            host.channel_id,
            check=f"session channel of {team_id}",
            choose_another=f"stop hosting sessions there: `/expert channels remove #{host.name or 'channel'}`",
            can_join=_can_join(token),
        )
        for host in hosts
    ]


def _can_join(token: Token) -> bool:
    return token.scopes is None or "channels:join" in token.scopes


# -- the scheduler and the outbox ------------------------------------------------------------------
def scheduler(engine: Engine) -> Finding:
    from scheduler.lock import holder

    try:
        who = holder(engine)
    except ValueError as exc:
        return unknown("scheduler", str(exc))
    except Exception as exc:
        return unknown("scheduler", f"could not read who holds its lock ({type(exc).__name__})")
    if who is None:
        return problem(
            "scheduler",
            "no process runs it: sessions do not open or close, reminders and follow-ups wait",
            "run `knowhow run` (without --no-scheduler) in one process",
        )
    return ok("scheduler", f"runs in {who}")


def _row(row, now: datetime) -> str:
    said = f"#{row.id} {row.kind} of {row.team_id}, queued {duration(int((now - row.created_at).total_seconds()))} ago"
    if row.attempts:
        said += f", {row.attempts} attempt{'s' if row.attempts != 1 else ''}"
    if row.last_error:
        said += f", last error: {row.last_error.splitlines()[0][:120]}"
    return said


def outbox_queue(engine: Engine, now: datetime | None = None) -> list[Finding]:
    from storage import outbox
    from storage.db import session_scope

    now = now or utcnow()
    with session_scope(engine) as session:
        depth = outbox.depth(session, now=now)
    found = []
    if depth.overdue is not None and now - depth.overdue.next_attempt_at > STUCK_AFTER:
        waited = duration(int((now - depth.overdue.next_attempt_at).total_seconds()))
        found.append(
            problem(
                "outbox",
                f"{depth.pending} message{'s' if depth.pending != 1 else ''} wait; one was due {waited} ago and "
                f"no worker took it ({_row(depth.overdue, now)})",
                "start Knowhow (`knowhow run`: its outbox workers send them); if it runs, see `outbox` in "
                "/healthz and its log",
            )
        )
    elif depth.oldest is not None and depth.oldest.attempts and now - depth.oldest.created_at > RETRYING_TOO_LONG:
        found.append(
            problem(
                "outbox",
                f"a message is still being retried ({_row(depth.oldest, now)})",
                "see its last error: Slack keeps refusing it (a token, a rate limit, an outage); `knowhow outbox` "
                "lists what failed for good",
            )
        )
    else:
        oldest = f", the oldest queued {_row(depth.oldest, now)}" if depth.oldest is not None else ""
        held = f"; {depth.held} held for workspaces that uninstalled Knowhow" if depth.held else ""
        found.append(ok("outbox", f"{depth.pending} pending{oldest}{held}"))
    if depth.failed:
        with session_scope(engine) as session:
            latest = outbox.dead_letters(session, team_id=None, limit=1)[0]
        found.append(
            problem(
                "dead letters",
                f"{depth.failed} message{'s' if depth.failed != 1 else ''} failed for good; the latest: #{latest.id} "
                f"{latest.kind} of {latest.team_id}: {(latest.last_error or 'no reason kept').splitlines()[0][:120]}",
                "`knowhow outbox` lists them; fix the cause, then `knowhow outbox retry ID` (or --all)",
            )
        )
    else:
        found.append(ok("dead letters", "no message failed for good"))
    return found


# -- putting it together ---------------------------------------------------------------------------
def _client(settings: Settings, token: str | None) -> WebClient:
    return WebClient(token=token, base_url=settings.api_url, timeout=SLACK_TIMEOUT_SECONDS)


def _served(engine: Engine, token: Token) -> list[str]:
    """The workspaces a token speaks for: its own, or every known one of its organisation."""
    if not token.enterprise_install or not token.enterprise_id:
        return [token.team_id]
    from storage import workspaces
    from storage.db import session_scope

    with session_scope(engine) as session:
        return [w.team_id for w in workspaces.of_org(session, org_id=token.enterprise_id)]


def _gone(engine: Engine, team_id: str) -> bool:
    from storage import workspaces
    from storage.db import session_scope

    with session_scope(engine) as session:
        return workspaces.is_gone(session, team_id=team_id)


def _installations(engine: Engine, settings: Settings) -> Iterator[Finding | tuple[WebClient, Token]]:
    """Distribution mode: each installation's token and scopes."""
    from bot.oauth import OAuthInstalls

    installs = OAuthInstalls(engine, settings)
    keys = installs.keys()
    if not keys:
        yield problem(
            "installations",
            "no workspace has installed Knowhow yet",
            "open https://YOUR-HOST/slack/install and choose “Add to Slack”",
        )
        return
    for enterprise_id, team_id in keys:
        check = f"installation {team_id or enterprise_id}"
        reinstall = (
            f"an admin of {team_id or enterprise_id} installs Knowhow again from https://YOUR-HOST/slack/install"
        )
        try:
            installation = installs.installation(
                enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=team_id is None
            )
        except Exception as exc:  # its token could not be refreshed, or opened with KNOWHOW_TOKEN_KEY
            yield problem(check, f"its token cannot be used ({type(exc).__name__}: {exc})", reinstall)
            continue
        if installation is None or not installation.bot_token:
            yield problem(check, "has no bot token", reinstall)
            continue
        client = _client(settings, installation.bot_token)
        finding, token = bot_token(client, settings, check=check, fix=reinstall)
        yield finding
        if token is not None:
            yield scopes(
                token,
                check=f"scopes of {team_id or enterprise_id}",
                fix="set SLACK_SCOPES to include them (or unset it), then " + reinstall,
            )
            yield client, token


def examine(env: dict[str, str] | None = None) -> Iterator[Finding]:
    """Every check, in order; what a check needs and could not have makes it say so."""
    findings, settings = configuration(environment() if env is None else env)
    yield from findings
    if settings is None:
        return
    from storage.db import make_engine

    engine = make_engine(settings.database_url)
    try:
        db = database(engine)
        yield db
        usable = db.state == OK
        tokens: list[tuple[WebClient, Token]] = []
        if settings.distribution:
            if usable:
                for found in _installations(engine, settings):
                    if isinstance(found, Finding):
                        yield found
                    else:
                        tokens.append(found)
            else:
                yield unknown("installations", "their tokens are in the database")
        elif settings.bot_token:
            client = _client(settings, settings.bot_token)
            finding, token = bot_token(client, settings)
            yield finding
            if token is not None:
                yield scopes(token)
                tokens.append((client, token))
        if settings.socket_mode:
            yield socket_mode(settings)
        elif settings.signing_secret:
            yield public_url(settings)
        if not usable:
            yield unknown("channels, scheduler, outbox", "they are read from the database")
            return
        if not tokens:
            yield unknown("channels", "Slack is asked about them with a valid bot token")
        for client, token in tokens:
            for team_id in _served(engine, token):
                if _gone(engine, team_id):
                    yield ok(f"workspace {team_id}", "uninstalled Knowhow: not checked")
                    continue
                yield qa_channel(engine, settings, client, token, team_id)
                yield from session_channels(engine, client, token, team_id)
        yield scheduler(engine)
        yield from outbox_queue(engine)
    finally:
        engine.dispose()
