"""One voice for what only admins may do. An admin here is anyone `bot.admins.is_admin` lets in
(the workspace's admins and owners, its Grid organisation's, and KNOWHOW_ADMINS): a refusal says
"admins", names no setting, and tells the person what they can do instead."""

from __future__ import annotations

ASK_AN_ADMIN = "Ask an admin of this workspace."


def admins_only(what: str, instead: str = ASK_AN_ADMIN) -> str:
    """ "Only admins can {what}." and what to do instead (by default, ask one)."""
    return f"Only admins can {what}. {instead}".strip()


# Each refusal, by what was refused.
QA_CHANNEL = admins_only(
    "choose where this workspace's questions go",
    "Ask an admin of this workspace to run `/ask channel` in the channel they should go to.",
)
SESSION_CHANNELS = admins_only("choose the channels that host expert sessions")
HELP_CHANNELS = admins_only("choose the help channels", "`/ask channels` lists them.")
SESSION_STARTERS = admins_only(
    "choose who may open expert sessions on the spot", "`/expert who-can-start` shows who may."
)
MENTOR_TOPICS = admins_only(
    "curate the mentoring topics", "You can suggest a topic in the volunteer or find-a-mentor form."
)
BROADCAST = admins_only(
    "call for volunteers", "Ask an admin of this workspace, or share `/mentor volunteer` with colleagues yourself."
)
BROADCAST_FORM = admins_only("call for volunteers")
SCOREBOARD_SETTINGS = admins_only(
    "change where and when the scoreboard is posted", "`/mentor scoreboard` shows it to you now."
)
SCOREBOARD_FORM = admins_only("change the scoreboard")
RETENTION = admins_only(
    "change how long Knowhow keeps what it no longer needs", "`/mentor retention` shows how long it is kept."
)
