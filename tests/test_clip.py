"""Tests for nnkit/clip.py: clip_grad_norm_ and clip_grad_value_."""

import math

import numpy as np
import pytest

import nnkit


def params_with_grads(seed=0, scale=10.0):
    rng = np.random.default_rng(seed)
    ps = [nnkit.Parameter(np.zeros(shape)) for shape in [(3, 4), (4,), (2, 2)]]
    for p in ps:
        p.grad[...] = rng.normal(size=p.shape) * scale
    return ps


def total_norm(ps):
    return math.sqrt(sum(float((p.grad**2).sum()) for p in ps))


def test_clips_the_joint_norm_and_keeps_the_direction():
    ps = params_with_grads()
    before = [p.grad.copy() for p in ps]
    norm = nnkit.clip_grad_norm_(ps, max_norm=1.0)
    assert norm == pytest.approx(math.sqrt(sum((b**2).sum() for b in before)))
    assert total_norm(ps) == pytest.approx(1.0, rel=1e-5)
    ratio = ps[0].grad / before[0]
    np.testing.assert_allclose(ps[1].grad / before[1], ratio.flat[0])


def test_small_gradients_are_left_alone():
    ps = params_with_grads(scale=0.01)
    before = [p.grad.copy() for p in ps]
    nnkit.clip_grad_norm_(ps, max_norm=10.0)
    for p, b in zip(ps, before):
        np.testing.assert_array_equal(p.grad, b)


def test_inf_norm_and_value_clipping():
    ps = params_with_grads()
    largest = max(np.abs(p.grad).max() for p in ps)
    assert nnkit.clip_grad_norm_(ps, 1.0, norm_type=math.inf) == pytest.approx(largest)
    assert max(np.abs(p.grad).max() for p in ps) == pytest.approx(1.0, rel=1e-5)
    ps = params_with_grads()
    nnkit.clip_grad_value_(ps, 0.5)
    assert max(np.abs(p.grad).max() for p in ps) == 0.5


def test_nonfinite_and_argument_errors():
    p = nnkit.Parameter(np.zeros(2))
    p.grad[:] = [np.inf, 1.0]
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm of order 2.0 of the gradients is inf"):
        nnkit.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match=r"^clip_grad_norm_ expected max_norm to be a real number >= 0, got -1\.0$"):
        nnkit.clip_grad_norm_([p], -1)
    with pytest.raises(TypeError, match="clip_grad_norm_ expected Parameters, got ndarray"):
        nnkit.clip_grad_norm_([np.zeros(2)], 1.0)
    with pytest.raises(ValueError, match=r"^clip_grad_value_ expected clip_value to be a real number >= 0, got -2\.0$"):
        nnkit.clip_grad_value_([p], -2)
    assert nnkit.clip_grad_norm_([], 1.0) == 0.0


def test_nan_and_non_numeric_arguments_are_refused():
    # a NaN max_norm used to turn clipping off silently; norm_type=0 divided by zero
    p = nnkit.Parameter(np.zeros(2))
    p.grad[:] = [3.0, 4.0]
    with pytest.raises(ValueError, match=r"^clip_grad_norm_ expected max_norm to be a real number >= 0, got nan$"):
        nnkit.clip_grad_norm_([p], math.nan)
    with pytest.raises(
        TypeError, match=r"^clip_grad_norm_ expected max_norm to be a real number >= 0, got '1' \(str\)$"
    ):
        nnkit.clip_grad_norm_([p], "1")
    with pytest.raises(ValueError, match=r"^clip_grad_norm_ expected norm_type to be a real number > 0, got 0\.0$"):
        nnkit.clip_grad_norm_([p], 1.0, norm_type=0)
    with pytest.raises(ValueError, match=r"^clip_grad_value_ expected clip_value to be a real number >= 0, got nan$"):
        nnkit.clip_grad_value_([p], math.nan)
    np.testing.assert_array_equal(p.grad, [3.0, 4.0])  # untouched by the refused calls
    assert nnkit.clip_grad_norm_([p], math.inf) == 5.0  # max_norm=inf: measure, do not clip


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 5.0, 1e3])
def test_matches_torch(torch, norm_type, max_norm):
    ps = params_with_grads(seed=3)
    ts = [torch.zeros(p.shape, dtype=torch.float64, requires_grad=True) for p in ps]
    for p, t in zip(ps, ts):
        t.grad = torch.from_numpy(p.grad.copy())
    ref = torch.nn.utils.clip_grad_norm_(ts, max_norm, norm_type=norm_type)
    assert nnkit.clip_grad_norm_(ps, max_norm, norm_type=norm_type) == pytest.approx(float(ref), rel=1e-10)
    for p, t in zip(ps, ts):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-10)
