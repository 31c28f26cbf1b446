"""Tests for nnkit/init.py: calculate_gain and the in-place initializers.

Statistics are checked on large tensors (262,144 entries, so the empirical std is within
about 0.3% of the true one; we allow 2%). PyTorch's formulas are the optional oracle.
"""

import math
import re

import numpy as np
import pytest

import nnkit
from nnkit import init

# --- calculate_gain ------------------------------------------------------------------------

HAND_GAINS = [
    ("linear", None, 1.0),
    ("conv1d", None, 1.0),
    ("conv2d", None, 1.0),
    ("conv3d", None, 1.0),
    ("conv_transpose1d", None, 1.0),
    ("conv_transpose2d", None, 1.0),
    ("conv_transpose3d", None, 1.0),
    ("sigmoid", None, 1.0),
    ("tanh", None, 5.0 / 3),
    ("relu", None, math.sqrt(2.0)),
    ("leaky_relu", None, math.sqrt(2.0 / (1 + 0.01**2))),
    ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04)),
    ("leaky_relu", 0, math.sqrt(2.0)),
    ("leaky_relu", 1, 1.0),
    ("leaky_relu", math.sqrt(5), math.sqrt(1.0 / 3)),
    ("selu", None, 0.75),
]


@pytest.mark.parametrize(("name", "param", "expected"), HAND_GAINS)
def test_calculate_gain_hand_values(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(("name", "param", "expected"), HAND_GAINS)
def test_calculate_gain_matches_torch(torch, name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param), rel=1e-15)


def test_calculate_gain_ignores_param_for_other_nonlinearities():
    assert init.calculate_gain("relu", 0.5) == math.sqrt(2.0)
    assert init.calculate_gain("tanh", 3) == 5.0 / 3


