"""Screens: Ask, Library, Traces, Stats, and the dialogs they open."""
