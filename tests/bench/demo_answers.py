"""Ask every demo question with the configured model; print per-question results as JSON."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from ragtui.config import load_settings
from ragtui.core.engine import Engine
from ragtui.core.eval.metrics import has_facts

REPO = Path(__file__).resolve().parents[2]
work = Path(tempfile.mkdtemp(prefix="ragtui-demo-answers-"))
shutil.copytree(REPO / "assets/demo/corpus", work / "docs")
engine = Engine(load_settings(), work / "data")
engine.add_folder(work / "docs")
engine.index()
rows, right, answerable, abstained = [], 0, 0, 0
for line in (REPO / "assets/demo/questions.jsonl").open():
    case = json.loads(line)
    answer = engine.ask(case["question"], use_cache=False)
    cited = [Path(c.path).relative_to(work / "docs").as_posix() for c in answer.citations]
    fact = has_facts(answer.answer, case["expected_facts"])
    source = bool(set(cited) & set(case["expected_sources"]))
    if case["answerable"]:
        answerable += 1
        right += fact and source
    else:
        abstained += answer.abstained
    rows.append(
        {
            "id": case["id"],
            "answer": answer.answer,
            "cited": cited,
            "fact": fact,
            "source": source,
            "abstained": answer.abstained,
            "ttft_ms": round(answer.timings_ms["ttft"]),
        }
    )
json.dump(
    {
        "answerable_right": right,
        "answerable": answerable,
        "unanswerable_abstained": abstained,
        "cases": rows,
    },
    sys.stdout,
    indent=1,
)
print()
shutil.rmtree(work, ignore_errors=True)
