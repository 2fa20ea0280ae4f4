"""Shared test setup."""

from __future__ import annotations

import warnings

# When a property fails, hypothesis's pytest plugin imports libcst to print an explicit-example
# patch; with libcst's mypy_extensions that import emits a DeprecationWarning, which
# ``filterwarnings = ["error"]`` turns into an INTERNALERROR that hides the real failure. Import it
# once here, with that one warning silenced, so the later import is a no-op.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "mypy_extensions.TypedDict", DeprecationWarning)
    try:
        import hypothesis.extra._patching  # noqa: F401
    except ImportError:  # libcst not installed: hypothesis skips the patch
        pass

import os

# Keras (tests/test_keras.py) runs on the torch backend: chosen before anything imports keras
os.environ.setdefault("KERAS_BACKEND", "torch")

from hypothesis import settings

# The suite draws the same examples on every run, so that CI is red only for a real change; set
# HYPOTHESIS_PROFILE=explore to draw new ones (what a property test is for, locally).
settings.register_profile("deterministic", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))
