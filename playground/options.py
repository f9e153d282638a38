"""`knowhow playground`'s options, apart from what runs it: `knowhow`'s own command line reads
them without loading the workspace (a real deployment never imports the stand-in)."""

from __future__ import annotations

import argparse

DEFAULT_PORT = 8080


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"the page's port on 127.0.0.1 (default {DEFAULT_PORT}, or a free one if that is taken)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="seed answered questions, an expert session in two minutes and mentors"
    )
    parser.add_argument(
        "--data-dir", default=".playground", help="where Knowhow's database and log go (default .playground)"
    )
