"""Tests for nnkit/normalization.py: BatchNorm1d, BatchNorm2d and LayerNorm."""

import numpy as np
import pytest

import nnkit
from nnkit.gradcheck import gradcheck


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def batch(shape, step):
    """A batch whose mean and spread change from step to step, so the running statistics move."""
    return normal(*shape, seed=step) * (1 + step) + np.linspace(-1, 2, shape[1]).reshape(-1, *[1] * (len(shape) - 2))


# (class, input shape): BatchNorm1d on (N, C) and (N, C, L), BatchNorm2d on (N, C, H, W)
CASES = [(nnkit.BatchNorm1d, (6, 3)), (nnkit.BatchNorm1d, (4, 3, 5)), (nnkit.BatchNorm2d, (3, 3, 4, 2))]
CASE_IDS = ["1d-NC", "1d-NCL", "2d-NCHW"]


def axes_of(x):
    return (0, *range(2, x.ndim))


def per_channel(v, ndim):
    return np.reshape(v, (1, -1) + (1,) * (ndim - 2))


def randomize_affine(layer, seed=0):
    rng = np.random.default_rng(seed)
    layer.weight.data[...] = rng.uniform(0.5, 2.0, layer.num_features)
    layer.bias.data[...] = rng.normal(size=layer.num_features)
    return layer


# --- gradcheck -------------------------------------------------------------------------------------


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize(("cls", "shape"), CASES, ids=CASE_IDS)
def test_gradcheck_training_mode(cls, shape, affine):
    layer = cls(shape[1], affine=affine)
    if affine:
        randomize_affine(layer)
    report = gradcheck(layer, batch(shape, 1))
    assert report.ok, str(report)
    assert set(report.errors) == ({"input", "weight", "bias"} if affine else {"input"})


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize(("cls", "shape"), CASES, ids=CASE_IDS)
def test_gradcheck_eval_mode(cls, shape, affine):
    layer = cls(shape[1], affine=affine)
    if affine:
        randomize_affine(layer)
    layer.running_mean[...] = [0.5, -1.0, 2.0]
    layer.running_var[...] = [0.3, 2.0, 5.0]
    report = gradcheck(layer.eval(), batch(shape, 2))
    assert report.ok, str(report)


@pytest.mark.parametrize(("cls", "shape"), CASES, ids=CASE_IDS)
def test_gradcheck_eval_mode_without_running_stats(cls, shape):
    report = gradcheck(randomize_affine(cls(shape[1], track_running_stats=False)).eval(), batch(shape, 3))
    assert report.ok, str(report)


# --- the maths, without torch ----------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "shape"), CASES, ids=CASE_IDS)
def test_training_normalizes_each_channel_with_the_batch_statistics(cls, shape):
    layer = randomize_affine(cls(shape[1], eps=1e-3, dtype=np.float64))
    x = batch(shape, 1)
    y = layer(x)
    mean, var = x.mean(axis=axes_of(x)), x.var(axis=axes_of(x))
    expected = (x - per_channel(mean, x.ndim)) / np.sqrt(per_channel(var, x.ndim) + 1e-3)
    expected = expected * per_channel(layer.weight.data, x.ndim) + per_channel(layer.bias.data, x.ndim)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("cls", "shape"), CASES, ids=CASE_IDS)
def test_running_stats_use_momentum_and_the_unbiased_variance(cls, shape):
    layer = cls(shape[1], momentum=0.25, dtype=np.float64)
    x = batch(shape, 1)
    layer(x)
    m = x.size // shape[1]
    mean, unbiased = x.mean(axis=axes_of(x)), x.var(axis=axes_of(x)) * m / (m - 1)
    np.testing.assert_allclose(layer.running_mean, 0.25 * mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, 0.75 + 0.25 * unbiased, rtol=1e-12)
    assert layer.num_batches_tracked == 1 and layer.num_batches_tracked.dtype == np.int64


