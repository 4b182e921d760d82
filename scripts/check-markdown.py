#!/usr/bin/env python3
"""Renders Markdown files as CommonMark with tables (markdown-it-py, as GitHub and
crates.io render them) and fails if a line that starts a table row ends up outside
every table: what a blank line inside a table, or a missing header row, does.

Usage: scripts/check-markdown.py FILE...   (needs `pip install markdown-it-py`)
"""
import sys

from markdown_it import MarkdownIt

md = MarkdownIt("commonmark").enable("table")
failed = False
for path in sys.argv[1:]:
    source = open(path, encoding="utf-8").read()
    in_table = set()
    in_code = set()
    rows = 0
    for token in md.parse(source):
        if token.type == "table_open":
            in_table.update(range(*token.map))
        elif token.type in ("fence", "code_block", "html_block"):
            in_code.update(range(*token.map))
        elif token.type == "tr_open":
            rows += 1
    stray = [
        number + 1
        for number, line in enumerate(source.split("\n"))
        if line.startswith("|") and number not in in_table and number not in in_code
    ]
    if stray:
        failed = True
        print(f"{path}: table rows that render as text, lines {stray}")
    else:
        print(f"{path}: every table renders ({rows} rows)")
sys.exit(1 if failed else 0)
