"""Services the shells reach through the Engine's parts: evals, traces and stats."""