def test_calculate_gain_unknown_name():
    with pytest.raises(ValueError, match=r"^calculate_gain got an unsupported nonlinearity 'swish'$"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'ReLU'"):  # names are lower case
        init.calculate_gain("ReLU")


@pytest.mark.parametrize("bad", ["0.2", True, [0.2]])
def test_calculate_gain_bad_negative_slope(bad):
    with pytest.raises(ValueError, match=r"calculate_gain expected a number for negative_slope, got"):
        init.calculate_gain("leaky_relu", bad)


# --- common behaviour of every initializer ------------------------------------------------------

# name -> a call taking (tensor, rng); rng-free fillers ignore the rng
INITS = {
    "uniform_": lambda t, rng: init.uniform_(t, -2.0, 3.0, rng=rng),
    "normal_": lambda t, rng: init.normal_(t, 1.0, 2.0, rng=rng),
    "xavier_uniform_": lambda t, rng: init.xavier_uniform_(t, gain=1.5, rng=rng),
    "xavier_normal_": lambda t, rng: init.xavier_normal_(t, rng=rng),
    "kaiming_uniform_": lambda t, rng: init.kaiming_uniform_(t, a=0.1, rng=rng),
    "kaiming_normal_": lambda t, rng: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu", rng=rng),
}
FILLERS = {
    "zeros_": (init.zeros_, 0.0),
    "ones_": (init.ones_, 1.0),
    "constant_": (lambda t: init.constant_(t, -0.75), -0.75),
}


@pytest.mark.parametrize("name", INITS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_init_in_place_on_parameter(name, dtype):
    p = nnkit.Parameter(np.zeros((6, 5), dtype=dtype))
    data, grad = p.data, p.grad
    out = INITS[name](p, 0)
    assert out is p
    assert p.data is data and p.grad is grad
    assert p.data.shape == (6, 5) and p.data.dtype == dtype
    assert p.data.any()
    assert not p.grad.any()  # the gradient is not touched


@pytest.mark.parametrize("name", INITS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_random_init_in_place_on_ndarray(name, dtype):
    a = np.zeros((4, 3, 2), dtype=dtype)
    out = INITS[name](a, 0)
    assert out is a
    assert a.shape == (4, 3, 2) and a.dtype == dtype
    assert np.isfinite(a).all() and len(np.unique(a)) > 1


@pytest.mark.parametrize("name", INITS)
def test_float64_init_keeps_full_precision(name):
    a = INITS[name](np.empty((20, 10)), 0)
    assert not np.array_equal(a, a.astype(np.float32).astype(np.float64))  # not float32 draws in disguise


@pytest.mark.parametrize("name", INITS)
def test_random_init_writes_through_a_view(name):
    base = np.zeros((8, 6))
    view = base[:, ::2]
    assert INITS[name](view, 0) is view
    assert base[:, ::2].all() and not base[:, 1::2].any()


@pytest.mark.parametrize("name", FILLERS)
def test_fillers(name):
    fill, value = FILLERS[name]
    p = nnkit.Parameter(np.full((3, 4), 9.0, dtype=np.float32))
    data = p.data
    assert fill(p) is p and p.data is data
    assert p.data.dtype == np.float32
    np.testing.assert_array_equal(p.data, np.full((3, 4), value, dtype=np.float32))
    a = np.full(5, 9.0)  # 1-D is fine for the fillers
    assert fill(a) is a
    np.testing.assert_array_equal(a, np.full(5, value))


@pytest.mark.parametrize("name", INITS)
def test_int_seed_is_deterministic(name):
    a, b, c = np.empty((20, 10)), np.empty((20, 10)), np.empty((20, 10))
    INITS[name](a, 123)
    INITS[name](b, 123)
    INITS[name](c, 124)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("name", INITS)
def test_generator_is_used_and_advanced(name):
    a, b = np.empty((20, 10)), np.empty((20, 10))
    INITS[name](a, np.random.default_rng(5))
    INITS[name](b, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    gen = np.random.default_rng(5)
    INITS[name](a, gen)
    INITS[name](b, gen)  # the same generator continues its stream
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("name", INITS)
def test_none_uses_nnkits_default_generator(name):
    a, b = np.empty((20, 10)), np.empty((20, 10))
    nnkit.manual_seed(11)
    INITS[name](a, None)
    nnkit.manual_seed(11)
    INITS[name](b, None)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", INITS)
def test_global_numpy_random_state_is_untouched(name):
    np.random.seed(2024)
    before = np.random.get_state()
    for rng in (None, 3, np.random.default_rng(3)):
        INITS[name](np.empty((10, 10)), rng)
    after = np.random.get_state()
    assert before[0] == after[0]
    np.testing.assert_array_equal(before[1], after[1])
    assert before[2:] == after[2:]


@pytest.mark.parametrize("name", INITS)
def test_bad_rng(name):
    with pytest.raises(TypeError, match=r"rng expected a numpy.random.Generator, an int seed or None, got str"):
        INITS[name](np.empty((3, 3)), "seed")


# --- statistics ----------------------------------------------------------------------------------

SHAPE = (256, 1024)  # fan_in = 1024, fan_out = 256: the two modes differ by a factor of 2


def check_uniform(a, bound):
    assert np.abs(a).max() <= bound
    assert np.abs(a).max() > 0.99 * bound
    assert a.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert abs(a.mean()) < 0.02 * bound


def check_normal(a, std):
    assert a.std() == pytest.approx(std, rel=0.02)
    assert abs(a.mean()) < 0.02 * std
    # a normal, not a uniform: about 4.6% of draws lie beyond 2 std
    assert np.mean(np.abs(a) > 2 * std) == pytest.approx(0.0455, abs=0.005)


def test_uniform_statistics():
    a = init.uniform_(np.empty(SHAPE), -2.0, 3.0, rng=0)
    assert a.min() >= -2.0 and a.max() < 3.0
    assert a.min() < -1.99 and a.max() > 2.99
    assert a.mean() == pytest.approx(0.5, abs=0.02)
    assert a.std() == pytest.approx(5 / math.sqrt(12), rel=0.02)
    b = init.uniform_(np.empty(SHAPE), rng=0)  # default U(0, 1)
    assert b.min() >= 0.0 and b.max() < 1.0 and b.mean() == pytest.approx(0.5, abs=0.01)


def test_normal_statistics():
    a = init.normal_(np.empty(SHAPE), mean=1.0, std=2.0, rng=0)
    assert a.mean() == pytest.approx(1.0, abs=0.02)
    check_normal(a - 1.0, 2.0)
    b = init.normal_(np.empty(SHAPE), rng=0)  # default N(0, 1)
    check_normal(b, 1.0)


@pytest.mark.parametrize("gain", [1.0, 5.0 / 3])
def test_xavier_statistics(gain):
    fan_in, fan_out = 1024, 256
    check_uniform(init.xavier_uniform_(np.empty(SHAPE), gain=gain, rng=0), gain * math.sqrt(6 / (fan_in + fan_out)))
    check_normal(init.xavier_normal_(np.empty(SHAPE), gain=gain, rng=0), gain * math.sqrt(2 / (fan_in + fan_out)))


@pytest.mark.parametrize(
    ("a", "nonlinearity", "gain"),
    [
        (0.0, "leaky_relu", math.sqrt(2.0)),  # the defaults
        (0.2, "leaky_relu", math.sqrt(2 / 1.04)),
        (0.0, "relu", math.sqrt(2.0)),
        (0.0, "tanh", 5 / 3),
        (0.0, "linear", 1.0),
        (0.0, "selu", 0.75),
    ],
)
@pytest.mark.parametrize(("mode", "fan"), [("fan_in", 1024), ("fan_out", 256)])
def test_kaiming_statistics(a, nonlinearity, gain, mode, fan):
    std = gain / math.sqrt(fan)
    u = init.kaiming_uniform_(np.empty(SHAPE), a=a, mode=mode, nonlinearity=nonlinearity, rng=0)
    check_uniform(u, math.sqrt(3) * std)
    n = init.kaiming_normal_(np.empty(SHAPE), a=a, mode=mode, nonlinearity=nonlinearity, rng=0)
    check_normal(n, std)


def test_kaiming_defaults_are_fan_in_and_leaky_relu_with_slope_zero():
    a = init.kaiming_uniform_(np.empty(SHAPE), rng=0)
    b = init.kaiming_uniform_(np.empty(SHAPE), a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=0)
    np.testing.assert_array_equal(a, b)
    check_uniform(a, math.sqrt(2.0) * math.sqrt(3 / 1024))


def test_conv_kernel_uses_the_receptive_field():
    # (out_channels, in_channels, kh, kw): fan_in = 32 * 3 * 3 = 288, fan_out = 64 * 9 = 576
    shape = (64, 32, 3, 3)
    fan_in, fan_out = 288, 576
    assert init._calculate_fan_in_and_fan_out(np.empty(shape), "test") == (fan_in, fan_out)
    big = (128, 64, 5, 5)  # more entries for the statistics: fans 1600 and 3200
    check_uniform(init.kaiming_uniform_(np.empty(big), nonlinearity="relu", rng=0), math.sqrt(6 / 1600))
    check_normal(init.kaiming_normal_(np.empty(big), mode="fan_out", nonlinearity="relu", rng=0), math.sqrt(2 / 3200))
    check_uniform(init.xavier_uniform_(np.empty(big), rng=0), math.sqrt(6 / (1600 + 3200)))
    check_normal(init.xavier_normal_(np.empty(big), rng=0), math.sqrt(2 / (1600 + 3200)))


# --- errors --------------------------------------------------------------------------------------

FAN_INITS = ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]


@pytest.mark.parametrize("name", FAN_INITS)
@pytest.mark.parametrize("shape", [(5,), ()])
def test_fan_needs_two_dimensions(name, shape):
    a = np.zeros(shape)
    with pytest.raises(
        ValueError,
        match=rf"^{name} needs at least 2 dimensions to compute fan in and fan out, got shape {re.escape(str(shape))}$",
    ):
        INITS[name](a, 0)
    assert not a.any()  # nothing was written


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
@pytest.mark.parametrize("mode", ["fan_avg", "FAN_IN", ""])
def test_kaiming_bad_mode(name, mode):
    with pytest.raises(ValueError, match=rf"^{name} expected mode 'fan_in' or 'fan_out', got '{mode}'$"):
        getattr(init, name)(np.zeros((3, 3)), mode=mode)


def test_kaiming_unknown_nonlinearity():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'gelu'"):
        init.kaiming_normal_(np.zeros((3, 3)), nonlinearity="gelu")


ALL_CALLS = {**INITS, **{k: (lambda f: lambda t, rng: f(t))(v[0]) for k, v in FILLERS.items()}}


@pytest.mark.parametrize("name", ALL_CALLS)
@pytest.mark.parametrize("bad", [np.zeros((3, 3), dtype=np.int64), np.zeros((3, 3), dtype=bool), [[0.0, 1.0]]])
def test_non_float_input(name, bad):
    with pytest.raises(TypeError, match=rf"^{name} expected a Parameter or a float ndarray, got {type(bad).__name__}"):
        ALL_CALLS[name](bad, 0)


def test_non_float_error_names_the_dtype():
    with pytest.raises(TypeError, match=r"got ndarray of dtype int64$"):
        init.uniform_(np.zeros((3, 3), dtype=np.int64))


@pytest.mark.parametrize("name", ALL_CALLS)
@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0, 0), (4, 0, 3, 3)])
def test_zero_element_tensors_are_a_no_op(name, shape):
    a = np.empty(shape)
    assert ALL_CALLS[name](a, 0) is a


