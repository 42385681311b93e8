"""Wall time of `ragtui index` on an unchanged tree.

First the keyword phase alone (how soon the tree is searchable), then a full
`ragtui index` that embeds everything, then five timed runs on the unchanged tree.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ragtui.config import load_settings
from ragtui.core.engine import Engine

root = Path(sys.argv[1]).resolve()
home = Path(tempfile.mkdtemp(prefix="ragtui-reindex-"))
ragtui = str(Path(sys.executable).with_name("ragtui"))
engine = Engine(load_settings(), home / "data")
engine.add_folder(root)
first = engine.index(embed=False)
engine.close()
started = time.perf_counter()
subprocess.run([ragtui, "--home", str(home), "index", "--json"], check=True, capture_output=True)
embed_seconds = time.perf_counter() - started
runs = []
for _ in range(5):
    started = time.perf_counter()
    out = subprocess.run(
        [ragtui, "--home", str(home), "index", "--json"], check=True, capture_output=True, text=True
    ).stdout
    runs.append(time.perf_counter() - started)
report = json.loads(out)
print(
    json.dumps(
        {
            "files": first.added + first.skipped + first.failed,
            "keyword_searchable_after_s": round(first.seconds, 2),
            "embedding_run_s": round(embed_seconds, 1),
            "reindex_wall_s_median": round(statistics.median(runs), 3),
            "reindex_wall_s_runs": [round(r, 3) for r in runs],
            "changed": report["added"] + report["updated"] + report["removed"],
            "unchanged": report["unchanged"],
        }
    )
)
