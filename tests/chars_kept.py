#!/usr/bin/env python3
"""Characters of body text kept by cleaning, per corpus.

    python3 tests/chars_kept.py BINARY CORPUS_DIR [CORPUS_DIR ...]

Counts Han characters (the archive's text; ASCII spacing and punctuation
are what cleaning normalises). For each corpus: the input's Han characters,
those in the articles' paragraphs plus headlines not repeated in them, and
what `articles --removed` lists per rule. Prints the files losing most.
"""
import json, os, re, subprocess, sys
from collections import Counter, defaultdict

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

def han(s):
    return len(HAN.findall(s))

def main():
    binary, dirs = sys.argv[1], sys.argv[2:]
    for d in dirs:
        def run(*extra):
            out = subprocess.run([binary, "articles", "--corpus", d, "--json", *extra],
                                 capture_output=True, text=True, check=True).stdout
            return json.loads(out)
        articles, removed = run(), run("--removed")
        inp = {}
        for root, _, files in os.walk(d):
            for f in files:
                if f.endswith((".txt", ".md")):
                    p = os.path.join(root, f)
                    with open(p, encoding="utf-8", errors="replace") as fh:
                        inp[os.path.relpath(p, d)] = han(fh.read())
        out = Counter()
        for a in articles:
            body = "\n".join(a["paragraphs"])
            # A clipped title (ending in …) is the body's opening words; any other title was a line of its own.
            out[a["file"]] += han(body) + (0 if a["title"].endswith("…") else han(a["title"]))
        by_rule, by_file = Counter(), Counter()
        samples = defaultdict(list)
        for r in removed:
            if r["rule"] in ("mojibake",):
                continue  # a repair, not a removal
            n = han(r["text"])
            by_rule[r["rule"]] += n
            by_file[r["file"]] += n
            if n and len(samples[r["rule"]]) < 5:
                samples[r["rule"]].append(r["file"] + ": " + r["text"][:60])
        total, kept = sum(inp.values()), sum(out.values())
        gone = sum(by_rule.values())
        print(f"{d}: {len(inp)} files, {total} Han chars in; articles hold {kept} "
              f"({100*kept/total:.2f}%); rules removed {gone} ({100*gone/total:.3f}%), "
              f"kept by that account {100*(total-gone)/total:.2f}%")
        for rule, n in by_rule.most_common():
            print(f"  {rule}: {n} Han chars")
            for s in samples[rule]:
                print(f"      {s}")
        worst = sorted(inp, key=lambda f: -(by_file[f] / max(inp[f], 1)))[:5]
        for f in worst:
            if by_file[f]:
                print(f"  most removed: {f} {by_file[f]}/{inp[f]} ({100*by_file[f]/max(inp[f],1):.1f}%)")

main()
