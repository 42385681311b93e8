#!/usr/bin/env bash
# Peak RSS of a full `ragtui index` of DIR (default: the personal-docs corpus).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$here/../shared/data/personal-docs}
home=$(mktemp -d)
"$here/.venv/bin/ragtui" --home "$home" add "$dir" >/dev/null
/usr/bin/time -v "$here/.venv/bin/ragtui" --home "$home" index --json 2>"$home/time.txt"
grep -E "Maximum resident|Elapsed" "$home/time.txt"
