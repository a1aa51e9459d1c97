"""Builds a training set (corpus/ + questions.jsonl) from SQuAD-style reading-comprehension JSON.

    python3 bench/train/convert.py OUT TAG=FILE [TAG=FILE ...]

Paragraphs are grouped by article title into one document each (title line, blank line,
paragraphs separated by blank lines), in order of first appearance; within an article, paragraphs
with DRCD-style ids ("1147-2") are ordered by their number. Documents are named d000000.txt, … .
Each question becomes {"id": "TAG-<original id>", "q", "file", "answer"}, where answer lists the
distinct gold answer texts that occur verbatim in the document; a question with none is dropped.
"""
import json, os, re, sys


def paragraph_order(para):
    m = re.fullmatch(r"\d+-(\d+)", str(para.get("id", "")))
    return int(m.group(1)) if m else 0


def main(out, *splits):
    if not splits:
        sys.exit(__doc__)
    articles, order = {}, []
    for split in splits:
        tag, path = split.split("=", 1)
        with open(path, encoding="utf-8") as f:
            for art in json.load(f)["data"]:
                title = art["title"].strip()
                if title not in articles:
                    articles[title] = []
                    order.append(title)
                articles[title].extend((tag, p) for p in art["paragraphs"])
    os.makedirs(os.path.join(out, "corpus"), exist_ok=True)
    questions = []
    for n, title in enumerate(order):
        name = f"d{n:06d}.txt"
        paras = sorted(articles[title], key=lambda tp: paragraph_order(tp[1]))
        seen, body = set(), []
        for _, p in paras:
            text = p["context"].strip()
            if text not in seen:
                seen.add(text)
                body.append(text)
        doc = title + "\n\n" + "\n\n".join(body) + "\n"
        with open(os.path.join(out, "corpus", name), "w", encoding="utf-8") as f:
            f.write(doc)
        for tag, p in paras:
            for qa in p["qas"]:
                answers = []
                for a in qa["answers"]:
                    t = a["text"].strip()
                    if t and t in doc and t not in answers:
                        answers.append(t)
                if answers:
                    questions.append({"id": f"{tag}-{qa['id']}", "q": qa["question"], "file": name, "answer": answers})
    with open(os.path.join(out, "questions.jsonl"), "w", encoding="utf-8") as f:
        for q in questions:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    print(f"{out}: {len(order)} documents, {len(questions)} questions", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:])
