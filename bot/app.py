"""The Bolt app: one WebClient that honours SLACK_API_URL, and every feature's listeners."""

from __future__ import annotations

import urllib.error

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ask, deadletters, home, lessons, mentor, privacy, scoreboard, sessions, tenancy, uninstalls
from bot.config import WHERE, ConfigError, Settings
from bot.deps import Deps
from bot.edge import strip_controls
from bot.install_pages import oauth_flow
from bot.oauth import InstallsAuthorize, OAuthInstalls
from bot.outbox import Sender

# Every feature plugs in here: `register(app, deps)` adds its listeners, `SENDERS` maps the outbox
# kinds it delivers to their senders.
FEATURES = (ask, sessions, mentor, scoreboard, home, uninstalls, privacy, deadletters, lessons)


def senders(features=FEATURES) -> dict[str, Sender]:
    """Every feature's senders by outbox kind. Two for one kind is a mistake found at start-up."""
    merged: dict[str, Sender] = {}
    owner: dict[str, str] = {}
    for feature in features:
        for kind, sender in getattr(feature, "SENDERS", {}).items():
            if kind in merged:
                raise ValueError(
                    f"two senders for the outbox kind {kind!r}: in {owner[kind]} and in {feature.__name__}"
                )
            merged[kind], owner[kind] = sender, feature.__name__
    return merged


def make_client(settings: Settings, *, retry_on_connection_errors: bool = True) -> WebClient:
    """A Web API client for SLACK_API_URL. The outbox's client must not retry by itself: slack-sdk
    re-sends after a dropped connection, which may post a message Slack already took."""
    return WebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        timeout=15,
        retry_handlers=None if retry_on_connection_errors else [],
    )


# What a person sees when their workspace has no installation (distribution mode).
NOT_INSTALLED = (
    "Knowhow is not installed in this workspace any more. A workspace admin can add it again with "
    "“Add to Slack” on Knowhow's install page."
)


def _distribution(deps: Deps, client: WebClient) -> dict:
    """Distribution mode's App arguments: installs by "Add to Slack" (bot/install_pages.py), each
    request's token from the installation store, refreshed under its lock (bot/oauth.py), every
    Web API call at SLACK_API_URL (the flow uses `client`, and Bolt's per-request clients copy
    its base URL)."""
    if not isinstance(deps.installs, OAuthInstalls):
        deps.installs = OAuthInstalls(deps.engine, deps.settings)
    return dict(
        authorize=InstallsAuthorize(deps.installs),
        oauth_flow=oauth_flow(deps.engine, deps.settings, deps.installs, client),
        user_facing_authorize_error_message=NOT_INSTALLED,
    )


def build_app(deps: Deps, client: WebClient, *, verify_token: bool = True) -> App:
    """Build the Bolt app; `auth.test` goes to SLACK_API_URL and a refusal becomes a ConfigError.
    In distribution mode there is no token to check: each request's comes from its installation.
    Without `verify_token` (Slack cannot be reached now), Bolt asks `auth.test` at the first request."""
    settings = deps.settings
    try:
        app = App(
            **(_distribution(deps, client) if settings.distribution else {}),
            client=client,
            signing_secret=settings.signing_secret,
            # Every HTTP request's signature is verified once, by the front (bot/server.py), before
            # Bolt sees it: a second HMAC here would only cost the ack path. Socket Mode requests
            # are not signed (the socket itself is authenticated by the app-level token).
            request_verification_enabled=False,
            # Listeners only store and queue, so the response waits for them: acked means stored.
            process_before_response=True,
            token_verification_enabled=verify_token,
        )
    except BoltError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, SlackApiError):
            error = (cause.response.data or {}).get("error", "refused")
            raise ConfigError(f"SLACK_BOT_TOKEN was refused by Slack ({error}): {WHERE['SLACK_BOT_TOKEN']}") from exc
        if isinstance(cause, (urllib.error.URLError, OSError)):
            raise ConfigError(f"cannot reach the Slack Web API at SLACK_API_URL={settings.api_url} ({cause})") from exc
        raise ConfigError(f"SLACK_BOT_TOKEN could not be checked with auth.test: {exc}") from exc
    # First, before anything reads a request: its text without control characters (bot/edge.py).
    app.use(strip_controls)
    # Then, before any listener: which workspace and organisation, refused when not ours, guests kept out.
    app.use(tenancy.Tenancy(deps, app.installation_store))
    for feature in FEATURES:
        feature.register(app, deps)
    return app
