"""Tests for nnkit/exercises/ch10.py: the output size of a convolution, and a 2-D convolution
layer's forward pass (cross-correlation, stride, zero padding)."""

from __future__ import annotations

import math

import numpy as np

from exercises.support import (
    assert_passes,
    checker_tests,
)
from nnkit.exercises import check


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1, *, mistake=None):
    """A reader's output size, right or with one mistake."""
    span = dilation * (kernel_size - 1) + 1
    if mistake == "true division":
        return (size + 2 * padding - span) / stride + 1
    if mistake == "ceil":
        return math.ceil((size + 2 * padding - span) / stride) + 1
    if mistake == "no +1":
        return (size + 2 * padding - span) // stride
    if mistake == "padding once":
        return (size + padding - span) // stride + 1
    if mistake == "no dilation":
        return (size + 2 * padding - kernel_size) // stride + 1
    if mistake == "dilation times k":
        return (size + 2 * padding - dilation * kernel_size) // stride + 1
    if mistake == "no stride":
        return size + 2 * padding - span + 1
    return (size + 2 * padding - span) // stride + 1


def conv2d_forward(x, w, b, stride=1, padding=0, *, mistake=None):
    """A reader's forward pass (sliding windows and einsum), right or with one mistake."""
    if mistake != "no padding":
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(x, w.shape[2:], axis=(2, 3))
    if mistake != "no stride":
        windows = windows[:, :, ::stride, ::stride]
    kernel = w[:, :, ::-1, ::-1] if mistake == "flipped" else w
    if mistake == "first channel only":
        windows, kernel = windows[:, :1], kernel[:, :1]
    y = np.einsum("nchwij,ocij->nohw", windows, kernel)
    if mistake == "channels last":
        return y.transpose(0, 2, 3, 1) + b
    return y if mistake == "no bias" else y + b[None, :, None, None]


