"""oauth.v2.access: an install's code exchanged for a bot token, and token rotation's refresh; auth.test
for the tokens installs issued.

The app authenticates with its client id and secret (HTTP Basic, as slack-sdk sends them, or as
form fields), not with a token. The shapes are Slack's: `team` is null and `enterprise` set for an
org-wide Enterprise Grid install; `refresh_token` and `expires_in` come only with token rotation.
"""

from __future__ import annotations

import base64
import binascii

from fakeslack.answers import err, ok
from fakeslack.calls import Call
from fakeslack.methods import users


def _client_credentials(call: Call) -> tuple[str, str]:
    header = call.headers.get("authorization", "")
    if header.startswith("Basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        return client_id, secret
    return str(call.args.get("client_id", "")), str(call.args.get("client_secret", ""))


def access(fake, call: Call):
    client_id, secret = _client_credentials(call)
    if client_id != fake.client_id:
        return err("invalid_client_id")
    if secret != fake.client_secret:
        return err("bad_client_secret")
    if call.args.get("grant_type") == "refresh_token":
        fields = fake.grants.refresh(str(call.args.get("refresh_token") or ""))
        return err("invalid_refresh_token") if fields is None else ok(**fields)
    grant = fake.grants.take_code(str(call.args.get("code") or ""))
    if grant is None:
        return err("invalid_code")  # unknown, or used already
    if grant.redirect_uri and call.args.get("redirect_uri") not in (None, grant.redirect_uri):
        return err("bad_redirect_uri")
    return ok(**fake.grants.issue(grant))


def auth_test(fake, call: Call):
    """Whose a token an install issued is (an org-wide Grid install's answers for the
    organisation); the stand-in's own token as users.auth_test says."""
    grant = fake.grant_of(call.token)
    if grant is not None:
        return ok(**grant.auth_test())
    return users.auth_test(fake, call)


# Listed after `users` in FAMILIES: this auth.test wraps that one.
METHODS = {"oauth.v2.access": access, "auth.test": auth_test}
