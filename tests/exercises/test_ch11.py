"""Tests for nnkit/exercises/ch11.py: batch normalization's training forward, its backward, and the
update of its running statistics."""

from __future__ import annotations

import numpy as np

from exercises.support import (
    checker_tests,
)
from nnkit.exercises import check


def batchnorm_forward(x, gamma, beta, eps, *, mistake=None):
    """A reader's training forward, right or with one mistake."""
    axis = 1 if mistake == "per example" else 0
    mean = x.mean(axis=axis, keepdims=True)
    if mistake == "naive variance":  # mean(x²) − mean(x)²: cancels catastrophically far from 0
        var = (x * x).mean(axis=axis, keepdims=True) - mean * mean
    else:
        var = x.var(axis=axis, ddof=1 if mistake == "unbiased" else 0, keepdims=True)
    if mistake == "eps outside":
        x_hat = (x - mean) / (np.sqrt(var) + eps)
    elif mistake == "no eps":
        x_hat = (x - mean) / np.sqrt(var)
    else:
        x_hat = (x - mean) / np.sqrt(var + eps)
    if mistake == "no affine":
        return x_hat
    if mistake == "swapped":
        return beta * x_hat + gamma
    return gamma * x_hat + beta


def batchnorm_backward(x, gamma, dy, eps, *, mistake=None):
    """A reader's backward, right or with one mistake."""
    std = np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) / std
    mean_term = 0.0 if mistake == "no mean" else dy.mean(axis=0)
    var_term = 0.0 if mistake == "no variance" else x_hat * (dy * x_hat).mean(axis=0)
    dx = gamma / std * (dy if mistake == "constants" else dy - mean_term - var_term)
    dgamma, dbeta = (dy * x_hat).sum(axis=0), dy.sum(axis=0)
    if mistake == "swapped":
        dgamma, dbeta = dbeta, dgamma
    if mistake == "means":
        dgamma, dbeta = (dy * x_hat).mean(axis=0), dy.mean(axis=0)
    if mistake == "times x":
        dgamma = (dy * x).sum(axis=0)
    return dx, dgamma, dbeta


def running_stats(running_mean, running_var, x, momentum, *, mistake=None):
    """A reader's update of the running statistics, right or with one mistake."""
    mean = x.mean(axis=0)
    var = x.var(axis=0) if mistake == "biased" else x.var(axis=0, ddof=1)
    if mistake == "std":
        var = np.sqrt(var)
    if mistake == "reversed":
        return momentum * running_mean + (1 - momentum) * mean, momentum * running_var + (1 - momentum) * var
    if mistake == "in place":  # as PyTorch does it, but the exercise asks for new arrays
        running_mean *= 1 - momentum
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * var
        return running_mean, running_var
    return (1 - momentum) * running_mean + momentum * mean, (1 - momentum) * running_var + momentum * var


CORRECT = {
    "batchnorm_forward": batchnorm_forward,
    "batchnorm_backward": batchnorm_backward,
    "running_stats": running_stats,
}


def forward_with(mistake):
    return lambda x, gamma, beta, eps: batchnorm_forward(x, gamma, beta, eps, mistake=mistake)


def backward_with(mistake):
    return lambda x, gamma, dy, eps: batchnorm_backward(x, gamma, dy, eps, mistake=mistake)


def running_with(mistake):
    return lambda running_mean, running_var, x, momentum: running_stats(
        running_mean, running_var, x, momentum, mistake=mistake
    )


