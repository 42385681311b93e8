"""The ragtui core: indexing, retrieval, answers, traces and evaluation, without any UI.

onnxruntime (under fastembed) ships Microsoft's telemetry client, on by default since
1.29: about nine seconds after import it resolves an events host and would upload to it.
``ORT_DISABLE_TELEMETRY=1``, read once when onnxruntime is first imported, turns it off;
every path to onnxruntime in ragtui goes through this package, so it is set here, before
any of them can run. ``tests/privacy`` checks at the system-call level that no process of
ragtui connects anywhere but the loopback.
"""

import os

os.environ["ORT_DISABLE_TELEMETRY"] = "1"  # plain assignment: an inherited "0" must not win
