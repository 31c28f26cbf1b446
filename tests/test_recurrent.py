"""Tests for nnkit/recurrent.py: RNN, LSTM and GRU."""

import copy
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnkit
from nnkit.gradcheck import gradcheck
from nnkit.module import Module, Parameter
from nnkit.recurrent import GRU, LSTM, RNN

# (label, class, extra constructor arguments)
KINDS = [("RNN-tanh", RNN, {}), ("RNN-relu", RNN, {"nonlinearity": "relu"}), ("LSTM", LSTM, {}), ("GRU", GRU, {})]


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def make(cls, kw, input_size=3, hidden_size=4, **more):
    return cls(input_size, hidden_size, **kw, **more, rng=0, dtype=np.float64)


def states(cls, num_layers, n, hidden_size=4, seed=5):
    """An initial state: ``h0``, or ``(h0, c0)`` for the LSTM; ``n=None`` for an unbatched one."""
    shape = (num_layers, hidden_size) if n is None else (num_layers, n, hidden_size)
    h0 = normal(*shape, seed=seed)
    return (h0, normal(*shape, seed=seed + 1)) if cls is LSTM else h0


def as_list(state):
    return list(state) if isinstance(state, tuple) else [state]


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def naive(layer, x, hx=None):
    """One step at a time, one gate at a time, from the parameters by name: the definitions of
    PyTorch's documentation written as plainly as possible, time-major and batched."""
    lstm, gru = isinstance(layer, LSTM), isinstance(layer, GRU)
    k_layers, hsize, n = layer.num_layers, layer.hidden_size, x.shape[1]
    zeros = np.zeros((k_layers, n, hsize))
    h0, c0 = (hx if lstm else (hx, None)) if hx is not None else (zeros, zeros)
    p = {name: v.data for name, v in layer.named_parameters()}
    finals_h, finals_c, inp = [], [], x
    for k in range(k_layers):
        w_ih, w_hh = p[f"weight_ih_l{k}"], p[f"weight_hh_l{k}"]
        b_ih = p.get(f"bias_ih_l{k}", np.zeros(len(w_ih)))
        b_hh = p.get(f"bias_hh_l{k}", np.zeros(len(w_hh)))
        h, c, outs = h0[k], None if c0 is None else c0[k], []
        for x_t in inp:
            xa, ha = x_t @ w_ih.T + b_ih, h @ w_hh.T + b_hh
            part = lambda a, j: a[:, j * hsize : (j + 1) * hsize]  # noqa: E731
            if lstm:
                i, f = sigmoid(part(xa, 0) + part(ha, 0)), sigmoid(part(xa, 1) + part(ha, 1))
                g, o = np.tanh(part(xa, 2) + part(ha, 2)), sigmoid(part(xa, 3) + part(ha, 3))
                c = f * c + i * g
                h = o * np.tanh(c)
            elif gru:
                r, z = sigmoid(part(xa, 0) + part(ha, 0)), sigmoid(part(xa, 1) + part(ha, 1))
                cand = np.tanh(part(xa, 2) + r * part(ha, 2))
                h = (1 - z) * cand + z * h
            else:
                a = xa + ha
                h = np.tanh(a) if layer.nonlinearity == "tanh" else np.maximum(a, 0)
            outs.append(h)
        finals_h.append(h)
        finals_c.append(c)
        inp = np.stack(outs)
    h_n = np.stack(finals_h)
    return inp, ((h_n, np.stack(finals_c)) if lstm else h_n)


