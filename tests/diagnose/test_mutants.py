"""The diagnosis under the mutation suite's single-cell amount mutations (a sample in CI; the full
measurement is bench/diagnose_bench.py, whose figures are in the README)."""

from __future__ import annotations

import pytest

from tests.robustness import corpus
from tests.robustness.operators import bases

from .measure import measure


def test_every_identifiable_mutant_is_named_on_the_example() -> None:
    ed = corpus.edition()
    m = measure(ed, bases(ed, [], example=True), stride=3)
    print(m.summary())
    assert m.breaking > 20 and m.identifiable > 10, m.summary()
    assert m.named == m.identifiable, m.misses
    assert m.formula_named == 0 and m.disagree == 0, m.summary()


@pytest.mark.slow
def test_full_measurement(full_size: None) -> None:
    ed = corpus.edition()
    m = measure(ed, bases(ed, [1, 7]))
    print(m.summary())
    assert m.named == m.identifiable and m.formula_named == 0 and m.disagree == 0, m.summary()
