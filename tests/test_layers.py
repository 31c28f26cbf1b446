"""Tests for nnkit/layers.py: Linear, Dropout, Flatten."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nnkit
from nnkit.gradcheck import gradcheck, rel_error


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


# --- Linear ----------------------------------------------------------------------------


def test_linear_shapes_and_formula():
    layer = nnkit.Linear(3, 4, rng=0)
    assert layer.weight.shape == (4, 3) and layer.bias.shape == (4,)
    x = normal(5, 3).astype(np.float32)
    y = layer(x)
    assert y.shape == (5, 4) and y.dtype == np.float32
    np.testing.assert_allclose(y, x @ layer.weight.data.T + layer.bias.data, rtol=1e-6)


def test_linear_default_init_is_pytorchs_uniform_bound():
    layer = nnkit.Linear(400, 300, rng=1)
    bound = 1 / np.sqrt(400)
    for p in (layer.weight.data, layer.bias.data):
        assert np.abs(p).max() <= bound
        assert np.abs(p).max() > 0.95 * bound
    assert layer.weight.dtype == np.float32


def test_linear_without_bias():
    layer = nnkit.Linear(3, 2, bias=False, rng=0)
    assert layer.bias is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    x = normal(4, 3)
    np.testing.assert_allclose(layer(x), x.astype(np.float32) @ layer.weight.data.T, rtol=1e-6)
    assert gradcheck(layer, x).ok


def test_linear_backward_formula_and_accumulation():
    layer = nnkit.Linear(3, 2, rng=0).to(np.float64)
    x, dy = normal(5, 3), normal(5, 2, seed=1)
    layer(x)
    dx = layer.backward(dy, retain_graph=True)
    np.testing.assert_allclose(dx, dy @ layer.weight.data)
    np.testing.assert_allclose(layer.weight.grad, dy.T @ x)
    np.testing.assert_allclose(layer.bias.grad, dy.sum(0))
    layer.backward(dy)  # a second backward (allowed by retain_graph=True) adds
    np.testing.assert_allclose(layer.weight.grad, 2 * dy.T @ x)
    np.testing.assert_allclose(layer.bias.grad, 2 * dy.sum(0))


def test_linear_skips_input_grad_when_asked():
    layer = nnkit.Linear(3, 2, rng=0)
    layer(normal(4, 3))
    assert layer.backward(np.ones((4, 2), np.float32), input_grad=False) is None
    assert np.abs(layer.weight.grad).sum() > 0


def test_linear_gradcheck_float64():
    report = gradcheck(nnkit.Linear(4, 3, rng=0), normal(6, 4))
    assert report.ok, str(report)
    assert set(report.errors) == {"input", "weight", "bias"}


def test_linear_accepts_leading_dims():
    layer = nnkit.Linear(3, 2, rng=0)
    x = normal(2, 5, 3)
    assert layer(x).shape == (2, 5, 2)
    assert gradcheck(layer, x).ok


def test_linear_casts_input_to_its_dtype_and_does_not_mutate_it():
    layer = nnkit.Linear(3, 2, rng=0)
    x = normal(4, 3)
    x_before = x.copy()
    y = layer(x)
    assert y.dtype == np.float32
    layer.backward(np.ones_like(y))
    np.testing.assert_array_equal(x, x_before)


def test_linear_shape_error_names_the_layer():
    with pytest.raises(ValueError, match=r"^Linear\(3 -> 4\) expected input with 3 features, got shape \(2, 5\)$"):
        nnkit.Linear(3, 4)(np.zeros((2, 5)))


def test_linear_backward_shape_error():
    layer = nnkit.Linear(3, 4)
    layer(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"Linear\(3 -> 4\)\.backward expected grad_output of shape \(2, 4\)"):
        layer.backward(np.zeros((2, 3)))


def test_linear_backward_before_forward():
    with pytest.raises(RuntimeError, match=r"Linear\(3 -> 4\): backward called before forward"):
        nnkit.Linear(3, 4).backward(np.zeros((1, 4)))


def test_linear_rejects_bad_sizes():
    with pytest.raises(ValueError, match=r"^Linear expected in_features to be an integer >= 1, got 0$"):
        nnkit.Linear(0, 4)
    with pytest.raises(ValueError, match=r"^Linear expected out_features to be an integer >= 1, got -2$"):
        nnkit.Linear(3, -2)


def test_linear_matches_torch(torch):
    layer = nnkit.Linear(5, 3, rng=0).to(np.float64)
    ref = torch.nn.Linear(5, 3).double()
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.weight.data))
        ref.bias.copy_(torch.from_numpy(layer.bias.data))
    x, dy = normal(7, 5), normal(7, 3, seed=2)
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    yt.backward(torch.from_numpy(dy))
    np.testing.assert_allclose(layer(x), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.backward(dy), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, ref.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, ref.bias.grad.numpy(), rtol=1e-12)


# --- Dropout ---------------------------------------------------------------------------


def test_dropout_p_is_the_drop_probability_and_scales_survivors():
    drop = nnkit.Dropout(0.3, rng=0)
    x = np.ones((200, 500), np.float32)
    y = drop(x)
    assert abs((y == 0).mean() - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.01  # inverted dropout keeps the expectation
    assert y.dtype == np.float32


def test_dropout_backward_uses_the_same_mask():
    drop = nnkit.Dropout(0.5, rng=0)
    y = drop(np.ones((10, 10)))
    dx = drop.backward(np.ones((10, 10)))
    np.testing.assert_array_equal(dx, y)


def test_dropout_gradcheck_in_training_mode():
    assert gradcheck(nnkit.Dropout(0.4, rng=3), normal(5, 6)).ok


@settings(max_examples=30, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 5)), elements=st.floats(-1e6, 1e6)), st.floats(0, 1)
)
def test_dropout_is_identity_in_eval_mode(x, p):
    drop = nnkit.Dropout(p, rng=0).eval()
    np.testing.assert_array_equal(drop(x), x)
    np.testing.assert_array_equal(drop.backward(np.ones_like(x)), np.ones_like(x))


def test_dropout_extremes():
    x = normal(4, 4)
    np.testing.assert_array_equal(nnkit.Dropout(0.0)(x), x)
    np.testing.assert_array_equal(nnkit.Dropout(1.0)(x), np.zeros_like(x))


def test_dropout_same_seed_same_mask_and_manual_seed():
    x = np.ones((8, 8))
    np.testing.assert_array_equal(nnkit.Dropout(0.5, rng=7)(x), nnkit.Dropout(0.5, rng=7)(x))
    drop = nnkit.Dropout(0.5)  # built before the seed: follows nnkit's default generator
    nnkit.manual_seed(11)
    a = drop(x)
    nnkit.manual_seed(11)
    np.testing.assert_array_equal(drop(x), a)


def test_dropout_does_not_touch_numpys_global_rng():
    state = np.random.get_state()[1].copy()
    nnkit.Dropout(0.5)(np.ones(100))
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_dropout_rejects_bad_p():
    with pytest.raises(
        ValueError, match=r"^Dropout expected the drop probability p to be a real number in \[0, 1\], got 1\.5$"
    ):
        nnkit.Dropout(1.5)
    with pytest.raises(
        ValueError, match=r"^Dropout expected the drop probability p to be a real number in \[0, 1\], got nan$"
    ):
        nnkit.Dropout(float("nan"))


def test_dropout_backward_before_forward():
    with pytest.raises(RuntimeError, match="Dropout: backward called before forward"):
        nnkit.Dropout(0.5).backward(np.ones(3))


def test_dropout_matches_torch_in_eval_and_in_expectation(torch):
    x = normal(3, 4)
    ref = torch.nn.Dropout(0.25).eval()
    np.testing.assert_array_equal(nnkit.Dropout(0.25).eval()(x), ref(torch.from_numpy(x)).numpy())
    ys = torch.nn.Dropout(0.25)(torch.ones(1000, 100)).numpy()
    np.testing.assert_allclose(np.unique(ys), np.unique(nnkit.Dropout(0.25, rng=0)(np.ones((10, 10)))), rtol=1e-6)


# --- Flatten -----------------------------------------------------------------------------


def test_flatten_forward_backward():
    flat = nnkit.Flatten()
    x = normal(2, 3, 4)
    y = flat(x)
    assert y.shape == (2, 12)
    assert flat.backward(np.ones_like(y)).shape == (2, 3, 4)
    assert gradcheck(flat, x).ok
    assert nnkit.Flatten(0)(x).shape == (24,)


def test_flatten_backward_before_forward():
    with pytest.raises(RuntimeError, match="Flatten: backward called before forward"):
        nnkit.Flatten().backward(np.ones((2, 3)))


def test_flatten_matches_torch(torch):
    x = normal(2, 3, 4, 5)
    for start, end in [(1, -1), (0, 1), (2, 3)]:
        got = nnkit.Flatten(start, end)(x)
        np.testing.assert_array_equal(got, torch.nn.Flatten(start, end)(torch.from_numpy(x)).numpy())


def test_layers_survive_deepcopy():
    layer = nnkit.Linear(2, 2, rng=0)
    clone = copy.deepcopy(layer)
    clone.weight.data += 1
    assert rel_error(layer.weight.data + 1, clone.weight.data) < 1e-7


# --- argument types, one backward per forward, dtypes ---------------------------------------


def test_arguments_of_the_wrong_type_get_clear_errors():
    # these used to raise raw TypeErrors from inside (or, for 2.5, to build a layer of 2 inputs)
    with pytest.raises(
        TypeError,
        match=r"^Dropout expected the drop probability p to be a real number in \[0, 1\], got '0\.5' \(str\)$",
    ):
        nnkit.Dropout(p="0.5")
    with pytest.raises(TypeError, match=r"^Linear expected in_features to be an integer >= 1, got 2\.5 \(float\)$"):
        nnkit.Linear(2.5, 3)
    with pytest.raises(TypeError, match=r"^Linear expected out_features to be an integer >= 1, got '3' \(str\)$"):
        nnkit.Linear(2, "3")
    with pytest.raises(TypeError, match=r"^Flatten expected start_dim to be an integer, got 1\.5 \(float\)$"):
        nnkit.Flatten(start_dim=1.5)
    with pytest.raises(TypeError, match=r"^Linear\(2 -> 3\) expected a real-valued numeric input, got dtype <U1$"):
        nnkit.Linear(2, 3)(np.array([["a", "b"]]))


LAYERS = [
    ("Linear", lambda: nnkit.Linear(3, 2, rng=0), (4, 3), (4, 2)),
    ("Dropout", lambda: nnkit.Dropout(0.5, rng=0), (4, 3), (4, 3)),
    ("Dropout(eval)", lambda: nnkit.Dropout(0.5, rng=0).eval(), (4, 3), (4, 3)),
    ("Flatten", lambda: nnkit.Flatten(), (4, 3, 2), (4, 6)),
]


@pytest.mark.parametrize(("make", "x_shape", "y_shape"), [m[1:] for m in LAYERS], ids=[m[0] for m in LAYERS])
def test_a_second_backward_after_one_forward_is_refused(make, x_shape, y_shape):
    # it used to add the same gradients a second time, silently
    layer = make()
    layer(normal(*x_shape))
    dy = np.ones(y_shape, np.float32)
    layer.backward(dy)
    name = layer._name().replace("(", "\\(").replace(")", "\\)")
    with pytest.raises(
        RuntimeError, match=rf"^{name}: backward called a second time after one forward; .*retain_graph=True"
    ):
        layer.backward(dy)
    with pytest.raises(RuntimeError, match="backward called a second time"):
        layer.saved_tensors  # freed: the memory is released
    layer(normal(*x_shape))  # a new forward allows a new backward
    layer.backward(dy)


def test_retain_graph_keeps_the_saved_input_and_gradients_accumulate():
    layer = nnkit.Linear(3, 2, rng=0).to(np.float64)
    x, dy = normal(5, 3), normal(5, 2, seed=1)
    layer(x)
    for _ in range(3):
        layer.backward(dy, retain_graph=True)
    np.testing.assert_array_equal(layer.saved_tensors[0], x)
    layer.backward(dy)
    np.testing.assert_allclose(layer.weight.grad, 4 * dy.T @ x)
    assert layer._saved_tensors is None  # the last backward freed the input


def test_a_subclass_that_overrides_backward_still_reads_x_and_is_guarded():
    # chapter 4 writes its own Linear.backward and reads the input as self._x
    class MyLinear(nnkit.Linear):
        def backward(self, grad_output, *, input_grad=True):
            self.weight.grad += grad_output.T @ self._x
            self.bias.grad += grad_output.sum(axis=0)
            return grad_output @ self.weight.data

    layer = MyLinear(3, 2, rng=0).to(np.float64)
    x = normal(4, 3)
    layer(x)
    layer.backward(np.ones((4, 2)))
    np.testing.assert_allclose(layer.weight.grad, np.ones((4, 2)).T @ x)
    with pytest.raises(RuntimeError, match=r"^Linear\(3 -> 2\): backward called a second time"):
        layer.backward(np.ones((4, 2)))
    assert gradcheck(MyLinear(3, 2, rng=0), x).ok


def test_integer_input_becomes_the_default_dtype_in_every_layer():
    # the one dtype rule: Linear gave float32 for integers, but Dropout gave float64
    x = np.arange(12).reshape(4, 3)
    assert nnkit.Linear(3, 2, rng=0)(x).dtype == np.float32
    assert nnkit.Dropout(0.5, rng=0)(x).dtype == np.float32
    assert nnkit.Dropout(0.5, rng=0).eval()(x).dtype == np.float32
    assert nnkit.Flatten()(x).dtype == np.float32
    assert nnkit.Linear(3, 2, rng=0, dtype=np.float64)(x).dtype == np.float64  # a layer's own dtype wins
    assert nnkit.Dropout(0.5, rng=0)(x.astype(np.float64)).dtype == np.float64  # floats keep theirs