class StateProbe(Module):
    """Test harness: runs ``layer(x, hx)`` with the initial state held as parameters and returns every
    output (output, h_n, and c_n) as one flat vector, so that :func:`nnkit.gradcheck.gradcheck` checks
    dL/dx, dL/dh0 (dL/dc0) and every weight at once, through the layer's two-output backward."""

    def __init__(self, layer, hx=None):
        super().__init__()
        self.layer = layer
        self.given = hx is not None
        for name, value in zip(("h0", "c0"), as_list(hx) if self.given else []):
            setattr(self, name, Parameter(value))

    def forward(self, x):
        hx = None
        if self.given:
            hx = (self.h0.data, self.c0.data) if isinstance(self.layer, LSTM) else self.h0.data
        out, state = self.layer(x, hx)
        parts = [out, *as_list(state)]
        self.save_for_backward([part.shape for part in parts])
        return np.concatenate([part.ravel() for part in parts])

    def backward(self, grad_output, *, input_grad=True):
        (shapes,) = self.saved_tensors
        ends = np.cumsum([int(np.prod(s)) for s in shapes])
        grads = [g.reshape(s) for g, s in zip(np.split(grad_output, ends[:-1]), shapes)]
        grad_state = tuple(grads[1:]) if isinstance(self.layer, LSTM) else grads[1]
        result = self.layer.backward(grads[0], grad_state)
        if not self.given:
            assert isinstance(result, np.ndarray)  # no initial state given: dL/dx alone
            return result
        dx, d0 = result
        for name, g in zip(("h0", "c0"), as_list(d0)):
            getattr(self, name).grad += g
        return dx


# --- forward: the definition, shapes, layouts ------------------------------------------------------


@pytest.mark.parametrize(("label", "cls", "kw"), KINDS, ids=[k[0] for k in KINDS])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("bias", [True, False])
def test_forward_matches_the_step_by_step_definition(label, cls, kw, num_layers, bias):
    layer = make(cls, kw, num_layers=num_layers, bias=bias)
    x, hx = normal(5, 2, 3), states(cls, num_layers, 2)
    for initial in (None, hx):
        out, state = layer(x, initial)
        ref_out, ref_state = naive(layer, x, initial)
        assert out.shape == (5, 2, 4)
        np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
        for a, b in zip(as_list(state), as_list(ref_state)):
            assert a.shape == (num_layers, 2, 4)
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    steps=st.integers(1, 5),
    n=st.integers(0, 3),
    num_layers=st.integers(1, 3),
    hidden_size=st.integers(1, 5),
    scale=st.sampled_from([0.1, 1.0, 30.0]),
)
def test_random_sizes_and_saturating_inputs_match_the_definition(kind, steps, n, num_layers, hidden_size, scale):
    _, cls, kw = kind
    layer = make(cls, kw, input_size=2, hidden_size=hidden_size, num_layers=num_layers)
    x = scale * normal(steps, n, 2)
    out, state = layer(x)
    ref_out, ref_state = naive(layer, x)
    np.testing.assert_allclose(out, ref_out, rtol=1e-10, atol=1e-12)
    for a, b in zip(as_list(state), as_list(ref_state)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    grads = layer.backward(np.ones_like(out))
    assert grads.shape == x.shape and np.isfinite(grads).all()


@pytest.mark.parametrize(("label", "cls", "kw"), KINDS, ids=[k[0] for k in KINDS])
def test_batch_first_is_the_same_computation_transposed(label, cls, kw):
    time_major, batch_first = make(cls, kw, num_layers=2), make(cls, kw, num_layers=2, batch_first=True)
    x, hx, dy = normal(5, 2, 3), states(cls, 2, 2), normal(5, 2, 4, seed=1)
    out, _ = time_major(x, hx)
    out_bf, _ = batch_first(x.transpose(1, 0, 2), hx)
    assert out_bf.shape == (2, 5, 4)
    np.testing.assert_allclose(out_bf, out.transpose(1, 0, 2), rtol=1e-14)
    dx, d0 = time_major.backward(dy)
    dx_bf, d0_bf = batch_first.backward(dy.transpose(1, 0, 2))
    np.testing.assert_allclose(dx_bf, dx.transpose(1, 0, 2), rtol=1e-14)
    for a, b in zip(as_list(d0_bf), as_list(d0)):
        np.testing.assert_allclose(a, b, rtol=1e-14)


@pytest.mark.parametrize(("label", "cls", "kw"), KINDS, ids=[k[0] for k in KINDS])
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input_is_a_batch_of_one(label, cls, kw, batch_first):
    """``(L, H_in)`` is one sequence, whatever ``batch_first`` says (as in PyTorch); its state is ``(K, H)``."""
    one, batch = make(cls, kw, num_layers=2, batch_first=batch_first), make(cls, kw, num_layers=2)
    x, hx, dy = normal(5, 3), states(cls, 2, None), normal(5, 4, seed=1)
    out, state = one(x, hx)
    out_b, state_b = batch(x[:, None], tuple(s[:, None] for s in as_list(hx)) if cls is LSTM else hx[:, None])
    assert out.shape == (5, 4)
    np.testing.assert_allclose(out, out_b[:, 0], rtol=1e-14)
    for a, b in zip(as_list(state), as_list(state_b)):
        assert a.shape == (2, 4)
        np.testing.assert_allclose(a, b[:, 0], rtol=1e-14)
    dstate = tuple(np.ones((2, 4)) for _ in as_list(hx))
    dx, d0 = one.backward(dy, dstate if cls is LSTM else dstate[0])
    dx_b, d0_b = batch.backward(dy[:, None], tuple(d[:, None] for d in dstate) if cls is LSTM else dstate[0][:, None])
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, dx_b[:, 0], rtol=1e-14)
    for a, b in zip(as_list(d0), as_list(d0_b)):
        assert a.shape == (2, 4)
        np.testing.assert_allclose(a, b[:, 0], rtol=1e-14)