# (exercise, the reader's function, fragments the verdict must contain: the failing input and what went wrong)
WRONG = {
    "batchnorm_forward: unbiased variance": (
        "batchnorm_forward",
        forward_with("unbiased"),
        ["x = [[1. 10.] [3. 30.]]", "got [[-0.7071 -0.7071] [0.7071 0.7071]]", "divides by N − 1 (ddof=1)"],
    ),
    "batchnorm_forward: statistics per example": (
        "batchnorm_forward",
        forward_with("per example"),
        ["x = [[1. 10.] [3. 30.]]", "over the features of each example (axis=1)"],
    ),
    "batchnorm_forward: eps outside the root": (
        "batchnorm_forward",
        forward_with("eps outside"),
        ["x = [[1. 10.] [3. 30.]]", "got [[-0.99999 -0.999999] [0.99999 0.999999]]", "eps goes inside the square root"],
    ),
    "batchnorm_forward: no eps": (
        "batchnorm_forward",
        forward_with("no eps"),
        ["x = [[1. 10.] [3. 30.]]", "got [[-1. -1.] [1. 1.]]", "eps is missing"],
    ),
    "batchnorm_forward: no gamma and beta": (
        "batchnorm_forward",
        forward_with("no affine"),
        ["gamma = [2. 0.5]", "the scale gamma and the shift beta are missing"],
    ),
    "batchnorm_forward: gamma and beta swapped": (
        "batchnorm_forward",
        forward_with("swapped"),
        ["gamma = [1. 1.], beta = [0. 0.]", "got [[1. 1.] [1. 1.]]", "gamma and beta are swapped"],
    ),
    "batchnorm_forward: naive variance": (
        "batchnorm_forward",
        forward_with("naive variance"),
        ["x of shape (8, 3)", "mean(x²) − mean(x)² loses every digit"],
    ),
    "batchnorm_backward: statistics as constants": (
        "batchnorm_backward",
        backward_with("constants"),
        [
            "x = [[0.] [1.] [2.]]",
            "dx: expected [[0.2041] [-0.4082] [0.2041]], got [[1.2247] [0.] [0.]]",
            "treats the batch mean and variance",
        ],
    ),
    "batchnorm_backward: no mean path": (
        "batchnorm_backward",
        backward_with("no mean"),
        ["x = [[0.] [1.] [2.]]", "got [[0.6124] [0.] [0.6124]]", "misses the path through the batch mean"],
    ),
    "batchnorm_backward: no variance path": (
        "batchnorm_backward",
        backward_with("no variance"),
        ["dy = [[1.] [0.] [0.]]", "got [[0.8165] [-0.4082] [-0.4082]]", "misses the path through the batch variance"],
    ),
    "batchnorm_backward: dgamma and dbeta swapped": (
        "batchnorm_backward",
        backward_with("swapped"),
        ["x = [[0.] [1.] [2.]]", "dgamma: expected [-1.2247], got [1.]", "dgamma and dbeta are swapped"],
    ),
    "batchnorm_backward: means for dgamma and dbeta": (
        "batchnorm_backward",
        backward_with("means"),
        ["x = [[0.] [1.] [2.]]", "dgamma: expected [-1.2247], got [-0.4082]", "sums over the batch, not means"],
    ),
    "batchnorm_backward: dgamma times x": (
        "batchnorm_backward",
        backward_with("times x"),
        ["x = [[0.] [1.] [2.]]", "dgamma: expected [-1.2247], got [0.]", "by the normalized x̂, not by x"],
    ),
    "running_stats: biased variance": (
        "running_stats",
        running_with("biased"),
        ["x = [[1. 10.] [3. 30.]]", "running_var: expected [1.1 20.9], got [1. 10.9]", "unbiased batch variance"],
    ),
    "running_stats: momentum reversed": (
        "running_stats",
        running_with("reversed"),
        ["momentum = 0.1", "running_mean: expected [0.2 2.], got [1.8 18.]", "momentum weighs the new batch"],
    ),
    "running_stats: standard deviation": (
        "running_stats",
        running_with("std"),
        ["x = [[1. 10.] [3. 30.]]", "running_var: expected", "not of the standard deviation"],
    ),
    "running_stats: updated in place": (
        "running_stats",
        running_with("in place"),
        ["momentum = 0.1", "changed its input running_mean in place"],
    ),
}

# A subtly wrong reference per exercise; each must break one of the checker's hand-computed cases.
BUGGY_REFERENCES = {
    "batchnorm_forward": forward_with("unbiased"),
    "batchnorm_backward": backward_with("no variance"),
    "running_stats": running_with("biased"),
}


(
    test_correct_solution_passes,
    test_nnkit_reference_passes_its_own_checker,
    test_wrong_solution_fails_and_names_the_input,
    test_checker_catches_a_wrong_reference,
) = checker_tests(CORRECT, WRONG, BUGGY_REFERENCES)


def test_the_cases_where_dx_is_zero_catch_a_missing_path(capsys):
    # dy the same for every example, and dy along x̂: the right dx is (nearly) 0 for both, and each case alone
    # catches the solution that leaves out the path through the mean, or through the variance
    x = np.random.default_rng(1).normal(2.0, 3.0, size=(6, 3))
    gamma, eps = np.array([0.5, 1.0, 2.0]), 1e-5
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
    for dy, mistake in [(np.ones_like(x), "no mean"), (2.0 * x_hat, "no variance")]:
        assert np.allclose(batchnorm_backward(x, gamma, dy, eps)[0], 0.0, atol=1e-4)  # eps: not exactly
        assert not np.allclose(batchnorm_backward(x, gamma, dy, eps, mistake=mistake)[0], 0.0, atol=1e-3)
    for mistake in ("no mean", "no variance"):
        assert not check.batchnorm_backward(backward_with(mistake))
    capsys.readouterr()


def test_a_strange_answer_gets_the_usual_hint(capsys):
    verdict = check.batchnorm_backward(lambda x, gamma, dy, eps: (dy, "a", None))
    assert not verdict and "Hint: with x̂ = (x − mean) / np.sqrt(var + eps)" in verdict.message
    verdict = check.running_stats(lambda running_mean, running_var, x, momentum: running_mean + 1)
    assert not verdict and "expected a tuple of 2" in verdict.message
    capsys.readouterr()
