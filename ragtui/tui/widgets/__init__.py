"""Reusable widgets: answer view, source list, trace waterfall, history input."""