def test_an_empty_batch_gives_empty_outputs_and_zero_gradients():
    lstm = LSTM(3, 4, num_layers=2, rng=0)
    out, (h_n, c_n) = lstm(np.zeros((5, 0, 3)))
    assert out.shape == (5, 0, 4) and h_n.shape == c_n.shape == (2, 0, 4)
    assert lstm.backward(out).shape == (5, 0, 3)
    assert not any(p.grad.any() for p in lstm.parameters())


# --- parameters, initialization, repr ----------------------------------------------------------


@pytest.mark.parametrize(("cls", "gates"), [(RNN, 1), (LSTM, 4), (GRU, 3)])
def test_parameter_names_shapes_order_and_init_are_pytorchs(cls, gates):
    layer = cls(10, 20, num_layers=2, rng=0)
    expected = [
        ("weight_ih_l0", (gates * 20, 10)),
        ("weight_hh_l0", (gates * 20, 20)),
        ("bias_ih_l0", (gates * 20,)),
        ("bias_hh_l0", (gates * 20,)),
        ("weight_ih_l1", (gates * 20, 20)),
        ("weight_hh_l1", (gates * 20, 20)),
        ("bias_ih_l1", (gates * 20,)),
        ("bias_hh_l1", (gates * 20,)),
    ]
    assert [(name, p.shape) for name, p in layer.named_parameters()] == expected
    assert list(layer.state_dict()) == [name for name, _ in expected]
    bound = 1 / np.sqrt(20)
    for _, p in layer.named_parameters():
        assert p.dtype == np.float32
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.9 * bound
        assert abs(p.data.mean()) < 0.2 * bound  # centred: U(-bound, bound)
    assert [name for name, _ in cls(10, 20, bias=False).named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]


def test_same_seed_same_weights_and_numpys_global_rng_untouched():
    state = np.random.get_state()[1].copy()
    a, b, c = LSTM(3, 4, rng=1), LSTM(3, 4, rng=1), LSTM(3, 4, rng=2)
    np.testing.assert_array_equal(a.weight_hh_l0.data, b.weight_hh_l0.data)
    assert not np.array_equal(a.weight_hh_l0.data, c.weight_hh_l0.data)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    nnkit.manual_seed(3)
    d = GRU(3, 4)
    nnkit.manual_seed(3)
    np.testing.assert_array_equal(GRU(3, 4).weight_ih_l0.data, d.weight_ih_l0.data)