def conv2d_loops(x, w, b, stride=1, padding=0):
    """The same, with loops over the examples, channels and positions: slow, and right."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, _, h, wd = x.shape
    c_out, _, k_h, k_w = w.shape
    h_out, w_out = (h - k_h) // stride + 1, (wd - k_w) // stride + 1
    y = np.empty((n, c_out, h_out, w_out))
    for i in range(n):
        for o in range(c_out):
            for r in range(h_out):
                for c in range(w_out):
                    window = x[i, :, r * stride : r * stride + k_h, c * stride : c * stride + k_w]
                    y[i, o, r, c] = np.sum(window * w[o]) + b[o]
    return y


CORRECT = {"conv_output_size": conv_output_size, "conv2d_forward": conv2d_forward}


def size_with(mistake):
    return lambda size, kernel_size, stride=1, padding=0, dilation=1: conv_output_size(
        size, kernel_size, stride, padding, dilation, mistake=mistake
    )


def forward_with(mistake):
    return lambda x, w, b, stride=1, padding=0: conv2d_forward(x, w, b, stride, padding, mistake=mistake)


# (exercise, the reader's function, fragments the verdict must contain: the failing input and what went wrong)
WRONG = {
    "conv_output_size: true division": (
        "conv_output_size",
        size_with("true division"),
        ["size = 28, kernel_size = 3, stride = 2, padding = 1", "expected 14, got 14.5", "use floor division"],
    ),
    "conv_output_size: ceil": (
        "conv_output_size",
        size_with("ceil"),
        ["size = 28, kernel_size = 3, stride = 2, padding = 1", "expected 14, got 15", "round down, not up"],
    ),
    "conv_output_size: no +1": (
        "conv_output_size",
        size_with("no +1"),
        ["size = 28, kernel_size = 5", "expected 24, got 23", "add 1"],
    ),
    "conv_output_size: padding once": (
        "conv_output_size",
        size_with("padding once"),
        ["size = 5, kernel_size = 5, stride = 1, padding = 2", "expected 5, got 3", "both ends"],
    ),
    "conv_output_size: no dilation": (
        "conv_output_size",
        size_with("no dilation"),
        ["size = 10, kernel_size = 3, stride = 1, padding = 0, dilation = 3", "expected 4, got 8", "a dilated kernel"],
    ),
    "conv_output_size: dilation times k": (
        "conv_output_size",
        size_with("dilation times k"),
        ["size = 10, kernel_size = 3, stride = 1, padding = 0, dilation = 3", "expected 4, got 2", "not dilation"],
    ),
    "conv_output_size: no stride": (
        "conv_output_size",
        size_with("no stride"),
        ["stride = 2, padding = 1", "expected 14, got 28", "divide the remaining length by stride"],
    ),
    "conv2d_forward: flipped kernel": (
        "conv2d_forward",
        forward_with("flipped"),
        ["x of shape (1, 1, 3, 3)", "expected [[[[27. 37.] [57. 67.]]]], got [[[[13. 23.] [43. 53.]]]]", "flips"],
    ),
    "conv2d_forward: no bias": (
        "conv2d_forward",
        forward_with("no bias"),
        ["b = [0.5]", "expected [[[[27.5 37.5] [57.5 67.5]]]], got [[[[27. 37.] [57. 67.]]]]", "bias is missing"],
    ),
    "conv2d_forward: no padding": (
        "conv2d_forward",
        forward_with("no padding"),
        [
            "stride = 2, padding = 1",
            "expected an array of shape (1, 1, 2, 2), got shape (1, 1, 1, 1)",
            "padding is missing",
        ],
    ),
    "conv2d_forward: no stride": (
        "conv2d_forward",
        forward_with("no stride"),
        ["stride = 2, padding = 1", "got shape (1, 1, 4, 4)", "the stride is missing"],
    ),
    "conv2d_forward: channels last": (
        "conv2d_forward",
        forward_with("channels last"),
        ["x of shape (1, 1, 3, 3)", "expected an array of shape (1, 1, 2, 2), got shape (1, 2, 2, 1)", "(N, C_out"],
    ),
    "conv2d_forward: first input channel only": (
        "conv2d_forward",
        forward_with("first channel only"),
        ["x of shape (2, 3, 5, 5)", "only the first input channel"],
    ),
    "conv2d_forward: positional keywords": (
        "conv2d_forward",
        lambda x, w, b, pad=0, step=1: conv2d_forward(x, w, b, step, pad),
        ["raised TypeError", "unexpected keyword argument 'stride'"],
    ),
}

# A subtly wrong reference per exercise; each must break one of the checker's hand-computed cases.
BUGGY_REFERENCES = {
    "conv_output_size": lambda size, kernel_size, stride, padding, dilation: conv_output_size(
        size, kernel_size, stride, padding, dilation, mistake="ceil"
    ),
    "conv2d_forward": lambda x, w, b, stride=1, padding=0: conv2d_forward(x, w, b, stride, padding, mistake="flipped"),
}


(
    test_correct_solution_passes,
    test_nnkit_reference_passes_its_own_checker,
    test_wrong_solution_fails_and_names_the_input,
    test_checker_catches_a_wrong_reference,
) = checker_tests(CORRECT, WRONG, BUGGY_REFERENCES)


def test_a_loop_solution_passes_too(capsys):
    assert_passes("conv2d_forward", conv2d_loops, capsys)


def test_the_hand_computed_cases_are_right():
    # the checker's known values, recomputed by the slow loops (not by nnkit)
    x, w = np.arange(9.0).reshape(1, 1, 3, 3), np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    assert conv2d_loops(x, w, np.zeros(1)).tolist() == [[[[27.0, 37.0], [57.0, 67.0]]]]
    box = conv2d_loops(np.arange(16.0).reshape(1, 1, 4, 4), np.ones((1, 1, 3, 3)), np.zeros(1), 2, 1)
    assert box.tolist() == [[[[10.0, 24.0], [51.0, 90.0]]]]


def test_an_unfamiliar_wrong_answer_gets_the_general_hint(capsys):
    def off_by_a_bit(x, w, b, stride=1, padding=0):  # right on the hand-computed cases, not on the others
        return conv2d_forward(x, w, b, stride, padding) + (0.1 if len(x) > 1 else 0.0)

    verdict = check.conv2d_forward(off_by_a_bit)
    assert not verdict and "Hint: y[n, o, i, j] = b[o] + Σ_c Σ_p Σ_q" in verdict.message
    capsys.readouterr()
