from tests.robustness.conftest import full_size  # noqa: F401  (the XLTOOLS_SLOW switch of the big runs)
