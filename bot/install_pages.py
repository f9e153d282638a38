"""The "Add to Slack" pages of distribution mode, on Bolt's OAuth flow.

`GET /slack/install` shows the "Add to Slack" page (a fresh OAuth `state`, kept in the database
and in a cookie of the installer's browser); Slack sends the installer back to
`GET /slack/oauth_redirect?code=…&state=…`, where Bolt checks the state (this browser, not
expired, not used), exchanges the code with `oauth.v2.access` (at SLACK_API_URL) and saves the
installation (bot/tokenstore.py). Then `installed` records the workspace (or, for an org-wide
Grid install, every recorded workspace of the organisation) and releases what was held for it
while it was uninstalled. Both pages are plain HTTP, served by the front (bot/server.py) in HTTP
mode and in Socket Mode alike.
"""

from __future__ import annotations

import html
import logging

from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_flow import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation

from bot.config import Settings
from bot.oauth import OAuthInstalls
from bot.tokenstore import StateStore
from storage import workspaces
from storage.db import session_scope

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# How long an install begun may take before its state expires.
STATE_SECONDS = 600
SLACK_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"

# Why an installation failed, in the installer's words (Bolt's reasons, then Slack's `error`).
FAILURES = {
    "access_denied": "The installation was cancelled in Slack, so Knowhow was not added.",
    "invalid_browser": (
        "This page was opened in another browser than the one that began the installation, or the browser "
        "refused Knowhow's cookie. Start again from the install page, in one browser."
    ),
    "invalid_state": "This installation link has expired or was already used. Start again from the install page.",
    "missing_code": "Slack did not send the installation back. Start again from the install page.",
    "invalid_code": "Slack did not confirm the installation (the link may have been used already). Start again.",
    "storage_error": "Knowhow could not save the installation. Try again in a moment.",
}

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem;
       color: #1d1c1d; line-height: 1.5; }}
