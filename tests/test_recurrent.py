"""RNN, LSTM, GRU and their cells against PyTorch: parameters, buffers, output shape, refusals
and FlopCounterMode's count.

Hypothesis draws configurations, valid or not (proj_size ≥ hidden_size, dropout outside [0, 1],
an unknown nonlinearity, a wrong input_size, a wrong rank). Each is built in PyTorch and run on a
batch of one example, the batch axis where ``batch_first`` puts it, and as one-layer spec in
symcnn: symcnn refuses exactly what PyTorch refuses, and otherwise gives PyTorch's numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

import symcnn
from symcnn import strategies as sst
from symcnn.derive import derive

torch.set_num_threads(1)

#: warnings PyTorch gives for configurations it accepts
EXPECTED_WARNINGS = (
    "dropout option adds dropout after all but last recurrent layer",
    "LSTM with projections is not supported with oneDNN",
)
TORCH_ERRORS = (RuntimeError, ValueError, TypeError, IndexError)


@dataclass(frozen=True)
class Case:
    type: str
    kwargs: dict[str, Any]
    #: one example's shape: (L, H_in) for a layer, (H_in,) for a cell (sometimes a wrong rank)
    shape: tuple[int, ...]
    #: input_size as PyTorch needs it (and, when ``declare``, as the spec states it)
    input_size: int
    declare: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def spec(self) -> dict[str, Any]:
        layer = {"type": self.type, **self.kwargs}
        if self.declare:
            layer["input_size"] = self.input_size
        return {"input": list(self.shape), "layers": [layer]}

    def batched(self) -> torch.Tensor:
        """A batch of one example, the batch axis where PyTorch reads it."""
        x = torch.zeros(*self.shape)
        if self.type.endswith("Cell") or self.kwargs.get("batch_first"):
            return x.unsqueeze(0)
        return x.unsqueeze(1) if x.dim() >= 2 else x.unsqueeze(0)


def run_torch(case: Case) -> tuple[int, int, tuple[int, ...], int] | Exception:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            module = getattr(torch.nn, case.type)(case.input_size, **case.kwargs).eval()
            x = case.batched()
            with FlopCounterMode(display=False) as counter, torch.no_grad():
                output = module(x)
        except TORCH_ERRORS as error:
            return error
        finally:
            for warning in caught:
                assert str(warning.message).startswith(EXPECTED_WARNINGS), warning.message
    if isinstance(output, tuple):
        output = output[0]
    if not case.type.endswith("Cell") and not case.kwargs.get("batch_first"):
        output = output.transpose(0, 1)
    return (
        sum(p.numel() for p in module.parameters()),
        sum(b.numel() for b in module.buffers()),
        tuple(output.shape[1:]),
        counter.get_total_flops(),
    )


def assert_agrees(case: Case) -> None:
    expected = run_torch(case)
    try:
        got = symcnn.load(case.spec())
    except symcnn.SymcnnError as error:
        assert isinstance(expected, Exception), (case, error, expected)
        return
    assert not isinstance(expected, Exception), (case, expected, got.params)
    params, buffers, shape, flops = expected
    assert (got.params, got.buffers, got.output_shape) == (params, buffers, shape), case
    assert got.flops == flops, (case, got.flops, flops)
    assert all(isinstance(value, sympy.Integer) for value in (got.params, *got.output_shape))
    # the working's parameter line is the same number, from the same tree
    assert derive(got.rows[0]).line("params").result == params


# ------------------------------------------------------------------------------ strategies


@st.composite
def recurrent_layers(draw: Callable[..., Any]) -> Case:
    name = draw(st.sampled_from(["RNN", "LSTM", "GRU"]))
    hidden = draw(st.integers(1, 6))
    kwargs: dict[str, Any] = {
        "hidden_size": hidden,
        "num_layers": draw(st.integers(1, 3)),
        "bias": draw(st.booleans()),
        "batch_first": draw(st.booleans()),
        "bidirectional": draw(st.booleans()),
        "dropout": draw(st.sampled_from([0.0, 0.0, 0.5, 1.0, -0.1, 1.5])),
    }
    if name == "LSTM" and draw(st.booleans()):
        kwargs["proj_size"] = draw(st.integers(0, hidden + 1))
    if name == "RNN" and draw(st.booleans()):
        kwargs["nonlinearity"] = draw(st.sampled_from(["tanh", "relu", "sigmoid"]))
    features = draw(st.integers(1, 5))
    # a rank-1 example would be a 2-D batch, which PyTorch reads as one unbatched sequence: that
    # refusal is tested below; a rank-3 example is a 4-D batch, which PyTorch refuses
    rank = draw(st.sampled_from([2, 2, 2, 2, 3]))
    shape = (draw(st.integers(1, 4)), features) if rank == 2 else (2, 2, features)
    stated = features + draw(st.sampled_from([0, 0, 0, 1]))
    return Case(name, kwargs, shape, stated, declare=draw(st.booleans()) or stated != features)


@st.composite
def cells(draw: Callable[..., Any]) -> Case:
    name = draw(st.sampled_from(["RNNCell", "LSTMCell", "GRUCell"]))
    kwargs: dict[str, Any] = {"hidden_size": draw(st.integers(1, 6)), "bias": draw(st.booleans())}
    if name == "RNNCell" and draw(st.booleans()):
        kwargs["nonlinearity"] = draw(st.sampled_from(["tanh", "relu", "gelu"]))
    features = draw(st.integers(1, 5))
    stated = features + draw(st.sampled_from([0, 0, 0, 1]))
    declare = draw(st.booleans()) or stated != features
    return Case(name, kwargs, (features,), stated, declare=declare)


@settings(max_examples=150, deadline=None)
@given(case=recurrent_layers())
def test_recurrent_layers_agree_with_pytorch(case: Case) -> None:
    assert_agrees(case)


@settings(max_examples=60, deadline=None)
@given(case=cells())
def test_cells_agree_with_pytorch(case: Case) -> None:
    assert_agrees(case)


# ------------------------------------------------------------------------------ fixed points


def test_the_course_question_an_lstm_of_256_on_4096_inputs() -> None:
    net = symcnn.load({"input": [10, 4096], "layers": [{"type": "LSTM", "hidden_size": 256}]})
    assert net.params == 4_458_496 == sum(p.numel() for p in torch.nn.LSTM(4096, 256).parameters())


def test_the_formula_is_symbolic_in_the_sizes() -> None:
    net = symcnn.load({"input": ["L", "F"], "layers": [{"type": "LSTM", "hidden_size": "H"}]})
    H, F, L = (sympy.Symbol(name, integer=True, positive=True) for name in "HFL")
    assert sympy.expand(net.params - (4 * H * F + 4 * H * H + 8 * H)) == 0
    assert net.output_shape == (L, H)


def test_the_working_shows_the_gates_and_the_two_bias_vectors() -> None:
    net = symcnn.load({"input": [10, 4096], "layers": [{"type": "LSTM", "hidden_size": 256}]})
    line = derive(net.rows[0]).line("params")
    assert "4 gates" in line.note and "b_ih" in line.note and "b_hh" in line.note
    projected = symcnn.load(
        {"input": [3, 8], "layers": [{"type": "LSTM", "hidden_size": 6, "proj_size": 2}]}
    )
    assert "projection" in derive(projected.rows[0]).line("params").note


@pytest.mark.parametrize(
    ("layer", "shape", "field", "message"),
    [
        ({"type": "LSTM", "hidden_size": 4, "proj_size": 4}, [3, 5], "proj_size", "smaller"),
        ({"type": "GRU", "hidden_size": 4, "dropout": 1.5}, [3, 5], "dropout", "between 0 and 1"),
        ({"type": "RNN", "hidden_size": 4, "nonlinearity": "gelu"}, [3, 5], "nonlinearity", "tanh"),
        ({"type": "LSTM", "hidden_size": 4}, [2, 3, 5], "input", "rank 2"),
        ({"type": "GRU", "hidden_size": 4}, [5], "input", "rank 2"),
        ({"type": "LSTM", "hidden_size": 4, "input_size": 6}, [3, 5], "input_size", "disagrees"),
        ({"type": "LSTMCell", "hidden_size": 4}, [3, 5], "input", "rank 1"),
    ],
)
def test_bad_recurrent_configurations_are_named_errors(
    layer: dict[str, Any], shape: list[int], field: str, message: str
) -> None:
    with pytest.raises(symcnn.SpecError, match=message) as caught:
        symcnn.load({"input": shape, "layers": [layer]})
    assert caught.value.field == field
    assert "LSTM" in str(caught.value) or "GRU" in str(caught.value) or "RNN" in str(caught.value)


def test_a_symbolic_proj_size_waits_for_its_value() -> None:
    net = symcnn.load(
        {"input": [3, 5], "layers": [{"type": "LSTM", "hidden_size": 4, "proj_size": "q"}]}
    )
    assert net.conditions
    with pytest.raises(symcnn.SpecError, match="smaller"):
        net.evaluate(q=4)
    assert net.evaluate(q=3)["params"] == sum(
        p.numel() for p in torch.nn.LSTM(5, 4, proj_size=3).parameters()
    )


@settings(max_examples=30, deadline=None)
@given(h_in=st.integers(1, 9), h=st.integers(1, 9), bias=st.booleans())
def test_the_identities_hold_in_pytorch(h_in: int, h: int, bias: bool) -> None:
    """lstm-is-four-rnns and bidirectional-is-two-layers, as PyTorch counts."""
    from symcnn.identities import IDENTITIES

    def count(name: str, **kwargs: Any) -> int:
        module = getattr(torch.nn, name)(h_in, h, bias=bias, **kwargs)
        return sum(p.numel() for p in module.parameters())

    assert count("LSTM") == 4 * count("RNN") and count("GRU") == 3 * count("RNN")
    for name in ("LSTM", "GRU", "RNN"):
        assert count(name, bidirectional=True) == 2 * count(name)
    by_name = {"h_in": h_in, "h": h, "bias": int(bias)}
    lstm = IDENTITIES["lstm-is-four-rnns"].lhs[0]
    assert lstm.subs({s: by_name[s.name] for s in lstm.free_symbols}) == count("LSTM")


@settings(max_examples=40, deadline=None)
@given(triple=sst.sequence_specs_with_shapes())
def test_drawn_sequence_specs_load_with_the_plain_python_count(
    triple: tuple[dict[str, Any], tuple[int, ...], int],
) -> None:
    spec, shape, params = triple
    net = symcnn.load(spec)
    assert (net.output_shape, net.params) == (shape, params)


def test_the_lstm_exam_template_answers_as_summary_and_pytorch_count() -> None:
    from pathlib import Path

    from symcnn.exam import load_template, make_exam

    path = Path(__file__).resolve().parent.parent / "examples" / "exams" / "lstm_exam.yaml"
    template = load_template(path)
    exam = make_exam(template, variants=6, seed=3)
    for variant in exam.variants:
        values = variant.values
        expected = template.network.subs(values)  # rebuilt independently, as summary does
        answers = [[a.value for a in q.answers] for q in variant.questions]
        assert answers == [
            [expected["encoder"].params],
            [expected["decoder"].params],
            [expected["decoder"].activation_size],
            [expected.params],
        ]
        encoder = torch.nn.LSTM(values["F"], values["H1"], num_layers=values["N"])
        decoder = torch.nn.GRU(values["H1"], values["H2"], bidirectional=True)
        counts = [sum(p.numel() for p in m.parameters()) for m in (encoder, decoder)]
        assert counts == [answers[0][0], answers[1][0]]
        for question in variant.questions:
            assert not {m.value for m in question.mistakes} & {a.value for a in question.answers}


# ------------------------------------------------------------------------------ the cost tools


class _Output(torch.nn.Module):
    """A recurrent layer's output alone (``module(x)[0]``), as the tools trace a plain module."""

    def __init__(self, module: torch.nn.Module):
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output = self.module(x)
        return output[0] if isinstance(output, tuple) else output