# --- PyTorch oracle ------------------------------------------------------------------------------

FAN_SHAPES = [(3, 5), (5, 3), (2, 3, 4), (8, 4, 3, 3), (6, 2, 3, 4, 5), (1, 1)]


@pytest.mark.parametrize("shape", FAN_SHAPES)
def test_fans_match_torch(torch, shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(np.empty(shape), "test") == tuple(expected)
    assert init._calculate_fan_in_and_fan_out(nnkit.Parameter(np.empty(shape)), "test") == tuple(expected)


def torch_bound_and_std(torch, name, shape, **kw):
    """The uniform bound / normal std that torch.nn.init's own formulas give."""
    t = torch.empty(shape)
    if name.startswith("xavier"):
        fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(t)
        std = kw.get("gain", 1.0) * math.sqrt(2.0 / (fan_in + fan_out))
    else:
        fan = torch.nn.init._calculate_correct_fan(t, kw.get("mode", "fan_in"))
        std = torch.nn.init.calculate_gain(kw.get("nonlinearity", "leaky_relu"), kw.get("a", 0)) / math.sqrt(fan)
    return math.sqrt(3.0) * std, std


TORCH_CASES = [
    ("xavier_uniform_", (200, 300), {}),
    ("xavier_uniform_", (64, 32, 3, 3), {"gain": 5 / 3}),
    ("xavier_normal_", (300, 200), {"gain": math.sqrt(2)}),
    ("xavier_normal_", (32, 64, 5, 5), {}),
    ("kaiming_uniform_", (200, 400), {}),
    ("kaiming_uniform_", (400, 200), {"a": math.sqrt(5)}),
    ("kaiming_uniform_", (64, 32, 3, 3), {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", (200, 400), {"nonlinearity": "tanh"}),
    ("kaiming_normal_", (32, 64, 5, 5), {"mode": "fan_out", "a": 0.3}),
    ("kaiming_normal_", (128, 256, 7), {"nonlinearity": "selu"}),
]


@pytest.mark.parametrize(("name", "shape", "kw"), TORCH_CASES)
def test_distribution_matches_torch(torch, name, shape, kw):
    bound, std = torch_bound_and_std(torch, name, shape, **kw)
    a = getattr(init, name)(np.empty(shape), **kw, rng=0)
    t = getattr(torch.nn.init, name)(torch.empty(shape, dtype=torch.float64), **kw).numpy()
    assert a.std() == pytest.approx(std, rel=0.03)
    assert a.std() == pytest.approx(t.std(), rel=0.05)
    if name.endswith("uniform_"):
        assert np.abs(a).max() <= bound and np.abs(t).max() <= bound
        assert np.abs(a).max() > 0.98 * bound


# --- Linear's default initialization --------------------------------------------------------------


def test_linear_default_init_bounds():
    layer = nnkit.Linear(400, 500, rng=0, dtype=np.float64)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
    w = layer.weight.data
    assert np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert np.abs(layer.bias.data).max() > 0.9 * bound
    # the same as PyTorch's kaiming_uniform_(a=sqrt(5)): gain sqrt(1/3) * sqrt(3 / fan_in) = 1 / sqrt(fan_in)
    a = init.kaiming_uniform_(np.empty((500, 400)), a=math.sqrt(5), rng=0)
    assert np.abs(a).max() <= bound and np.abs(a).max() > 0.99 * bound


def test_linear_default_init_matches_torch_bound(torch):
    tlayer = torch.nn.Linear(400, 500)
    bound = 1 / math.sqrt(400)
    assert tlayer.weight.abs().max().item() <= bound and tlayer.bias.abs().max().item() <= bound
    w = nnkit.Linear(400, 500, rng=0).weight.data
    assert w.std() == pytest.approx(tlayer.weight.detach().numpy().std(), rel=0.03)


def test_linear_init_reproducible_with_manual_seed():
    nnkit.manual_seed(7)
    a = nnkit.Linear(5, 3)
    nnkit.manual_seed(7)
    b = nnkit.Linear(5, 3)
    c = nnkit.Linear(5, 3)  # the generator moved on
    nnkit.manual_seed(8)
    d = nnkit.Linear(5, 3)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(b.weight.data, c.weight.data)
    assert not np.array_equal(a.weight.data, d.weight.data)
    e, f = nnkit.Linear(5, 3, rng=1), nnkit.Linear(5, 3, rng=1)
    np.testing.assert_array_equal(e.weight.data, f.weight.data)
