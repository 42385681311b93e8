"""The Textual app (a thin shell over ragtui.core.engine.Engine)."""
