"""Reading files into located sections and chunks."""
