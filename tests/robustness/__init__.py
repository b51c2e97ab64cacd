"""Robustness suite (issue 6): hostile and broken inputs, formula injection, mutations, no false alarms."""
