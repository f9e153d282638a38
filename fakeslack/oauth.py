"""Installs ("Add to Slack") and the tokens they issue, as the stand-in remembers them.

A test (or the playground) says who installs with `FakeSlack.oauth_code(...)`: the code Slack
would put in the redirect to the app's `/slack/oauth_redirect`. `oauth.v2.access` exchanges it,
once, for a bot token of that workspace, or, for an org-wide Enterprise Grid install, of the
organisation (no team). With token rotation on, the token expires after `expires_in` seconds and
comes with a refresh token that `oauth.v2.access` (grant_type=refresh_token) accepts once; a
second use is refused with `invalid_refresh_token`, as Slack does.

Every token the stand-in issued is valid for the Web API until it expires (a refreshed token's
predecessor too, until its own expiry); `auth.test` says whose it is.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Grant:
    """What one install gave the app: whose bot it is and how its tokens behave."""

    team_id: str | None
    team_name: str | None = None
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    enterprise_install: bool = False
    bot_user_id: str = "U0FAKEBOT1"
    bot_id: str = "B0FAKEBOT1"
    app_id: str = "A0FAKEAPP1"
    scope: str = "commands,chat:write"
    installer: str = "U0INSTALL1"
    # Token rotation: tokens expire after `expires_in` seconds and come with a refresh token.
    rotation: bool = False
    expires_in: int = 12 * 3600
    redirect_uri: str | None = None

    def fields(self) -> dict:
        """The installation part of oauth.v2.access's answer."""
        return {
            "app_id": self.app_id,
            "authed_user": {"id": self.installer},
            "scope": self.scope,
            "token_type": "bot",
            "bot_user_id": self.bot_user_id,
            "team": None if self.enterprise_install else {"id": self.team_id, "name": self.team_name},
            "enterprise": (
                {"id": self.enterprise_id, "name": self.enterprise_name} if self.enterprise_id is not None else None
            ),
            "is_enterprise_install": self.enterprise_install,
        }

    def auth_test(self) -> dict:
        """What auth.test says of this grant's bot token."""
        org = self.enterprise_install
        slug = (self.enterprise_name if org else self.team_name) or "fake"
        answer = {
            "url": f"https://{slug.lower().replace(' ', '-')}.{'enterprise.' if org else ''}slack.com/",
            "team": (self.enterprise_name if org else self.team_name) or "",
            "user": "knowhow",
            # An org-level token answers for the organisation.
            "team_id": self.enterprise_id if org else self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": org,
        }
        if self.enterprise_id:
            answer["enterprise_id"] = self.enterprise_id
        return answer


@dataclass
class Issued:
    grant: Grant
    expires_at: float | None  # None: never (no token rotation)


class Grants:
    """Codes waiting to be exchanged, tokens issued, refresh tokens and whether each was used."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.codes: dict[str, Grant] = {}
        self.tokens: dict[str, Issued] = {}
        self.refresh_tokens: dict[str, tuple[Grant, bool]] = {}  # grant, used already
        # The latest token of each installation: (enterprise_id, team_id or None for org-wide).
        self.latest: dict[tuple[str | None, str | None], str] = {}
        self._n = itertools.count(1)

    def code(self, grant: Grant) -> str:
        code = f"{int(time.time())}.{next(self._n)}.{secrets.token_hex(16)}"
        with self.lock:
            self.codes[code] = grant
        return code

    def take_code(self, code: str) -> Grant | None:
        with self.lock:
            return self.codes.pop(code, None)

    def issue(self, grant: Grant) -> dict:
        """A new bot token for `grant` (and a refresh token with rotation): oauth.v2.access's fields."""
        n = next(self._n)
        if grant.rotation:
            token = f"xoxe.xoxb-1-{n}-{secrets.token_urlsafe(48)}"
            refresh = f"xoxe-1-{n}-{secrets.token_urlsafe(48)}"
            expires_at: float | None = time.time() + grant.expires_in
        else:
            owner = grant.team_id if not grant.enterprise_install else grant.enterprise_id
            token, refresh, expires_at = f"xoxb-{owner}-{n}-{secrets.token_hex(12)}", None, None
        with self.lock:
            self.tokens[token] = Issued(grant, expires_at)
            self.latest[(grant.enterprise_id, None if grant.enterprise_install else grant.team_id)] = token
            if refresh is not None:
                self.refresh_tokens[refresh] = (grant, False)
        fields = {**grant.fields(), "access_token": token}
        if refresh is not None:
            fields.update(refresh_token=refresh, expires_in=grant.expires_in)
        return fields

    def refresh(self, refresh_token: str) -> dict | None:
        """A new token pair for a refresh token not used before; None when it is unknown or used."""
        with self.lock:
            known = self.refresh_tokens.get(refresh_token)
            if known is None or known[1]:
                return None
            self.refresh_tokens[refresh_token] = (known[0], True)
        return self.issue(known[0])

    def identity(self, token: str) -> tuple[Grant | None, str | None]:
        """(the grant a token speaks for, None) or (None, why Slack refuses it)."""
        with self.lock:
            issued = self.tokens.get(token)
        if issued is None:
            return None, "invalid_auth"
        if issued.expires_at is not None and issued.expires_at <= time.time():
            return None, "token_expired"
        return issued.grant, None

    def expire(self, token: str) -> None:
        """Make a token expire now (a test's shortcut for twelve hours)."""
        with self.lock:
            self.tokens[token] = replace(self.tokens[token], expires_at=time.time())