def test_momentum_none_is_the_plain_average_of_the_batches_seen():
    layer = nnkit.BatchNorm1d(3, momentum=None, dtype=np.float64)
    xs = [batch((5, 3), step) for step in range(4)]
    for x in xs:
        layer(x)
    np.testing.assert_allclose(layer.running_mean, np.mean([x.mean(0) for x in xs], axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, np.mean([x.var(0, ddof=1) for x in xs], axis=0), rtol=1e-12)
    assert layer.num_batches_tracked == 4


def test_momentum_0_and_1():
    frozen, latest = nnkit.BatchNorm1d(3, momentum=0.0), nnkit.BatchNorm1d(3, momentum=1.0, dtype=np.float64)
    x = batch((5, 3), 1)
    frozen(x)
    latest(x)
    np.testing.assert_array_equal(frozen.running_mean, np.zeros(3))
    np.testing.assert_array_equal(frozen.running_var, np.ones(3))
    np.testing.assert_allclose(latest.running_mean, x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(latest.running_var, x.var(0, ddof=1), rtol=1e-12)


@pytest.mark.parametrize(("cls", "shape"), CASES, ids=CASE_IDS)
def test_eval_uses_the_running_stats_and_does_not_update_them(cls, shape):
    layer = randomize_affine(cls(shape[1], dtype=np.float64))
    for step in range(3):
        layer(batch(shape, step))
    layer.eval()
    state = layer.state_dict()
    x = batch(shape, 7)
    y = layer(x)
    rm, rv = per_channel(layer.running_mean, x.ndim), per_channel(layer.running_var, x.ndim)
    w, b = per_channel(layer.weight.data, x.ndim), per_channel(layer.bias.data, x.ndim)
    np.testing.assert_allclose(y, (x - rm) / np.sqrt(rv + 1e-5) * w + b, rtol=1e-12, atol=1e-12)
    dy = normal(*shape, seed=8)
    np.testing.assert_allclose(layer.backward(dy), dy * w / np.sqrt(rv + 1e-5), rtol=1e-12)
    for name, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, state[name], err_msg=name)
    assert layer(x[:1]).shape == x[:1].shape  # one sample is fine in evaluation


@pytest.mark.parametrize(("cls", "shape"), CASES, ids=CASE_IDS)
def test_without_running_stats_eval_uses_the_batch_and_there_are_no_buffers(cls, shape):
    layer = randomize_affine(cls(shape[1], track_running_stats=False, dtype=np.float64))
    assert layer.running_mean is None and layer.running_var is None and layer.num_batches_tracked is None
    assert list(layer.named_buffers()) == []
    assert list(layer.state_dict()) == ["weight", "bias"]
    x = batch(shape, 1)
    y_train = layer(x)
    np.testing.assert_allclose(layer.eval()(x), y_train, rtol=1e-14)
    assert list(cls(shape[1], affine=False, track_running_stats=False).state_dict()) == []
    layer.reset_running_stats()  # nothing to reset, and no error


def test_backward_accumulates_and_leaves_grad_output_alone():
    layer = randomize_affine(nnkit.BatchNorm1d(3, dtype=np.float64))
    x, dy = batch((5, 3), 1), normal(5, 3, seed=2)
    dy0 = dy.copy()
    layer(x)
    layer.backward(dy, retain_graph=True)
    once = layer.weight.grad.copy(), layer.bias.grad.copy()
    np.testing.assert_allclose(once[1], dy.sum(0), rtol=1e-12)
    layer.backward(dy)
    np.testing.assert_allclose(layer.weight.grad, 2 * once[0], rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, 2 * once[1], rtol=1e-12)
    np.testing.assert_array_equal(dy, dy0)
    layer(x)
    assert layer.backward(dy, input_grad=False) is None
    np.testing.assert_allclose(layer.bias.grad, 3 * once[1], rtol=1e-12)


def test_reset_running_stats():
    layer = nnkit.BatchNorm2d(3, momentum=None)
    for step in range(3):
        layer(batch((2, 3, 3, 3), step))
    mean = layer.running_mean
    layer.reset_running_stats()
    assert layer.running_mean is mean  # reset in place
    np.testing.assert_array_equal(layer.running_mean, np.zeros(3))
    np.testing.assert_array_equal(layer.running_var, np.ones(3))
    assert layer.num_batches_tracked == 0 and layer.num_batches_tracked.dtype == np.int64
    x = batch((2, 3, 3, 3), 5).astype(np.float32)
    layer(x)  # momentum=None starts its average afresh: the first batch's statistics
    np.testing.assert_allclose(layer.running_mean, x.mean(axis=(0, 2, 3)), rtol=1e-5)


# --- PyTorch --------------------------------------------------------------------------------------


def torch_pair(torch, cls, c, **kwargs):
    layer = cls(c, dtype=np.float64, **kwargs)
    ref = getattr(torch.nn, cls.__name__)(c, **kwargs).double()
    if layer.affine:
        randomize_affine(layer)
        with torch.no_grad():
            ref.weight.copy_(torch.from_numpy(layer.weight.data))
            ref.bias.copy_(torch.from_numpy(layer.bias.data))
    return layer, ref


def compare_step(torch, layer, ref, x, dy):
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    yt.backward(torch.from_numpy(dy))
    np.testing.assert_allclose(layer(x), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.backward(dy), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    if layer.affine:
        np.testing.assert_allclose(layer.weight.grad, ref.weight.grad.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(layer.bias.grad, ref.bias.grad.numpy(), rtol=1e-12, atol=1e-12)
    if layer.track_running_stats:
        np.testing.assert_allclose(layer.running_mean, ref.running_mean.numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(layer.running_var, ref.running_var.numpy(), rtol=1e-12)
        assert int(layer.num_batches_tracked) == int(ref.num_batches_tracked)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize(("cls", "shape"), CASES, ids=CASE_IDS)
def test_training_steps_then_eval_match_torch(torch, cls, shape, momentum):
    layer, ref = torch_pair(torch, cls, shape[1], momentum=momentum)
    for step in range(3):  # gradients accumulate over the steps in both libraries
        compare_step(torch, layer, ref, batch(shape, step), normal(*shape, seed=10 + step))
    assert int(layer.num_batches_tracked) == 3
    layer.eval()
    ref.eval()
    compare_step(torch, layer, ref, batch(shape, 5), normal(*shape, seed=20))
    assert int(ref.num_batches_tracked) == 3


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize(("cls", "shape"), CASES, ids=CASE_IDS)
def test_without_running_stats_matches_torch_in_train_and_eval(torch, cls, shape, affine):
    layer, ref = torch_pair(torch, cls, shape[1], affine=affine, track_running_stats=False)
    compare_step(torch, layer, ref, batch(shape, 1), normal(*shape, seed=11))
    layer.eval()
    ref.eval()
    compare_step(torch, layer, ref, batch(shape, 2), normal(*shape, seed=12))


@pytest.mark.parametrize("track", [True, False])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("cls", [nnkit.BatchNorm1d, nnkit.BatchNorm2d])
def test_state_dict_keys_equal_torchs(torch, cls, affine, track):
    layer = cls(4, affine=affine, track_running_stats=track)
    ref = getattr(torch.nn, cls.__name__)(4, affine=affine, track_running_stats=track)
    assert list(layer.state_dict()) == list(ref.state_dict())
    for name, value in ref.state_dict().items():
        assert layer.state_dict()[name].shape == tuple(value.shape), name
    assert list(dict(layer.named_buffers())) == list(dict(ref.named_buffers()))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("cls", "shape"), CASES, ids=CASE_IDS)
def test_loading_a_torch_state_dict_gives_torchs_eval_outputs(torch, cls, shape, dtype):
    ref = getattr(torch.nn, cls.__name__)(shape[1], momentum=0.3).double()
    with torch.no_grad():
        ref.weight.uniform_(0.5, 2.0)
        ref.bias.normal_()
    for step in range(3):
        ref(torch.from_numpy(batch(shape, step)))
    layer = cls(shape[1], dtype=dtype)
    layer.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    assert int(layer.num_batches_tracked) == 3 and layer.num_batches_tracked.dtype == np.int64
    assert layer.running_mean.dtype == dtype  # cast to the layer's dtype
    x = batch(shape, 9)
    y = layer.eval()(x)
    expected = ref.eval()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(y, expected, rtol=1e-12 if dtype == np.float64 else 1e-5, atol=1e-12)


@pytest.mark.parametrize(
    ("cls", "shape"), [(nnkit.BatchNorm1d, (1, 3)), (nnkit.BatchNorm1d, (1, 3, 1)), (nnkit.BatchNorm2d, (1, 3, 1, 1))]
)
def test_one_value_per_channel_raises_in_training_as_in_torch(torch, cls, shape):
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        getattr(torch.nn, cls.__name__)(3)(torch.zeros(shape))
    layer = cls(3)
    name = cls.__name__
    with pytest.raises(
        ValueError,
        match=rf"^{name}\(3\): expected more than 1 value per channel when training, "
        rf"got input of shape {re_shape(shape)}$",
    ):
        layer(np.zeros(shape))
    assert layer.num_batches_tracked == 0  # the failed call changed nothing
    np.testing.assert_array_equal(layer.running_var, np.ones(3))
    assert layer.eval()(np.zeros(shape)).shape == shape  # evaluation uses the running statistics


def re_shape(shape):
    return str(shape).replace("(", r"\(").replace(")", r"\)")


def test_one_value_per_channel_raises_in_eval_without_running_stats():
    # torch.nn.BatchNorm1d(3, track_running_stats=False).eval()(torch.zeros(1, 3)) raises
    # "Expected more than 1 value per channel when training"; nnkit gives [[0., 0., 0.]]
    with pytest.raises(ValueError, match="expected more than 1 value per channel"):
        nnkit.BatchNorm1d(3, track_running_stats=False).eval()(np.ones((1, 3)))


def test_two_values_per_channel_are_enough():
    y = nnkit.BatchNorm1d(3)(np.array([[[1.0, 3.0], [0.0, 2.0], [5.0, 5.0]]]))  # N=1, L=2
    np.testing.assert_allclose(y[0, :2], [[-1.0, 1.0], [-1.0, 1.0]], rtol=1e-4)
    np.testing.assert_array_equal(y[0, 2], [0.0, 0.0])  # a constant channel becomes 0, not NaN


# --- save, load, dtype ------------------------------------------------------------------------------


def net(seed=0):
    nnkit.manual_seed(seed)
    return nnkit.Sequential(nnkit.Linear(4, 3), nnkit.BatchNorm1d(3), nnkit.ReLU())


def test_save_load_round_trip_keeps_the_running_stats(tmp_path):
    a = net(0)
    for step in range(3):
        a(batch((8, 4), step))
    path = nnkit.save(a, tmp_path / "bn.npz")
    with np.load(path) as archive:
        assert archive["1.num_batches_tracked"].dtype == np.int64
        assert set(archive.files) == {"0.weight", "0.bias", "1.weight", "1.bias"} | {
            "1.running_mean",
            "1.running_var",
            "1.num_batches_tracked",
        }
    b = nnkit.load(net(1), path)
    assert int(b[1].num_batches_tracked) == 3
    for name, value in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[name], value, err_msg=name)
        assert b.state_dict()[name].dtype == value.dtype, name
    x = batch((5, 4), 9)
    np.testing.assert_array_equal(a.eval()(x), b.eval()(x))


def test_to_float64_casts_the_running_stats_but_not_the_counter():
    layer = nnkit.BatchNorm2d(3)
    layer(batch((2, 3, 3, 3), 1))
    mean32 = layer.running_mean.copy()
    assert layer.to(np.float64) is layer
    assert layer.running_mean.dtype == layer.running_var.dtype == layer.weight.dtype == np.float64
    assert layer.num_batches_tracked.dtype == np.int64 and int(layer.num_batches_tracked) == 1
    np.testing.assert_array_equal(layer.running_mean, mean32.astype(np.float64))
    assert layer.eval()(batch((2, 3, 3, 3), 2).astype(np.float32)).dtype == np.float64
    assert "running_mean" in dict(layer.named_buffers())  # still a buffer after the cast
    layer.train()(batch((2, 3, 3, 3), 3))
    assert int(layer.num_batches_tracked) == 2 and layer.running_mean.dtype == np.float64


def test_dtype_rule():
    layer = nnkit.BatchNorm1d(3)
    assert layer.weight.dtype == layer.running_mean.dtype == np.float32
    assert layer(batch((4, 3), 1)).dtype == np.float32  # the layer's dtype wins, as in Linear
    assert layer(np.arange(12).reshape(4, 3)).dtype == np.float32
    assert nnkit.BatchNorm1d(3, dtype=np.float64)(batch((4, 3), 1).astype(np.float32)).dtype == np.float64
    with pytest.raises(TypeError, match=r"^BatchNorm1d\(3\) expected a real-valued numeric array, got dtype <U1$"):
        layer(np.full((4, 3), "a"))
    with pytest.raises(TypeError, match=r"^BatchNorm1d expected a floating-point dtype"):
        nnkit.BatchNorm1d(3, dtype=np.int32)


# --- errors -------------------------------------------------------------------------------------------


def test_wrong_channel_count_or_ndim_names_the_layer_and_the_layout():
    with pytest.raises(
        ValueError,
        match=r"^BatchNorm1d\(3\) expected input of shape \(N, C\) or \(N, C, L\) with C=3, got shape \(2, 4\)$",
    ):
        nnkit.BatchNorm1d(3)(np.zeros((2, 4)))
    with pytest.raises(
        ValueError, match=r"^BatchNorm1d\(3\) expected input of shape \(N, C\) or \(N, C, L\) with C=3, "
    ):
        nnkit.BatchNorm1d(3)(np.zeros((2, 3, 4, 5)))
    with pytest.raises(ValueError, match=r"^BatchNorm1d\(3\) expected input of shape .* got shape \(3,\)$"):
        nnkit.BatchNorm1d(3)(np.zeros(3))
    with pytest.raises(
        ValueError, match=r"^BatchNorm2d\(3\) expected input of shape \(N, C, H, W\) with C=3, got shape \(2, 3, 4\)$"
    ):
        nnkit.BatchNorm2d(3)(np.zeros((2, 3, 4)))
    with pytest.raises(
        ValueError,
        match=r"^BatchNorm2d\(3\) expected input of shape \(N, C, H, W\) with C=3, got shape \(2, 2, 4, 4\)$",
    ):
        nnkit.BatchNorm2d(3)(np.zeros((2, 2, 4, 4)))


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"^BatchNorm1d expected num_features to be an integer >= 1, got 0$"):
        nnkit.BatchNorm1d(0)
    with pytest.raises(
        TypeError, match=r"^BatchNorm2d expected num_features to be an integer >= 1, got 2\.5 \(float\)$"
    ):
        nnkit.BatchNorm2d(2.5)
    with pytest.raises(ValueError, match=r"^BatchNorm1d expected eps to be a finite real number > 0, got 0\.0$"):
        nnkit.BatchNorm1d(3, eps=0)
    with pytest.raises(ValueError, match=r"^BatchNorm1d expected eps to be a finite real number > 0, got -1e-05$"):
        nnkit.BatchNorm1d(3, eps=-1e-5)
    with pytest.raises(ValueError, match=r"^BatchNorm2d expected eps to be a finite real number > 0, got nan$"):
        nnkit.BatchNorm2d(3, eps=float("nan"))
    with pytest.raises(ValueError, match=r"^BatchNorm1d expected momentum to be a real number in \[0, 1\], got 1\.5$"):
        nnkit.BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match=r"^BatchNorm1d expected momentum to be a real number in \[0, 1\], got -0\.1$"):
        nnkit.BatchNorm1d(3, momentum=-0.1)
    with pytest.raises(
        TypeError, match=r"^BatchNorm2d expected momentum to be a real number in \[0, 1\], got '0\.1' \(str\)$"
    ):
        nnkit.BatchNorm2d(3, momentum="0.1")


