"""The public face of a network: the core :class:`symcnn.network.Network` and the conveniences
users expect on it — ``net.solve(...)``, ``net.evaluate(...)``, ``net.lambdify(...)``,
``net.rewrite(...)``, and Jupyter display.

The core network knows nothing of solving, sweeping or rendering: data flows one way (spec →
layers → network → evaluate/solve → render). This module sits at the top, beside the CLI, and
delegates down, so no import — lazy or not — runs up. The modules it delegates to are imported
when first used (downward), so that ``symcnn summary`` loads neither the solver nor NumPy.
:func:`load` here builds the public class; the modules below use :func:`symcnn.network.load`,
which builds the core one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sympy

from .errors import SolveError
from .layers.base import Expr
from .network import EVALUATED
from .network import Network as CoreNetwork
from .render import text_table as _text_table  # importing symcnn.render registers the displays
from .spec import normalize, read_spec

if TYPE_CHECKING:
    from .solve import Solution

__all__ = ["Network", "load"]


class Network(CoreNetwork):
    """A network built from a spec (see :func:`symcnn.load`), with the conveniences of asking
    backwards, evaluating fast, compiling for NumPy, rewriting and displaying itself."""

    def solve(self, *targets: Any, **options: Any) -> Solution:
        """Every integer solution of ``targets``; see :func:`symcnn.solve` for the options.

        >>> import symcnn
        >>> net = symcnn.load({"input": [32, 32, 3], "layers": [
        ...     {"type": "conv2d", "out_channels": 8, "kernel_size": "f"}]})
        >>> net.solve("output_shape = [28, 28, 8]").value
        5
        """
        from .solve import solve

        return solve(self, *targets, **options)

    def evaluate(
        self,
        values: Mapping[str | sympy.Symbol, Any] | None = None,
        /,
        quantities: Sequence[str] = EVALUATED,
        **named: Any,
    ) -> dict[str, Any]:
        """The chosen quantities with some symbols given values, fast: each formula shared between
        layers is evaluated once, exactly, without rebuilding the network (unlike :meth:`subs`).
        Checks whose symbols all have values are run; one that fails raises as :meth:`subs` would.

        >>> import symcnn
        >>> net = symcnn.load({"input": ["H", "H", 3], "layers": [
        ...     {"type": "conv2d", "name": "CONV1", "out_channels": "k", "kernel_size": 5}]})
        >>> net.evaluate(H=32, k=8)  # doctest: +NORMALIZE_WHITESPACE
        {'params': 608, 'buffers': 0, 'output_shape': (28, 28, 8), 'activation_size': 6272,
         'total_activations': 6272, 'trainable': 608, 'non_trainable': 0}
        >>> net.evaluate(k=8, quantities=["params", "CONV1.output_shape"])
        {'params': 608, 'CONV1.output_shape': (H - 4, H - 4, 8)}
        """
        from .evaluate import evaluate_network

        return evaluate_network(self, {**(values or {}), **named}, quantities)

    def lambdify(
        self, quantities: Sequence[str], symbols: Sequence[str | sympy.Symbol]
    ) -> Callable[..., list[Any]]:
        """The quantities compiled to one NumPy function of ``symbols`` (arrays in, arrays out).

        >>> import numpy as np, symcnn
        >>> net = symcnn.load({"input": ["H", "H", 3], "layers": [
        ...     {"type": "conv2d", "out_channels": "k", "kernel_size": 5}]})
        >>> params, height = net.lambdify(["params", "output_shape[0]"], ["k", "H"])(
        ...     np.array([8, 16]), np.array([32, 64]))
        >>> params.tolist(), height.tolist()
        ([608, 1216], [28, 60])
        """
        from .sweep import compile_quantities

        return compile_quantities(self, quantities, symbols)

    def rewrite(self, form: str) -> Network:
        """The network with every row and total shown in ``form``: ``expand``, ``factor`` or
        ``collect:k`` (see :mod:`symcnn.forms`). Simplification runs here, once, on what is shown.

        >>> import symcnn
        >>> net = symcnn.load({"input": [32, 32, 3], "layers": [
        ...     {"type": "conv2d", "out_channels": "k", "kernel_size": 5},
        ...     {"type": "conv2d", "out_channels": "k", "kernel_size": 5}]})
        >>> net.params, net.rewrite("collect:k").params
        (k*(25*k + 1) + 76*k, 25*k**2 + 77*k)
        """
        from .forms import rewrite_network

        return rewrite_network(self, form)  # type: ignore[return-value]

    def contributions(self, quantity: str = "params") -> list[tuple[str, Expr]]:
        """Each layer's share of a total (``params``, ``buffers`` or ``activation_size``)."""
        from .forms import contributions

        return contributions(self, quantity)

    def to_spec(self) -> dict[str, Any]:
        """The spec of this network as a plain dict (a copy), which :func:`symcnn.load` accepts
        and which gives the same counts and shapes; a network read from YAML gives its normalized
        spec.

        >>> import symcnn
        >>> net = symcnn.load({"input": [784], "layers": [{"type": "linear", "out_features": 10}]})
        >>> net.to_spec()
        {'input': [784], 'layout': 'HWC', 'layers': [{'type': 'linear', 'out_features': 10}]}
        >>> symcnn.load(net.to_spec()).params
        7850
        """
        if self.given:
            names = ", ".join(sorted(self.given))
            raise SolveError(
                f"this network gives {names} values, which a spec cannot hold; call to_spec() "
                f"on the network before .subs() and pass the values to symcnn.load(spec, values)"
            )
        spec = copy.deepcopy(dict(self.spec))
        if spec.get("name") is None:
            spec.pop("name", None)
        if spec.get("convention") == "torch":  # the default: a spec need not say it
            del spec["convention"]
        inputs = spec.get("inputs", {})
        if list(inputs) == ["input"]:
            del spec["inputs"]
        else:
            spec.pop("input", None)
        return spec

    def __str__(self) -> str:
        """``print(net)`` shows the summary table."""
        return _text_table(self)

    def _repr_latex_(self) -> str:
        from .render.latex import latex_network_math

        return latex_network_math(self)

    def _repr_markdown_(self) -> str:
        from .render.markdown import markdown_network

        return markdown_network(self)


def load(
    source: Any, values: Mapping[str, Any] | None = None, convention: str | None = None
) -> Network:
    """Load a network from a dict, a .yaml/.yml/.json path, or YAML/JSON text; ``convention``
    (``torch`` or ``keras``) overrides the spec's ``convention`` (see docs/keras.md).

    >>> net = load({"input": [32, 32, 3], "layers": [
    ...     {"type": "conv2d", "out_channels": 8, "kernel_size": 5}]})
    >>> net.params, net.output_shape
    (608, (28, 28, 8))
    >>> bn = load({"input": [8, 8, 16], "layers": [{"type": "BatchNormalization"}]},
    ...           convention="keras")
    >>> bn.params, bn.trainable, bn.non_trainable, bn.buffers
    (64, 32, 32, 0)
    """
    spec = normalize(read_spec(source), convention)
    # the values go in while the network is built: a given size is never symbolic
    return Network.build_with(spec, values) if values else Network.build(spec)
