#!/usr/bin/env python3
"""Trains the answer step's three models (src/answer/learned.rs) and writes
src/answer/model.json.

Input: training rows written by `archive-bot eval --features FILE` (one JSON
line a question: its candidate sentences and articles with features and
labels, and the question's own features). Only rows of the trained half
(`held_out` false) are read for fitting; the held-out half is for reporting.

    train.py --train cmrc.jsonl drcd.jsonl [--tune ncp.jsonl] --out model.json

--tune FILE: rows of a question set whose trained half may choose the two
operating points (the switch margin and the gate's threshold); without it
they are chosen on the training rows themselves.

The decision procedure below mirrors `Engine::decide` in src/answer/mod.rs
line for line: change one, change both.
"""

import argparse
import json
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

SENTENCE = ["cover", "raw_cover", "prev_cover", "next_cover", "kind", "typed_word", "novelty",
            "passage_cover", "passage_score", "passage_rank", "article_score", "article_cover",
            "article_rank", "headline_cover", "brief", "length", "first", "position", "proximity",
            "colon", "missing_names", "char_cover"]
ARTICLE = ["rank", "score", "passage_score", "passage_cover", "article_cover", "headline_cover",
           "missing_names"]
QUESTION = ["key_words", "names", "open_kind", "question_chars"]
SPAN = ["distance", "after", "near_words", "length", "numeral", "time", "person", "place",
        "organisation", "proper", "position", "first", "share"]
# The features the gate is fitted on, of those the code computes (the rest
# get weight 0). The question's own shape (key words, length) and the
# headline's coverage describe how the training sets' Wikipedia questions
# are written (they name the article's title), not how users ask: with
# them the gate refused short questions; chosen on ncp_dev's tuned half.
GATE_USED = ["sentence", "article", "passage_cover", "article_cover", "missing_names"]
# The gate's operating point on the tuning half: keep answering at least
# KEEP_ANSWERED of the answerable questions, and among such thresholds take
# the lowest that refuses at least REFUSE_AT_LEAST of the no-answer ones:
# a false "nothing found" hides what the archive holds, so the gate refuses
# no more than it must. 0.75 is the 70 % aim plus one standard error of a
# share measured on ~80 questions, so the held-out half still clears 70 %.
KEEP_ANSWERED = 0.90
REFUSE_AT_LEAST = 0.75


def read(paths, held_out=False):
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                if r["held_out"] == held_out:
                    rows.append(r)
    return rows


def fit(x, y, names, used=None):
    """A logistic regression on standardised features; with `used`, fitted
    on those features only and written with weight 0 for the others."""
    if used is not None:
        idx = [names.index(n) for n in used]
        sub = fit([[row[i] for i in idx] for row in x], y, used)
        out = {"features": names, "mean": [0.0] * len(names), "scale": [1.0] * len(names),
               "weights": [0.0] * len(names), "bias": sub["bias"]}
        for j, i in enumerate(idx):
            for key in ("mean", "scale", "weights"):
                out[key][i] = sub[key][j]
        return out
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit((x - mean) / scale, y)
    return {
        "features": names,
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "weights": [round(float(v), 6) for v in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 6),
    }


def fit_listwise(groups, names, l2=1e-2, iters=300, step=0.5):
    """A conditional logit: one weight vector, trained so that within each
    question the softmax over its candidates puts its mass on the labelled
    ones (the decision is an argmax within a question, so the objective
    compares candidates of one question, not all sentences at once).
    Plain gradient descent from zero: deterministic."""
    x = np.vstack([g[0] for g in groups])
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    data = [((np.asarray(gx) - mean) / scale, np.asarray(gy, dtype=np.float64)) for gx, gy in groups if sum(gy) > 0]
    w = np.zeros(x.shape[1])
    for _ in range(iters):
        grad = l2 * w
        for gx, gy in data:
            s = gx @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            grad += gx.T @ (p - gy / gy.sum()) / len(data)
        w -= step * grad
    return {
        "features": names,
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "weights": [round(float(v), 6) for v in w],
        "bias": 0.0,
    }


def logit(model, x):
    x = np.asarray(x, dtype=np.float64)
    return model["bias"] + ((x - np.asarray(model["mean"])) / np.asarray(model["scale"])) @ np.asarray(model["weights"])


def sentence_logits(models, row):
    if not row["sentences"]:
        return np.zeros(0)
    return logit(models["sentence"], [s[2] for s in row["sentences"]])


def article_rows(models, row, s_logits):
    out = []
    for c, (label, feats) in enumerate(row["articles"]):
        mine = [l for s, l in zip(row["sentences"], s_logits) if s[0] == c]
        best = max(mine) if mine else -np.inf
        out.append((label, feats + [best]))
    return out


def decide(models, row, margin):
    """Engine::decide: (article index, sentence index, gate features)."""
    s_logits = sentence_logits(models, row)
    arts = article_rows(models, row, s_logits)
    if not arts:
        return None
    a_logits = [float(logit(models["article"], [f])[0]) for _, f in arts]
    top = a_logits[0]
    chosen = 0
    better = [c for c in range(1, len(arts)) if a_logits[c] >= top + margin]
    if better:
        chosen = max(better, key=lambda c: a_logits[c])
    mine = [k for k, s in enumerate(row["sentences"]) if s[0] == chosen]
    if not mine:
        return None
    k = max(mine, key=lambda k: (s_logits[k], -k))
    gate = [float(s_logits[k]), a_logits[chosen]] + row["articles"][chosen][1] + row["question"]
    return chosen, k, gate