def test_backward_errors():
    layer = nnkit.BatchNorm2d(3)
    with pytest.raises(RuntimeError, match=r"^BatchNorm2d\(3\): backward called before forward$"):
        layer.backward(np.ones((2, 3, 2, 2)))
    layer(batch((2, 3, 2, 2), 1))
    with pytest.raises(
        ValueError,
        match=r"^BatchNorm2d\(3\)\.backward expected grad_output of shape \(2, 3, 2, 2\), got shape \(2, 3, 2\)$",
    ):
        layer.backward(np.ones((2, 3, 2)))
    layer.backward(np.ones((2, 3, 2, 2), np.float32))
    with pytest.raises(RuntimeError, match=r"^BatchNorm2d\(3\): backward called a second time after one forward"):
        layer.backward(np.ones((2, 3, 2, 2), np.float32))


def test_repr_is_pytorch_like():
    assert (
        repr(nnkit.BatchNorm2d(3)) == "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    )
    assert repr(nnkit.BatchNorm1d(4, momentum=None, affine=False)) == (
        "BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, track_running_stats=True)"
    )


# --- LayerNorm ------------------------------------------------------------------------------------

# (input shape, normalized_shape)
LN_CASES = [((4, 5), 5), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4))]
LN_IDS = ["NE", "NTE", "two-dims"]


