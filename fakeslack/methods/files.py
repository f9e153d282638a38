"""files.getUploadURLExternal, the POST of a file's bytes to its upload_url, and
files.completeUploadExternal: the external upload flow of slack-sdk's files_upload_v2.

A file's entry in `store.files`: getUploadURLExternal creates it (name, length asked for, alt_txt,
snippet_type), the POST to its upload_url fills `content` (the bytes) and `size`,
completeUploadExternal sets `title`, `completed`, `channels` (where it was shared) and `file` (the
file object Slack answered)."""

from __future__ import annotations

import copy
import hashlib
import mimetypes
import time
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from fakeslack.answers import blocks_problem, err, invalid_arguments, ok
from fakeslack.calls import Call
from fakeslack.http import Answer

# Where the fake takes a file's bytes: upload_url is base + UPLOAD_PATH + file id (Slack's look
# like https://files.slack.com/upload/v1/<opaque>).
UPLOAD_PATH = "/upload/v1/"


def upload_content(raw: bytes, headers: dict[str, str]) -> bytes:
    """The file's bytes from an upload_url POST: the raw body (what slack-sdk sends), or the
    file part of a multipart form (`curl -F filename=@x.png`, `requests.post(files=...)`)."""
    ctype = headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        return raw
    form = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
    parts = [part for part in form.iter_parts()] if form.is_multipart() else []
    chosen = next((part for part in parts if part.get_filename() is not None), parts[0] if parts else None)
    return (chosen.get_payload(decode=True) or b"") if chosen is not None else b""


def take_upload(store, file_id: str, content: bytes) -> Answer:
    """The bytes POSTed to a file's upload_url, kept with the file."""
    with store.lock:
        stored = store.files.get(file_id)
        if stored is None:
            return Answer(404, "Not Found")
        stored["content"] = content
        stored["size"] = len(content)
    return Answer(200, f"OK - {len(content)}")


def get_upload_url(fake, call: Call):
    args, store = call.args, fake.store
    filename, length = args.get("filename"), args.get("length")
    if not filename:
        return invalid_arguments("missing required field: filename")
    if length in (None, ""):
        return invalid_arguments("missing required field: length")
    try:
        size = int(str(length))
    except ValueError:
        return invalid_arguments("invalid type for field: length")
    if size <= 0:
        return invalid_arguments("length must be greater than 0")
    with store.lock:
        file_id = store.new_file_id()
        store.files[file_id] = {
            "id": file_id,
            "name": filename,
            "title": None,
            "length": size,
            "alt_txt": args.get("alt_txt"),
            "snippet_type": args.get("snippet_type"),
            "content": None,  # set by the POST to upload_url
            "size": None,
            "completed": False,
            "channels": [],
            "file": None,
        }
    return ok(upload_url=f"{fake.base}{UPLOAD_PATH}{file_id}", file_id=file_id)


def file_object(store, stored: dict[str, Any], *, created: int, shares: dict[str, str]) -> dict[str, Any]:
    """A file in Slack's shape; `shares` maps each channel it went to onto the message ts."""
    team_id, bot_user_id = store.team_id, store.bot_user_id
    name = stored["name"]
    extension = name.rsplit(".", 1)[1].lower() if "." in name else ""
    mimetype = mimetypes.guess_type(name)[0] or (
        "text/plain" if stored.get("snippet_type") else "application/octet-stream"
    )
    filetype = stored.get("snippet_type") or extension or "binary"
    file_id = stored["id"]
    private_url = f"https://files.slack.com/files-pri/{team_id}-{file_id}/{name}"
    file = {
        "id": file_id,
        "created": created,
        "timestamp": created,
        "name": name,
        "title": stored["title"],
        "mimetype": mimetype,
        "filetype": filetype,
        "pretty_type": filetype.upper() if extension else filetype.capitalize(),
        "user": bot_user_id,
        "user_team": team_id,
        "editable": False,
        "size": stored["size"],
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": any(c.startswith("C") for c in shares),
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": private_url,
        "url_private_download": f"https://files.slack.com/files-pri/{team_id}-{file_id}/download/{name}",
        "permalink": f"https://fake-mentors.slack.com/files/{bot_user_id}/{file_id}/{name}",
        "permalink_public": f"https://slack-files.com/{team_id}-{file_id}-{hashlib.sha1(file_id.encode()).hexdigest()[:10]}",
        "comments_count": 0,
        "is_starred": False,
        "shares": {},
        "channels": [c for c in shares if c.startswith("C")],
        "groups": [c for c in shares if c.startswith("G")],
        "ims": [c for c in shares if c.startswith("D")],
        "has_more_shares": False,
        "has_rich_preview": False,
        "file_access": "visible",
    }
    if stored.get("alt_txt"):
        file["alt_txt"] = stored["alt_txt"]
    for channel, ts in shares.items():
        kind = "public" if channel.startswith("C") else "private"
        file["shares"].setdefault(kind, {})[channel] = [
            {"reply_users": [], "reply_users_count": 0, "reply_count": 0, "ts": ts, "share_user_id": bot_user_id}
        ]
    return file


def complete_upload(fake, call: Call):
    args, store = call.args, fake.store
    files = args.get("files")
    if files in (None, ""):
        return invalid_arguments("missing required field: files")
    if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
        return invalid_arguments("invalid type for field: files")
    with store.lock:
        for entry in files:
            stored = store.files.get(entry["id"])
            if stored is None or stored["content"] is None:
                # Slack answers an id it never issued, or whose bytes never arrived, this way.
                return invalid_arguments(f"file not found or not uploaded: {entry['id']}")
    # Where to share: channel_id, and/or `channels` (comma-separated); a user id means the DM.
    wanted = [args["channel_id"]] if args.get("channel_id") else []
    wanted += [c.strip() for c in str(args.get("channels") or "").split(",") if c.strip()]
    for channel in wanted:
        problem = fake.can_post(channel)
        if problem:
            return err(problem)
    comment = args.get("initial_comment") or ""
    blocks = args.get("blocks") if not comment else None  # Slack ignores blocks given a comment
    if blocks is not None and not isinstance(blocks, list):
        return err("invalid_blocks")
    problem = blocks_problem(blocks)
    if problem:
        return err(problem)
    channels = list(dict.fromkeys("D" + c[1:] if c.startswith("U") else c for c in wanted))
    shares = {channel: store.next_ts() for channel in channels}
    created = int(time.time())
    answered = []
    with store.lock:
        for entry in files:
            stored = store.files[entry["id"]]
            stored["title"] = entry.get("title") or stored["title"] or stored["name"]
            stored["completed"] = True
            stored["channels"] = stored["channels"] + [c for c in channels if c not in stored["channels"]]
            stored["file"] = file_object(store, stored, created=created, shares=shares)
            answered.append(copy.deepcopy(stored["file"]))
        for channel, ts in shares.items():
            # The share: a message from the bot carrying the files, the comment as its text.
            message = {
                "type": "message",
                "text": comment,
                "files": [{k: v for k, v in f.items() if k != "shares"} for f in answered],
                "upload": True,
                "user": store.bot_user_id,
                "bot_id": store.bot_id,
                "display_as_bot": False,
                "ts": ts,
            }
            if blocks:
                message["blocks"] = copy.deepcopy(blocks)
            if args.get("thread_ts"):
                message["thread_ts"] = args["thread_ts"]
            store.messages[channel].append(copy.deepcopy(message))
    return ok(files=answered)


METHODS = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
}
