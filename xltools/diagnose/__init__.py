"""Error localisation (Fellegi–Holt): the fewest input cells whose change makes every failed identity hold."""

from .solve import Candidate, Diagnosis, diagnose

__all__ = ["Candidate", "Diagnosis", "diagnose"]