def layer_norm(shape, normalized, seed=0, **kwargs):
    layer = nnkit.LayerNorm(normalized, dtype=np.float64, **kwargs)
    rng = np.random.default_rng(seed)
    for p in layer.parameters():
        p.data[...] = rng.uniform(0.5, 2.0, p.shape) if p is layer.weight else rng.normal(size=p.shape)
    return layer


@pytest.mark.parametrize(
    "kwargs", [{}, {"elementwise_affine": False}, {"bias": False}], ids=["affine", "plain", "nobias"]
)
@pytest.mark.parametrize(("shape", "normalized"), LN_CASES, ids=LN_IDS)
def test_layer_norm_gradcheck(shape, normalized, kwargs):
    layer = layer_norm(shape, normalized, **kwargs)
    report = gradcheck(layer, normal(*shape, seed=3) * 3 + 1)
    assert report.ok, str(report)
    expected = {"input"} | ({"weight"} if layer.weight is not None else set()) | ({"bias"} if layer.bias else set())
    assert set(report.errors) == expected


@pytest.mark.parametrize(("shape", "normalized"), LN_CASES, ids=LN_IDS)
def test_layer_norm_normalizes_each_sample_over_the_last_dims_and_ignores_the_mode(shape, normalized):
    layer = nnkit.LayerNorm(normalized, dtype=np.float64)
    x = normal(*shape, seed=1) * 5 + 3
    y = layer(x)
    d = 1 if isinstance(normalized, int) else len(normalized)
    axes = tuple(range(x.ndim - d, x.ndim))
    np.testing.assert_allclose(y.mean(axis=axes), 0, atol=1e-12)
    var = x.var(axis=axes)
    np.testing.assert_allclose(y.var(axis=axes), var / (var + 1e-5), rtol=1e-12)  # eps shrinks it a little
    np.testing.assert_array_equal(layer.eval()(x), y)


