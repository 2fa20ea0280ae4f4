"""How fast symcnn counts ResNet-50's costs under every counter, against the tools themselves.

In one process, with every tool imported and the model built once:

* symcnn: read ``examples/resnet50.yaml``, build it, and count its costs under every registered
  counter (``torch``, ``fvcore``, ``ptflops``, ``torchinfo``) — formulas, no tensors;
* ``FlopCounterMode``, ``fvcore.nn.FlopCountAnalysis(...).total()``,
  ``ptflops.get_model_complexity_info(..., backend="aten")`` and ``torchinfo.summary(...)`` on the
  hand-built copy of torchvision's ``resnet50()`` in ``tests/zoo_models.py``, each on one
  224×224 image.

Each is run once to warm up, then the best of ``--repeat`` runs is kept. The ratio to the fastest
tool is printed, and every counter's number is compared with its tool's.

Usage::

    python benchmarks/bench_costs.py              # about a minute
    python benchmarks/bench_costs.py --repeat 5

This is a benchmark, not a test: it prints a table and asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import torch  # noqa: E402

import symcnn  # noqa: E402
from symcnn.costs import COUNTERS  # noqa: E402

RESNET50 = ROOT / "examples" / "resnet50.yaml"


def best(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    result = work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def tools(model: torch.nn.Module) -> dict[str, Callable[[], int]]:
    """Each installed tool's own number for ResNet-50, by the counter that reproduces it."""
    x = torch.zeros(1, 3, 224, 224)
    found: dict[str, Callable[[], int]] = {}

    def flop_counter() -> int:
        from torch.utils.flop_counter import FlopCounterMode

        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(x)
        return int(counter.get_total_flops())

    found["torch"] = flop_counter
    with contextlib.suppress(ImportError):
        from fvcore.nn import FlopCountAnalysis

        def fvcore() -> int:
            analysis = FlopCountAnalysis(model, x)
            analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
            return int(analysis.total())

        found["fvcore"] = fvcore
    with contextlib.suppress(ImportError):
        from ptflops import get_model_complexity_info

        def ptflops() -> int:
            with contextlib.redirect_stdout(io.StringIO()):
                macs, _ = get_model_complexity_info(
                    model,
                    (3, 224, 224),
                    as_strings=False,
                    backend="aten",
                    print_per_layer_stat=False,
                )
            return int(macs)

        found["ptflops"] = ptflops
    with contextlib.suppress(ImportError):
        import torchinfo

        def torchinfo_run() -> int:
            return int(
                torchinfo.summary(model, input_size=(1, 3, 224, 224), verbose=0).total_mult_adds
            )

        found["torchinfo"] = torchinfo_run
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    from zoo_models import resnet50

    model = resnet50().eval()

    def ours() -> dict[str, dict[str, Any]]:
        net = symcnn.load(RESNET50)
        return {name: net.costs(name) for name in COUNTERS}

    ours_time, counted = best(arguments.repeat, ours)
    print(f"ResNet-50, one 224x224 image, best of {arguments.repeat} (one process, warm)")
    print(f"{'':28} {'time':>9}  {'number':>16}  symcnn agrees")
    print(f"{'symcnn (all counters)':28} {ours_time * 1000:7.1f}ms")
    fastest = None
    for name, run in tools(model).items():
        elapsed, number = best(arguments.repeat, run)
        counter = COUNTERS.get(name)
        mine = None if counter is None else counted[name][counter.reports]
        print(f"{name:28} {elapsed * 1000:7.1f}ms  {number:>16,}  {mine == number}")
        fastest = elapsed if fastest is None else min(fastest, elapsed)
    if fastest is not None:
        print(
            f"symcnn, all four counters, vs the fastest tool alone: {fastest / ours_time:.1f}x "
            "(goal: 10x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