def test_repr_and_name():
    assert repr(RNN(3, 4)) == "RNN(3, 4)"
    assert repr(LSTM(3, 4, num_layers=2, bias=False, batch_first=True)) == (
        "LSTM(3, 4, num_layers=2, bias=False, batch_first=True)"
    )
    assert GRU(3, 4, num_layers=2)._name() == "GRU(3, 4, num_layers=2)"
    assert RNN(3, 4, nonlinearity="relu").nonlinearity == "relu"


def test_dtype_rule_and_to():
    lstm = LSTM(3, 4, rng=0)
    assert lstm(np.ones((5, 2, 3), dtype=np.int64))[0].dtype == np.float32
    out, (h_n, c_n) = lstm(normal(5, 2, 3), (np.zeros((1, 2, 4)), np.zeros((1, 2, 4))))  # float64 meets float32
    assert out.dtype == h_n.dtype == c_n.dtype == np.float32
    dx, (dh0, dc0) = lstm.backward(None, (None, normal(1, 2, 4)))
    assert dx.dtype == dh0.dtype == dc0.dtype == np.float32
    gru = GRU(3, 4, rng=0).to(np.float64)
    assert gru(np.ones((2, 1, 3), dtype=np.float32))[0].dtype == np.float64
    with pytest.raises(TypeError, match=r"GRU\(3, 4\) expected a real-valued numeric input, got dtype <U1"):
        gru(np.array([[["a"]]]))


def test_save_and_load_round_trip(tmp_path):
    a, b = GRU(3, 4, num_layers=2, rng=0), GRU(3, 4, num_layers=2, rng=1)
    nnkit.load(b, nnkit.save(a, tmp_path / "gru.npz"))
    x = normal(5, 2, 3)
    np.testing.assert_array_equal(a(x)[0], b(x)[0])


# --- backward: gradient checks in float64 ---------------------------------------------------------

# The gradients of the deeper weights reach 1e-5 in places, where the finite difference's rounding
# (~1e-11) is a relative error near 1e-6; a wrong gradient gives errors near 1.
TOL = 1e-5