def tool_macs(case: Case) -> dict[str, int]:
    """ptflops (aten), fvcore and torchinfo on a batch of one example, as their own tests run
    them (tests/test_costs_*.py)."""
    import contextlib
    import io

    module = _Output(getattr(torch.nn, case.type)(case.input_size, **case.kwargs)).eval()
    shape = case.shape
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # fvcore's import and trace warn of torch.jit
        from fvcore.nn import FlopCountAnalysis
        from ptflops import get_model_complexity_info
        from torchinfo import summary

        with contextlib.redirect_stderr(io.StringIO()):
            ptflops, _ = get_model_complexity_info(
                module, shape, as_strings=False, backend="aten", print_per_layer_stat=False
            )
            analysis = FlopCountAnalysis(module, torch.zeros(1, *shape))
            analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
            fvcore = analysis.total()
        torchinfo = summary(module, input_size=(1, *shape), verbose=0).total_mult_adds
    return {"ptflops": int(ptflops), "fvcore": int(fvcore), "torchinfo": int(torchinfo)}


@st.composite
def valid_recurrent(draw: Callable[..., Any]) -> Case:
    if draw(st.booleans()):
        case = draw(cells())
    else:
        case = draw(recurrent_layers())
        case.kwargs.pop("dropout", None)
        if case.type == "LSTM" and case.kwargs.get("proj_size", 0) >= case.kwargs["hidden_size"]:
            case.kwargs.pop("proj_size")
        case.kwargs.pop("nonlinearity", None)
        case = Case(case.type, case.kwargs, (case.shape[0], case.shape[-1]), case.shape[-1])
    case.kwargs.pop("nonlinearity", None)
    return Case(case.type, case.kwargs, case.shape, case.shape[-1])