@pytest.mark.parametrize(
    "kwargs", [{}, {"elementwise_affine": False}, {"bias": False}], ids=["affine", "plain", "nobias"]
)
@pytest.mark.parametrize(("shape", "normalized"), LN_CASES, ids=LN_IDS)
def test_layer_norm_matches_torch(torch, shape, normalized, kwargs):
    layer = layer_norm(shape, normalized, seed=2, **kwargs)
    ref = torch.nn.LayerNorm(normalized, **kwargs).double()
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    assert list(layer.state_dict()) == list(ref.state_dict())
    for step in range(2):  # parameter gradients accumulate in both
        x, dy = normal(*shape, seed=step) * 2 - 1, normal(*shape, seed=10 + step)
        xt = torch.tensor(x, requires_grad=True)
        yt = ref(xt)
        yt.backward(torch.from_numpy(dy))
        np.testing.assert_allclose(layer(x), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(layer.backward(dy), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
        for name, p in ref.named_parameters():
            np.testing.assert_allclose(getattr(layer, name).grad, p.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_layer_norm_errors_name_the_layer_and_the_shape():
    with pytest.raises(
        ValueError,
        match=r"LayerNorm\(3, 4\) expected input whose last 2 dimension\(s\) are \(3, 4\), got shape \(2, 4, 3\)",
    ):
        nnkit.LayerNorm((3, 4))(np.zeros((2, 4, 3)))
    with pytest.raises(
        ValueError, match=r"LayerNorm\(8\) expected input whose last 1 dimension\(s\) are \(8,\), got shape \(8, 2\)"
    ):
        nnkit.LayerNorm(8)(np.zeros((8, 2)))
    with pytest.raises(ValueError, match="LayerNorm expected eps"):
        nnkit.LayerNorm(8, eps=0)
    with pytest.raises(ValueError, match="at least one dimension"):
        nnkit.LayerNorm(())
    layer = nnkit.LayerNorm(3)
    layer(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"LayerNorm\(3\)\.backward expected grad_output of shape \(2, 3\)"):
        layer.backward(np.zeros((3, 2)))


def test_layer_norm_keeps_float32_and_casts_float64_input_to_its_parameters():
    layer = nnkit.LayerNorm(4)
    assert layer(np.ones((2, 4))).dtype == np.float32
    assert nnkit.LayerNorm(4, dtype=np.float64)(np.ones((2, 4), dtype=np.float32)).dtype == np.float64
    assert repr(nnkit.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True)"