@pytest.mark.parametrize(("label", "cls", "kw"), KINDS, ids=[k[0] for k in KINDS])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("with_state", [False, True], ids=["no-h0", "h0"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time-major", "batch-first"])
def test_gradcheck(label, cls, kw, num_layers, with_state, batch_first):
    layer = cls(3, 3, num_layers=num_layers, batch_first=batch_first, **kw, rng=0)
    hx = states(cls, num_layers, 2, hidden_size=3) if with_state else None
    report = gradcheck(StateProbe(layer, hx), normal(2, 4, 3) if batch_first else normal(4, 2, 3), tol=TOL)
    expected = {"input", "layer.weight_ih_l0", f"layer.bias_hh_l{num_layers - 1}"}
    expected |= ({"h0", "c0"} if cls is LSTM else {"h0"}) if with_state else set()
    assert expected <= set(report.errors)
    assert report.ok, report


@pytest.mark.parametrize(("label", "cls", "kw"), KINDS, ids=[k[0] for k in KINDS])
def test_gradcheck_unbatched_without_bias(label, cls, kw):
    layer = cls(2, 3, num_layers=2, bias=False, **kw, rng=0)
    report = gradcheck(StateProbe(layer, states(cls, 2, None, hidden_size=3)), normal(4, 2), tol=TOL)
    assert report.ok, report


def test_a_classifier_on_the_last_step_gradchecks():
    """How a chapter uses the layer: a Module around it that reads ``output[-1]``."""

    class LastStep(Module):
        def __init__(self):
            super().__init__()
            self.gru = GRU(2, 3, num_layers=2, batch_first=True, rng=0)
            self.head = nnkit.Linear(3, 2, rng=0)

        def forward(self, x):
            out, _ = self.gru(x)
            self.save_for_backward(out.shape)
            return self.head(out[:, -1])

        def backward(self, grad_output, *, input_grad=True):
            (shape,) = self.saved_tensors
            d_out = np.zeros(shape)
            d_out[:, -1] = self.head.backward(grad_output)
            return self.gru.backward(d_out, input_grad=input_grad)

    report = gradcheck(LastStep(), normal(3, 5, 2), tol=TOL)
    assert report.ok, report


# --- backward: what it takes and returns -------------------------------------------------------------


@pytest.mark.parametrize(("label", "cls", "kw"), KINDS, ids=[k[0] for k in KINDS])
def test_backward_accumulates_and_input_grad_false_skips_only_dx(label, cls, kw):
    layer = make(cls, kw, num_layers=2)
    x, hx, dy = normal(5, 2, 3), states(cls, 2, 2), normal(5, 2, 4, seed=1)
    layer(x, hx)
    dx, d0 = layer.backward(dy, retain_graph=True)
    once = {name: p.grad.copy() for name, p in layer.named_parameters()}
    none_dx, d0_again = layer.backward(dy, input_grad=False)
    assert none_dx is None and dx.shape == x.shape
    for a, b in zip(as_list(d0), as_list(d0_again)):
        np.testing.assert_array_equal(a, b)
    for name, p in layer.named_parameters():
        assert once[name].any()
        np.testing.assert_allclose(p.grad, 2 * once[name], rtol=1e-14)
    layer(x)  # no initial state given: dL/dx alone, or None
    assert layer.backward(dy, input_grad=False) is None


@pytest.mark.parametrize(("label", "cls", "kw"), KINDS, ids=[k[0] for k in KINDS])
def test_the_return_value_follows_whether_an_initial_state_was_given(label, cls, kw):
    layer = make(cls, kw)
    x, dy = normal(5, 2, 3), normal(5, 2, 4, seed=1)
    layer(x)
    assert isinstance(layer.backward(dy), np.ndarray)
    layer(x, None)
    assert isinstance(layer.backward(dy), np.ndarray)
    layer(x, states(cls, 1, 2))
    dx, d0 = layer.backward(dy)
    assert dx.shape == x.shape
    if cls is LSTM:
        assert isinstance(d0, tuple) and [d.shape for d in d0] == [(1, 2, 4), (1, 2, 4)]
    else:
        assert d0.shape == (1, 2, 4)


def test_the_lstm_state_may_be_a_list():
    lstm = make(LSTM, {})
    x, (h0, c0) = normal(5, 2, 3), states(LSTM, 1, 2)
    out, state = lstm(x, [h0, c0])
    np.testing.assert_array_equal(out, lstm(x, (h0, c0))[0])
    dx, (dh0, dc0) = lstm.backward(None, [np.ones((1, 2, 4)), None])
    assert dx.shape == x.shape and dh0.shape == dc0.shape == (1, 2, 4)


def test_zero_initial_state_gives_the_same_gradients_as_none():
    lstm = make(LSTM, {}, num_layers=2)
    x, dy = normal(5, 2, 3), normal(5, 2, 4, seed=1)
    lstm(x)
    dx = lstm.backward(dy)
    grads = [p.grad.copy() for p in lstm.parameters()]
    lstm.zero_grad()
    lstm(x, (np.zeros((2, 2, 4)), np.zeros((2, 2, 4))))
    dx_given, _ = lstm.backward(dy)
    np.testing.assert_array_equal(dx, dx_given)
    for a, p in zip(grads, lstm.parameters()):
        np.testing.assert_array_equal(a, p.grad)


def test_forward_and_backward_leave_their_arguments_unchanged():
    lstm = make(LSTM, {}, num_layers=2)
    x, h0, c0 = normal(5, 2, 3), normal(2, 2, 4), normal(2, 2, 4, seed=1)
    dy, dh, dc = normal(5, 2, 4, seed=2), normal(2, 2, 4, seed=3), normal(2, 2, 4, seed=4)
    args = [x, h0, c0, dy, dh, dc]
    copies = [a.copy() for a in args]
    lstm(x, (h0, c0))
    lstm.backward(dy, (dh, dc))
    for a, b in zip(args, copies):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("label", "cls", "kw"), KINDS, ids=[k[0] for k in KINDS])
def test_grad_h_n_reaches_only_the_layer_it_belongs_to(label, cls, kw):
    """With only the first layer's grad_h_n non-zero, the second layer's weights get no gradient."""
    layer = make(cls, kw, num_layers=2)
    layer(normal(5, 2, 3))
    dh = np.zeros((2, 2, 4))
    dh[0] = 1.0
    layer.backward(None, (dh, None) if cls is LSTM else dh)
    assert layer.weight_ih_l0.grad.any()
    assert not layer.weight_ih_l1.grad.any() and not layer.weight_hh_l1.grad.any()


def test_backward_before_forward_and_twice():
    gru = GRU(3, 4)
    with pytest.raises(RuntimeError, match=r"GRU\(3, 4\): backward called before forward"):
        gru.backward(np.zeros((5, 2, 4)))
    out, _ = gru(np.zeros((5, 2, 3)))
    gru.backward(out)
    with pytest.raises(RuntimeError, match="backward called a second time"):
        gru.backward(out)


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: LSTM(3, 4)(np.zeros((5, 2, 2))),
            ValueError,
            r"LSTM\(3, 4\) expected input of shape \(L, N, H_in\) or \(L, H_in\) with H_in=3 and L >= 1, "
            r"got shape \(5, 2, 2\)",
        ),
        (
            lambda: GRU(3, 4, batch_first=True)(np.zeros((2, 5, 3, 1))),
            ValueError,
            r"GRU\(3, 4\) expected input of shape \(N, L, H_in\) or \(L, H_in\)",
        ),
        (lambda: RNN(3, 4)(np.zeros(3)), ValueError, r"RNN\(3, 4\) expected input of shape \(L, N, H_in\)"),
        (lambda: RNN(3, 4)(np.zeros((0, 2, 3))), ValueError, r"and L >= 1, got shape \(0, 2, 3\)"),
        (lambda: RNN(3, 4, batch_first=True)(np.zeros((2, 0, 3))), ValueError, r"L >= 1, got shape \(2, 0, 3\)"),
        (
            lambda: RNN(3, 4, num_layers=2)(np.zeros((5, 2, 3)), np.zeros((1, 2, 4))),
            ValueError,
            r"RNN\(3, 4, num_layers=2\) expected h0 of shape \(2, 2, 4\), got shape \(1, 2, 4\)",
        ),
        (
            lambda: GRU(3, 4)(np.zeros((5, 2, 3)), np.zeros((1, 4))),
            ValueError,
            r"GRU\(3, 4\) expected h0 of shape \(1, 2, 4\), got shape \(1, 4\)",
        ),
        (
            lambda: GRU(3, 4)(np.zeros((5, 3)), np.zeros((1, 1, 4))),
            ValueError,
            r"GRU\(3, 4\) expected h0 of shape \(1, 4\), got shape \(1, 1, 4\)",  # unbatched input, unbatched state
        ),
        (
            lambda: LSTM(3, 4)(np.zeros((5, 2, 3)), (np.zeros((1, 2, 4)), np.zeros((1, 3, 4)))),
            ValueError,
            r"LSTM\(3, 4\) expected c0 of shape \(1, 2, 4\), got shape \(1, 3, 4\)",
        ),
        (
            lambda: LSTM(3, 4)(np.zeros((5, 2, 3)), np.zeros((1, 2, 4))),
            TypeError,
            r"LSTM\(3, 4\) expected hx to be a pair \(h0, c0\) or None, got ndarray",
        ),
        (lambda: RNN(3, 4)(np.zeros((5, 2, 3)), np.array([["a"]])), TypeError, "expected a real-valued numeric h0"),
        (lambda: RNN(3, 4, nonlinearity="sigmoid"), ValueError, "RNN expected nonlinearity 'tanh' or 'relu', got"),
        (lambda: LSTM(3, 4, num_layers=2, dropout=0.2), ValueError, r"LSTM: dropout between layers is not implemented"),
        (lambda: GRU(3, 4, dropout=1.5), ValueError, r"GRU expected dropout to be a real number in \[0, 1\]"),
        (lambda: LSTM(3, 4, num_layers=0), ValueError, "LSTM expected num_layers to be an integer >= 1, got 0"),
        (lambda: GRU(0, 4), ValueError, "GRU expected input_size to be an integer >= 1"),
        (lambda: RNN(3, 4.0), TypeError, "RNN expected hidden_size to be an integer >= 1"),
    ],
)
def test_errors_name_the_layer_what_it_expected_and_what_it_got(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_dropout_zero_is_accepted():
    assert LSTM(3, 4, num_layers=2, dropout=0.0).dropout == 0.0
    assert RNN(3, 4, 2, "tanh", True, False, 0).num_layers == 2  # PyTorch's positional order


@pytest.mark.parametrize(
    ("cls", "batch_first", "grads", "message"),
    [
        (GRU, False, (np.zeros((2, 5, 4)), None), r"GRU\(3, 4\).backward expected grad_output of shape \(5, 2, 4\)"),
        (RNN, True, (np.zeros((5, 2, 4)), None), r"RNN\(3, 4\).backward expected grad_output of shape \(2, 5, 4\)"),
        (RNN, False, (None, np.zeros((2, 4))), r"expected grad_h_n of shape \(1, 2, 4\), got shape \(2, 4\)"),
        (LSTM, False, (None, (None, np.zeros((1, 2, 5)))), r"LSTM\(3, 4\).backward expected grad_c_n of shape"),
        (LSTM, False, (None, (np.zeros((1, 1, 4)), None)), r"expected grad_h_n of shape \(1, 2, 4\)"),
        (LSTM, False, (None, np.zeros((1, 2, 4))), r"expected grad_h_n to be a pair \(grad_h_n, grad_c_n\) or None"),
        (GRU, False, (None, None), r"GRU\(3, 4\).backward got no gradient: grad_output and grad_h_n are None"),
        (LSTM, False, (None, (None, None)), r"got no gradient: grad_output and grad_h_n and grad_c_n are None"),
    ],
)
def test_backward_shape_errors(cls, batch_first, grads, message):
    layer = cls(3, 4, batch_first=batch_first)
    layer(np.zeros((2, 5, 3)) if batch_first else np.zeros((5, 2, 3)))
    with pytest.raises((ValueError, TypeError), match=message):
        layer.backward(*grads)


# --- PyTorch as the oracle ---------------------------------------------------------------------------

GRAD_MODES = ["both", "output only", "h_n only"]
ORACLE = [
    (*kind, layers, bf, mode)
    for kind, layers, bf, mode in itertools.product(KINDS, [1, 2], [False, True], GRAD_MODES + ["c_n only"])
    if mode != "c_n only" or kind[1] is LSTM
]


def torch_twin(torch, layer, cls, kw):
    ref = getattr(torch.nn, cls.__name__)(
        layer.input_size, layer.hidden_size, num_layers=layer.num_layers, batch_first=layer.batch_first, **kw
    ).double()
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    return ref


def oracle_gradients(shapes, mode, seed):
    """Random gradients for the outputs that ``mode`` uses, ``None`` for the others."""
    out_shape, state_shapes = shapes
    dy = normal(*out_shape, seed=seed) if mode in ("both", "output only") else None
    d_state = [
        normal(*s, seed=seed + 1 + j) if mode == "both" or mode == f"{name} only" else None
        for j, (s, name) in enumerate(zip(state_shapes, ("h_n", "c_n")))
    ]
    return dy, d_state


@pytest.mark.parametrize(
    ("label", "cls", "kw", "num_layers", "batch_first", "mode"),
    ORACLE,
    ids=[f"{o[0]}-{o[3]}layer-{'bf' if o[4] else 'tm'}-{o[5]}" for o in ORACLE],
)
def test_matches_torch(torch, label, cls, kw, num_layers, batch_first, mode):
    layer = make(cls, kw, input_size=3, hidden_size=5, num_layers=num_layers, batch_first=batch_first)
    ref = torch_twin(torch, layer, cls, kw)
    x = normal(4, 6, 3) if batch_first else normal(6, 4, 3)
    hx = states(cls, num_layers, 4, hidden_size=5)
    out, state = layer(x, hx)
    xt = torch.tensor(x, requires_grad=True)
    hxt = [torch.tensor(s, requires_grad=True) for s in as_list(hx)]
    out_t, state_t = ref(xt, tuple(hxt) if cls is LSTM else hxt[0])
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12, atol=1e-13)
    for a, b in zip(as_list(state), as_list(state_t)):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-12, atol=1e-13)

    dy, d_state = oracle_gradients((out.shape, [s.shape for s in as_list(state)]), mode, seed=1)
    dx, d0 = layer.backward(dy, tuple(d_state) if cls is LSTM else d_state[0])
    pairs = [(t, g) for t, g in zip([out_t, *as_list(state_t)], [dy, *d_state]) if g is not None]
    torch.autograd.backward([t for t, _ in pairs], [torch.from_numpy(g) for _, g in pairs])
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-13)
    for a, b in zip(as_list(d0), hxt):
        np.testing.assert_allclose(a, b.grad.numpy(), rtol=1e-10, atol=1e-13)
    torch_params = dict(ref.named_parameters())
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad, torch_params[name].grad.numpy(), rtol=1e-10, atol=1e-13, err_msg=name)
    assert repr(layer) == repr(ref)