#: the layer types whose costs the test below compares with ptflops, fvcore and torchinfo
COST_COMPARED = (
    "RNN",
    "LSTM",
    "GRU",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "Embedding",
    "EmbeddingBag",
)


@settings(max_examples=40, deadline=None)
@given(case=valid_recurrent())
def test_the_counters_give_the_tools_numbers(case: Case) -> None:
    """symcnn's ptflops, fvcore and torchinfo counters are the tools' own numbers (the torch
    counter is FlopCounterMode's: test_recurrent_layers_agree_with_pytorch)."""
    net = symcnn.load(case.spec())
    expected = tool_macs(case)
    got = {name: net.costs(name)["macs"] for name in expected}
    assert got == expected, (case, got, expected)


@pytest.mark.parametrize(
    ("name", "shape", "batched"),
    [
        ("Embedding", (7,), True),
        ("Embedding", (3, 7), True),
        ("EmbeddingBag", (7,), True),
        ("EmbeddingBag", (3, 7), False),  # B bags: PyTorch's 2-d input is the example itself
    ],
)
def test_embeddings_cost_their_table_in_torchinfo_and_nothing_elsewhere(
    name: str, shape: tuple[int, ...], batched: bool
) -> None:
    from torchinfo import summary

    layer = {"type": name, "num_embeddings": 30, "embedding_dim": 4}
    net = symcnn.load({"input": list(shape), "layers": [layer]})
    ids = torch.zeros(*((1, *shape) if batched else shape), dtype=torch.long)
    expected = summary(getattr(torch.nn, name)(30, 4), input_data=ids, verbose=0)
    assert net.costs("torchinfo")["macs"] == expected.total_mult_adds
    assert [net.costs(name)["macs"] for name in ("torch", "fvcore", "ptflops")] == [0, 0, 0]
