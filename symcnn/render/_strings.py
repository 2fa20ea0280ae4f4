"""Each expression's printed string, computed once: a deep network repeats its sizes row after
row (a ReLU's shape is its input's, an activation size is the product of the sizes printed in
its shape), and SymPy's printer, which orders every sum's terms again on each call, is most of
the time of a long table. The caches are bounded (:data:`MAX_CACHED`), so a long-running process
does not keep every expression it ever printed."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sympy.printing.str import StrPrinter

from ._order import sympy_order

__all__ = ["MAX_CACHED", "sstr"]

#: the most printed strings each cache keeps (the least recently used go first)
MAX_CACHED = 4096


class _CachingPrinter(StrPrinter):
    """SymPy's ``StrPrinter`` that prints each subexpression once: the string of a part does not
    depend on what holds it (the holder parenthesises it by the part's precedence, not by its
    string), so ``4*floor(H/2)*floor(W/2)`` reuses the strings of both floors."""

    def __init__(self) -> None:
        super().__init__()
        self._strings: dict[tuple[type, Any], str] = {}

    def _print(self, expr: Any, **kwargs: Any) -> str:
        if kwargs:
            return str(super()._print(expr, **kwargs))
        key = (type(expr), expr)
        found = self._strings.get(key)
        if found is None:
            if len(self._strings) >= MAX_CACHED:
                self._strings.clear()
            found = self._strings[key] = str(super()._print(expr))
        return found

    def _as_ordered_terms(self, expr: Any, order: Any = None) -> list[Any]:
        """SymPy's order of a sum's terms, found without SymPy's dense monomials: for the sums a
        strided size is made of (a rational and one term in one generator: ``H/4 + 3/4``,
        ``⌊…⌋ + 1``), and in linear time for long sums (:mod:`symcnn.render._order`)."""
        if order is None and self.order is None:
            ordered = sympy_order(expr)
            if ordered is not None:
                return ordered
        return list(super()._as_ordered_terms(expr, order=order))


_PRINTER = _CachingPrinter()


def sstr(expr: object) -> str:
    """``sympy.sstr(expr)``, cached per expression (``typed``: ``1`` and ``True`` are two keys);
    an unhashable value (a list) is printed afresh."""
    try:
        return _cached(expr)
    except TypeError:  # unhashable
        return str(StrPrinter().doprint(expr))


@lru_cache(maxsize=MAX_CACHED, typed=True)
def _cached(expr: object) -> str:
    return str(_PRINTER.doprint(expr))
