#!/usr/bin/env bash
# Trains the answer step's models from the public sets in bench/train/data
# and writes src/answer/model.json (then `cargo build` compiles it in).
#
#   bash bench/train/run.sh [NCP_DEV_DIR] [SEED_DEV_DIR]
#
# NCP_DEV_DIR (optional, internal, never copied here): a question set whose
# trained half chooses the operating points; SEED_DEV_DIR (optional): a dev
# set whose answerable questions the gate must keep. Without them the
# operating points are chosen on the training rows.
# Needs: cargo, python3 with numpy and scikit-learn (pip install -r
# bench/train/requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
bot=target/release/archive-bot
train=()
for set in cmrc2018 drcd; do
    tar -xJf "bench/train/data/$set.tar.xz" -C "$work"
    "$bot" eval --corpus "$work/$set/corpus" --index "$work/$set.index" \
        "$work/$set/questions.jsonl" --features "$work/$set.rows"
    train+=("$work/$set.rows")
done
tune=()
if [ -n "${1:-}" ]; then
    "$bot" eval --corpus "$1/corpus" --index "$work/tune.index" "$1/questions.jsonl" \
        --no-answer "$1/noanswer.jsonl" --features "$work/tune.rows"
    tune=(--tune "$work/tune.rows")
fi
must=()
if [ -n "${2:-}" ]; then
    "$bot" eval "$2/seed_qa_dev.jsonl" --no-answer "$2/seed_noanswer_dev.jsonl" --features "$work/dev.rows"
    must=(--must-answer "$work/dev.rows")
fi
python3 bench/train/train.py --train "${train[@]}" "${tune[@]}" "${must[@]}" --out src/answer/model.json