def gate_scores(models, rows, margin, own_only):
    """The gate's probabilities on answerable and unanswerable rows; with
    `own_only`, unanswerable means the set's own no-answer questions, not
    its questions with the gold article removed."""
    pos, neg = [], []
    for r in rows:
        if own_only and r["removed"]:
            continue
        d = decide(models, r, margin)
        p = 0.0 if d is None else float(1 / (1 + np.exp(-logit(models["gate"], [d[2]])[0])))
        (pos if r["positive"] else neg).append(p)
    return np.asarray(pos), np.asarray(neg)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", nargs="+", required=True)
    ap.add_argument("--tune", nargs="*", default=[])
    ap.add_argument("--must-answer", nargs="*", default=[],
                    help="rows whose answerable questions the threshold must all keep (a small dev set)")
    # Chosen on ncp_dev's tuned half: gold inside the answer text 137/272 at
    # 120 characters, 146/272 at 200 (the key span marks the answer inside).
    ap.add_argument("--span-chars", type=int, default=200)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    train = read(args.train)
    positives = [r for r in train if r["positive"]]
    print(f"training rows: {len(train)} ({len(positives)} answerable, {len(train) - len(positives)} with the gold article removed)", file=sys.stderr)

    models = {}
    # 1. Sentences: which sentence of the question's candidates holds a
    # gold answer (listwise: only the ranking within a question matters).
    groups = [([s[2] for s in r["sentences"]], [s[1] for s in r["sentences"]]) for r in positives if r["sentences"]]
    models["sentence"] = fit_listwise(groups, SENTENCE)
    sentences = sum(len(g[1]) for g in groups)
    answering = sum(sum(g[1]) for g in groups)
    print(f"sentence model: {len(groups)} questions, {sentences} sentences, {answering} holding an answer", file=sys.stderr)

    # 4. Key spans: which candidate of an answering sentence is the answer
    # (listwise over each sentence's candidates, as the choice is made).
    span_groups = [([c[1] for c in g], [c[0] for c in g]) for r in positives for g in r.get("spans", [])]
    models["span"] = fit_listwise(span_groups, SPAN)
    print(f"span model: {len(span_groups)} sentences, {sum(len(g[1]) for g in span_groups)} candidates", file=sys.stderr)

    # 2. Articles: is this the gold article?
    xs, ys = [], []
    for r in positives:
        for label, feats in article_rows(models, r, sentence_logits(models, r)):
            if np.isfinite(feats[-1]):
                xs.append(feats)
                ys.append(label)
    models["article"] = fit(xs, ys, ARTICLE + ["best_sentence"])
    print(f"article model: {len(xs)} articles, {sum(ys)} gold", file=sys.stderr)

    # 3. The gate, over the decisions the first two make (margin 0 while
    # fitting: the margin is chosen afterwards and moves few decisions).
    def fit_gate(margin):
        xs, ys = [], []
        for r in train:
            d = decide(models, r, margin)
            if d is not None:
                xs.append(d[2])
                ys.append(int(r["positive"]))
        return fit(xs, ys, ["sentence", "article"] + ARTICLE + QUESTION, GATE_USED)

    models["gate"] = fit_gate(0.0)

    # Operating points, on the tuning rows' trained half.
    tune = read(args.tune) if args.tune else train
    tune_answerable = [r for r in tune if r["positive"]]
    best_margin, best_cited = 0.0, -1
    for margin in [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 1e9]:
        cited = sum(1 for r in tune_answerable if (d := decide(models, r, margin)) and r["articles"][d[0]][0])
        print(f"  margin {margin:g}: cited first {cited}/{len(tune_answerable)}", file=sys.stderr)
        if cited > best_cited:
            best_margin, best_cited = margin, cited
    models["gate"] = fit_gate(best_margin)
    own_none = any(not r["positive"] and not r["removed"] for r in tune)
    pos, neg = gate_scores(models, tune, best_margin, own_none)
    # The highest threshold that keeps KEEP_ANSWERED of the answerable...
    if len(pos):
        threshold = float(np.sort(pos)[int(np.floor((1 - KEEP_ANSWERED) * len(pos)))])
    else:
        threshold = 0.5
    # ...lowered to the least that still refuses REFUSE_AT_LEAST of the rest.
    if len(neg):
        enough = float(np.sort(neg)[int(np.ceil(REFUSE_AT_LEAST * len(neg))) - 1]) + 1e-4
        threshold = min(threshold, enough)
    if args.must_answer:
        dev = read(args.must_answer, False) + read(args.must_answer, True)
        keep, _ = gate_scores(models, [r for r in dev if r["positive"]], best_margin, True)
        if len(keep):
            threshold = min(threshold, float(keep.min()))
    threshold = max(0.01, min(0.99, np.floor(threshold * 1e4) / 1e4))
    print("  gate trade-off on the tuning half (threshold: answered / refused):", file=sys.stderr)
    for t in sorted(set([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, threshold])):
        print(f"    {t:.3f}: {np.mean(pos >= t):.3f} / {np.mean(neg < t):.3f}{'  *' if t == threshold else ''}", file=sys.stderr)
    out = {
        "sentence": models["sentence"],
        "article": models["article"],
        "gate": models["gate"],
        "span": models["span"],
        "switch_margin": best_margin if best_margin < 1e8 else 1e9,
        "threshold": threshold,
        "span_chars": args.span_chars,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out}: margin {out['switch_margin']:g}, threshold {threshold}", file=sys.stderr)


if __name__ == "__main__":
    main()
