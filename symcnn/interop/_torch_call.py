"""One traced call as the op handlers see it (:class:`Call`), and the helpers every handler uses
to read its tensor and its arguments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError
from ._importer import Importer, Tensor
from .torch_table import plain

__all__ = ["Call", "Handler"]


@dataclass(frozen=True)
class Call:
    """One traced call: its arguments, the name its entry gets, and where it is, for errors."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    name: str
    where: str


Handler = Callable[[Importer, Call], Any]


def _tensor(value: Any, call: Call, what: str = "its input") -> Tensor:
    if not isinstance(value, Tensor):
        raise SpecError(f"{what} must be a tensor, got {value!r}", where=call.where)
    return value


def _arguments(call: Call, names: tuple[str, ...], ignore: tuple[str, ...] = ()) -> dict[str, Any]:
    """The call's arguments after the tensor, by the layer's names (positional in ``names``'
    order); arguments that do not change a count or a shape (``inplace``, ``_stacklevel``) are
    dropped."""
    values = dict(zip(names, call.args[1:], strict=False))
    if len(call.args) - 1 > len(names):
        raise SpecError(f"takes at most {len(names)} arguments after the tensor", where=call.where)
    for key, value in call.kwargs.items():
        if key in ignore:
            continue
        if key not in names:
            raise SpecError(f"symcnn does not read the argument `{key}`", where=call.where)
        values[key] = value
    return {key: plain(value, call.where, key) for key, value in values.items()}
