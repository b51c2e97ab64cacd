"""Renderers of validation reports: text for the terminal, JSON for machines (HTML: report/html.py)."""
