"""`s2sad cache info | clear`: the on-disk cache of generated derivatives."""

from __future__ import annotations

import argparse
import sys

from s2sad.backend import cache


def run(arguments: argparse.Namespace) -> int:
    if arguments.action == "clear":
        try:
            removed = cache.clear()
        except OSError as error:
            print(f"s2sad cache: error: {error}", file=sys.stderr)
            return 1
        print(f"removed {removed} {'entry' if removed == 1 else 'entries'}")
        return 0
    summary = cache.info()
    if summary.folder is None:
        print("the cache is off (S2SAD_CACHE, or a system where its owner cannot be checked)")
        return 0
    print(f"folder: {summary.folder}")
    if summary.problem:
        print(f"not used: {summary.problem.removeprefix(f'not using the cache folder {summary.folder}: ')}")
        return 0
    plural = "entry" if summary.entries == 1 else "entries"
    print(f"{summary.entries} {plural}, {summary.size / 2**20:.1f} MB of at most {summary.bound / 2**20:.0f} MB")
    return 0