@pytest.mark.parametrize(("label", "cls", "kw"), KINDS, ids=[k[0] for k in KINDS])
def test_matches_torch_unbatched_and_without_initial_state(torch, label, cls, kw):
    layer = make(cls, kw, hidden_size=5, num_layers=2, bias=False)
    ref = getattr(torch.nn, cls.__name__)(3, 5, num_layers=2, bias=False, **kw).double()
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    x, dy = normal(6, 3), normal(6, 5, seed=1)
    out = layer(x)[0]
    dx = layer.backward(dy)
    xt = torch.tensor(x, requires_grad=True)
    out_t = ref(xt)[0]
    out_t.backward(torch.from_numpy(dy))
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-13)
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad, dict(ref.named_parameters())[name].grad.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(("label", "cls", "kw"), KINDS, ids=[k[0] for k in KINDS])
def test_a_torch_state_dict_loads_unchanged(torch, label, cls, kw):
    torch.manual_seed(0)
    ref = getattr(torch.nn, cls.__name__)(3, 8, num_layers=2, batch_first=True, **kw)
    layer = cls(3, 8, num_layers=2, batch_first=True, **kw)
    assert list(layer.state_dict()) == list(ref.state_dict())
    layer.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    x = normal(4, 7, 3).astype(np.float32)
    out, state = layer(x)
    with torch.no_grad():
        out_t, state_t = ref(torch.from_numpy(x))
    np.testing.assert_allclose(out, out_t.numpy(), rtol=1e-5, atol=1e-6)
    for a, b in zip(as_list(state), as_list(state_t)):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-5, atol=1e-6)


def test_deepcopy_gives_an_independent_layer():
    a = LSTM(3, 4, rng=0)
    b = copy.deepcopy(a)
    b.weight_hh_l0.data += 1
    x = normal(5, 2, 3)
    assert not np.allclose(a(x)[0], b(x)[0])
