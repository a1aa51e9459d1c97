#!/usr/bin/env python3
"""Copies a make_scale.py corpus with its datelines in a form archive-bot reads.

  bench/scale_meta.py SRC_DIR OUT_DIR

make_scale.py opens 40% of its filler documents with a dateline paragraph
(`2023年12月19日 南方日报`) that archive-bot's cleaner does not take for
metadata, so on that corpus the index knows no dates and no sources, and
`archive-bot bench` cannot ask about a period or a source. This copy moves
each such dateline into a newspaper trailer line at the end of its file
(`南方日报 要闻 00001 <title> 2023-12-19 1`, the form of the shipped
archive's pages), which the cleaner reads as the article's source, title and
date. Everything else is hard-linked unchanged: the same text, articles and
questions (questions.jsonl is copied too).
"""
import os
import re
import shutil
import sys

DATELINE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日 (\S+)$")


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.join(out, "corpus"), exist_ok=True)
    shutil.copy(os.path.join(src, "questions.jsonl"), out)
    moved = kept = 0
    for name in sorted(os.listdir(os.path.join(src, "corpus"))):
        a, b = os.path.join(src, "corpus", name), os.path.join(out, "corpus", name)
        if os.path.exists(b):
            os.remove(b)
        with open(a, encoding="utf-8") as f:
            text = f.read()
        parts = text.split("\n\n")
        m = DATELINE.match(parts[1]) if len(parts) > 2 else None
        title = parts[0].strip()
        if not m or " " in title or len(title) > 80:
            os.link(a, b)
            kept += 1
            continue
        y, mo, d, source = m.groups()
        body = "\n\n".join(parts[2:]).rstrip("\n")
        trailer = f"{source} 要闻 00001 {title} {y}-{int(mo):02d}-{int(d):02d} 1"
        with open(b, "w", encoding="utf-8") as f:
            f.write(f"{title}\n\n{body}\n\n{trailer}\n")
        moved += 1
    print(f"{out}: {moved} datelines moved to a trailer, {kept} files linked unchanged")


if __name__ == "__main__":
    main()
