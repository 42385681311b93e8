#!/usr/bin/env bash
# SciFact test split in all three modes; the eval index is built once and reused.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${SCIFACT:-$here/../shared/data/scifact/beir}
home=${RAGTUI_HOME:-$(mktemp -d)}
for mode in hybrid dense bm25; do
  "$here/.venv/bin/ragtui" --home "$home" eval beir "$data" --split test --mode "$mode" --json
done
