"""The Textual app (a thin shell over the core's public face, ragtui.core.api)."""
