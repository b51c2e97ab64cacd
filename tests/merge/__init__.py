"""xltools merge (issue 4): statuses, totals, roster, outputs, determinism."""