h1 {{ font-size: 1.6rem; }}
a.button {{ display: inline-block; padding: .7rem 1.2rem; border-radius: .4rem; background: #4a154b;
           color: #fff; text-decoration: none; font-weight: 600; }}
</style>
</head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""

# Pages that hold an install's state: not cached, not framed.
_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
}


def page(title: str, body: str) -> str:
    return _PAGE.format(title=html.escape(title), body=body)


def authorization_url(api_url: str) -> str:
    """Slack's authorize page beside SLACK_API_URL (GovSlack's for slack-gov.com, a stand-in's for
    a stand-in), or slack.com's when the API URL is a proxy of another shape."""
    if api_url.endswith("/api/"):
        return api_url[: -len("api/")] + "oauth/v2/authorize"
    return SLACK_AUTHORIZE_URL


class KnowhowOAuthFlow(OAuthFlow):
    """Bolt's OAuth flow with Knowhow's "Add to Slack" page."""

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        return page(
            "Add Knowhow to Slack",
            "<p>Knowhow helps your organisation learn from itself: questions answered by colleagues, "
            "mentors matched across offices, expert sessions.</p>"
            "<p>Installing it in a workspace (or, for an Enterprise Grid organisation, in the whole "
            "organisation) takes one click in Slack.</p>"
            f'<p><a class="button" href="{html.escape(url)}">Add to Slack</a></p>',
        )

    def handle_installation(self, request: BoltRequest) -> BoltResponse:
        response = super().handle_installation(request)
        return _with_headers(response)


def _with_headers(response: BoltResponse) -> BoltResponse:
    for name, value in _HEADERS.items():
        response.headers[name.lower()] = [value]
    return response


def installed(engine, installs: OAuthInstalls, installation: Installation) -> list[str]:
    """An installation was saved: record the workspace it is for, or, for an org-wide install,
    every workspace Knowhow knows in the organisation, and release what was held while it was
    gone. Returns the workspaces."""
    with session_scope(engine) as session:
        if installation.is_enterprise_install and installation.enterprise_id:
            teams = [w.team_id for w in workspaces.of_org(session, org_id=installation.enterprise_id)]
            for team_id in teams:
                workspaces.seen(
                    session, team_id=team_id, enterprise_id=installation.enterprise_id, enterprise_install=True
                )
        elif installation.team_id:
            teams = [installation.team_id]
            workspaces.seen(
                session,
                team_id=installation.team_id,
                enterprise_id=installation.enterprise_id,
                name=installation.team_name,
                enterprise_install=False,
            )
        else:
            teams = []
        for team_id in teams:
            workspaces.mark_back(session, team_id=team_id)
    installs.forget_all()
    return teams


def _success(engine, installs: OAuthInstalls):
    def success(args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        try:
            teams = installed(engine, installs, installation)
        except Exception:
            log.exception("the installation was saved, but its workspace could not be recorded")
            return _failure(args.settings, "storage_error", 500)
        log.info(
            "installed: enterprise %s, workspace %s (org-wide: %s; workspaces recorded: %s)",
            installation.enterprise_id,
            installation.team_id,
            installation.is_enterprise_install,
            ", ".join(teams) or "none yet",
        )
        app_id = html.escape(installation.app_id or "")
        if installation.is_enterprise_install:
            where = html.escape(installation.enterprise_name or "your organisation")
            manage = html.escape(
                f"https://app.slack.com/manage/{installation.enterprise_id}/integrations/profile/"
                f"{installation.app_id}/workspaces/add"
            )
            body = (
                f"<p>Knowhow is installed for the whole of <strong>{where}</strong>.</p>"
                "<p>An organisation-wide app is in no workspace yet: "
                f'<a href="{manage}">choose the workspaces</a> where people will use it. Its mentors, '
                "questions and scoreboard then span them all.</p>"
            )
        else:
            where = html.escape(installation.team_name or "your workspace")
            team = html.escape(installation.team_id or "")
            body = (
                f"<p>Knowhow is installed in <strong>{where}</strong>.</p>"
                "<p>Invite it to your Q&amp;A channel, then try <code>/ask</code>, <code>/mentor</code> or "
                "<code>/expert</code>.</p>"
                f'<p><a class="button" href="https://slack.com/app_redirect?app={app_id}&amp;team={team}">'
                "Open Knowhow in Slack</a></p>"
            )
        return BoltResponse(
            status=200,
            body=page("Knowhow is installed", body),
            headers={**_HEADERS, "Set-Cookie": args.settings.state_utils.build_set_cookie_for_deletion()},
        )

    return success


def _failure(settings: OAuthSettings, reason: str, status: int) -> BoltResponse:
    why = FAILURES.get(reason, f"Slack answered “{reason}”.")
    body = (
        f"<p>{html.escape(why)}</p>"
        f'<p><a class="button" href="{html.escape(settings.install_path)}">Start the installation again</a></p>'
    )
    return BoltResponse(
        status=status,
        body=page("Knowhow was not installed", body),
        headers={**_HEADERS, "Set-Cookie": settings.state_utils.build_set_cookie_for_deletion()},
    )


def _failed(args: FailureArgs) -> BoltResponse:
    log.info("an installation failed: %s", args.reason)
    return _failure(args.settings, args.reason, args.suggested_status_code)


def oauth_flow(engine, settings: Settings, installs: OAuthInstalls, client: WebClient) -> KnowhowOAuthFlow:
    """Bolt's OAuth flow for distribution mode: Knowhow's stores, scopes and pages. `client` is the
    app's (its base URL is SLACK_API_URL: oauth.v2.access and auth.test go there)."""
    oauth_settings = OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=list(settings.scopes),
        user_scopes=[],
        redirect_uri=settings.redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorization_url(settings.api_url),
        installation_store=installs.store,
        state_store=StateStore(engine, STATE_SECONDS),
        state_expiration_seconds=STATE_SECONDS,
        callback_options=CallbackOptions(
            success=_success(engine, installs),
            failure=_failed,
        ),
        logger=log,
    )
    return KnowhowOAuthFlow(client=client, logger=log, settings=oauth_settings)
