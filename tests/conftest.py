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
