"""Evaluation: datasets, metrics and runs."""
