"""Regenerates generated/ from specs/ (see `python -m generator --help`)."""
