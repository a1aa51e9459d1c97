#!/usr/bin/env bash
# archive-bot beside the best peer engines, on one generated corpus, in one run.
#
#   bench/compare.sh N            (e.g. 20000 or 200000)
#
# Makes a corpus of N articles with ../shared/bench/make_scale.py (kept in
# $COMPARE_DIR, default /tmp/archive-bot-compare-N, and reused when it is
# there), runs `archive-bot bench` on it, then the peers (Anserini, Xapian)
# with ../shared/bench/peers.py on the same corpus and questions, and prints
# one table with our figure over the best peer's for each column that both
# measure. Needs the peers installed (bash ../shared/bench/install_peers.sh).
# PEERS picks the peer systems (default anserini,xapian); at 200,000 articles
# Xapian's one-thread build alone takes about half an hour here, so
# `PEERS=anserini bench/compare.sh 200000` keeps the run under 30 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:?usage: bench/compare.sh N}
SHARED=${SHARED_BENCH:-../shared/bench}
DIR=${COMPARE_DIR:-/tmp/archive-bot-compare-$N}

[ -d "$DIR/corpus" ] || python3 "$SHARED/make_scale.py" "$DIR" "$N" --seed 1 >&2
cargo build --release --locked >&2
target/release/archive-bot bench --corpus "$DIR/corpus" --questions "$DIR/questions.jsonl" --work-dir "$DIR" --json > "$DIR/ours.json"
python3 "$SHARED/peers.py" "$DIR" --systems "${PEERS:-anserini,xapian}" --out "$DIR/peers.json" >&2

python3 - "$DIR/ours.json" "$DIR/peers.json" "$N" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))
peers = {k: v for k, v in json.load(open(sys.argv[2]))["systems"].items() if "ndcg@10" in v}
rows = [  # (label, ours, peer key, lower is better)
    ("index build, s", ours["build_seconds"], "build_s", True),
    ("ask/search p50, ms", ours["ask_p50_ms"], "p50_ms", True),
    ("ask/search p99, ms", ours["ask_p99_ms"], "p99_ms", True),
    ("doc nDCG@10", ours["ndcg10"], "ndcg@10", False),
]
names = sorted(peers)
print(f"## {sys.argv[3]} articles, {ours['corpus_mb']:.0f} MB")
print()
print("| | archive-bot | " + " | ".join(names) + " | ours / best peer |")
print("|---|---|" + "---|" * len(names) + "---|")
for label, value, key, lower in rows:
    vals = [peers[n].get(key) for n in names]
    best = min(vals) if lower else max(vals)
    ratio = value / best if value is not None and best else float("nan")
    fmt = (lambda v: f"{v:.3f}") if key == "ndcg@10" else (lambda v: f"{v:.1f}" if v >= 10 else f"{v:.2f}")
    print(f"| {label} | {fmt(value) if value is not None else '-'} | " + " | ".join(fmt(v) for v in vals) + f" | {ratio:.2f} |")
print()
print(f"archive-bot only: {ours['articles']} articles, {ours['passages']} passages; index {ours['index_mb']:.0f} MB "
      f"({ours['index_mb'] / ours['corpus_mb']:.2f}x the text); peak RSS {ours['peak_rss_indexing_mb']:.0f} MB indexing, "
      f"{ours['peak_rss_serving_mb']:.0f} MB serving ({ours['rss_anon_serving_mb']:.0f} MB its own, the rest mapped index pages); cold start {ours['cold_start_ms']:.0f} ms; "
      f"ask p95 {ours['ask_p95_ms']:.2f} ms; {ours['throughput_qps']:.0f} questions/s on {ours['threads']} threads.")
print("Peers: whole-document search (no passages, no answers), one thread; archive-bot's ask retrieves and "
      "composes an answer with citations. Build: archive-bot on all cores, peers on one (peers.py).")
PY
