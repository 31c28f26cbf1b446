"""Tests for nnkit/losses.py: MSELoss, CrossEntropyLoss, BCEWithLogitsLoss."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nnkit
from nnkit.gradcheck import gradcheck

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(6, 4))
LABELS = np.array([0, 3, 1, 1, 2, 0])
PRED = RNG.normal(size=(6, 2))
TARGET = RNG.normal(size=(6, 2))
PROBS = RNG.uniform(size=(6, 2))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradchecks(reduction):
    for loss, x, t in [
        (nnkit.MSELoss(reduction), PRED, TARGET),
        (nnkit.CrossEntropyLoss(reduction), LOGITS, LABELS),
        (nnkit.BCEWithLogitsLoss(reduction), PRED, PROBS),
    ]:
        report = gradcheck(loss, x, t)
        assert report.ok, str(report)


def test_mse_values():
    loss = nnkit.MSELoss()
    assert loss(PRED, TARGET) == pytest.approx(np.mean((PRED - TARGET) ** 2))
    np.testing.assert_allclose(loss.backward(), 2 * (PRED - TARGET) / PRED.size)
    assert nnkit.MSELoss("sum")(PRED, TARGET) == pytest.approx(np.sum((PRED - TARGET) ** 2))
    assert isinstance(loss(PRED, TARGET), float)


def test_cross_entropy_values_and_gradient_is_p_minus_y():
    loss = nnkit.CrossEntropyLoss()
    p = np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)
    expected = -np.mean(np.log(p[np.arange(6), LABELS]))
    assert loss(LOGITS, LABELS) == pytest.approx(expected)
    onehot = np.eye(4)[LABELS]
    np.testing.assert_allclose(loss.backward(retain_graph=True), (p - onehot) / 6)
    np.testing.assert_allclose(loss.backward(2.0), 2 * (p - onehot) / 6)


def test_bce_values():
    loss = nnkit.BCEWithLogitsLoss()
    s = 1 / (1 + np.exp(-PRED))
    expected = -np.mean(PROBS * np.log(s) + (1 - PROBS) * np.log(1 - s))
    assert loss(PRED, PROBS) == pytest.approx(expected)
    np.testing.assert_allclose(loss.backward(), (s - PROBS) / PROBS.size)


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(2, 5)), elements=st.floats(-1e300, 1e300)))
def test_cross_entropy_stable_for_huge_logits(logits):
    labels = np.arange(len(logits)) % logits.shape[1]
    loss = nnkit.CrossEntropyLoss()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = loss(logits, labels)
        grad = loss.backward()
    assert np.isfinite(grad).all()
    assert value >= 0
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.floats(-1e6, 1e6), st.integers(2, 10))
def test_cross_entropy_of_equal_logits_is_log_c(value, c):
    assert nnkit.CrossEntropyLoss()(np.full((3, c), value), np.zeros(3, int)) == pytest.approx(np.log(c))


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, st.integers(1, 8), elements=st.floats(-1e300, 1e300)))
def test_bce_stable_for_huge_logits(x):
    loss = nnkit.BCEWithLogitsLoss()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss(x, (x > 0).astype(float))
        assert np.isfinite(loss.backward()).all()


def test_float32_in_float32_out():
    loss = nnkit.CrossEntropyLoss()
    loss(LOGITS.astype(np.float32), LABELS)
    assert loss.backward().dtype == np.float32


def test_inputs_are_not_mutated():
    logits, labels = LOGITS.copy(), LABELS.copy()
    loss = nnkit.CrossEntropyLoss()
    loss(logits, labels)
    loss.backward()
    np.testing.assert_array_equal(logits, LOGITS)
    np.testing.assert_array_equal(labels, LABELS)


LABEL_RANGE = r"CrossEntropyLoss expected class labels in \[0, 4\) or ignore_index -100, got label "


def test_error_messages():
    ce = nnkit.CrossEntropyLoss()
    with pytest.raises(ValueError, match=LABEL_RANGE + "4"):
        ce(LOGITS, np.array([0, 4, 1, 1, 2, 0]))
    with pytest.raises(ValueError, match=LABEL_RANGE + "-1"):
        ce(LOGITS, np.array([0, -1, 1, 1, 2, 0]))
    with pytest.raises(ValueError, match=r"integer class labels of shape \(6,\), got dtype float64"):
        ce(LOGITS, LABELS.astype(float))
    with pytest.raises(ValueError, match=r"integer class labels of shape \(6,\), got dtype int64 and shape \(6, 1\)"):
        ce(LOGITS, LABELS.astype(np.int64)[:, None])
    with pytest.raises(ValueError, match=r"CrossEntropyLoss expected logits of shape \(N, C\), got shape \(6,\)"):
        ce(LOGITS[:, 0], LABELS)
    with pytest.raises(ValueError, match=r"MSELoss expected target of shape \(6, 2\) \(the input's\), got shape"):
        nnkit.MSELoss()(PRED, TARGET[:3])
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss expected targets in \[0, 1\]"):
        nnkit.BCEWithLogitsLoss()(PRED, TARGET)
    with pytest.raises(ValueError, match="MSELoss expected reduction 'mean' or 'sum', got 'none'"):
        nnkit.MSELoss("none")
    with pytest.raises(ValueError, match="MSELoss expected a floating-point input, got dtype int64"):
        nnkit.MSELoss()(np.array([1, 2]), np.array([1, 2]))
    with pytest.raises(RuntimeError, match="CrossEntropyLoss: backward called before forward"):
        nnkit.CrossEntropyLoss().backward()


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_match_torch(torch, reduction):
    cases = [
        (nnkit.MSELoss(reduction), torch.nn.MSELoss(reduction=reduction), PRED, TARGET),
        (nnkit.CrossEntropyLoss(reduction), torch.nn.CrossEntropyLoss(reduction=reduction), LOGITS * 50, LABELS),
        (nnkit.BCEWithLogitsLoss(reduction), torch.nn.BCEWithLogitsLoss(reduction=reduction), PRED * 50, PROBS),
    ]
    for ours, ref, x, t in cases:
        xt = torch.tensor(x, requires_grad=True)
        value = ref(xt, torch.from_numpy(t))
        value.backward()
        assert ours(x, t) == pytest.approx(value.item(), rel=1e-12)
        np.testing.assert_allclose(ours.backward(), xt.grad.numpy(), rtol=1e-10, atol=1e-300)


IGNORED = np.array([0, -100, 1, -100, 2, 0])  # two padded positions


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_ignore_index_drops_the_ignored_rows(reduction):
    ours = nnkit.CrossEntropyLoss(reduction)
    kept = IGNORED != -100
    value = ours(LOGITS, IGNORED)
    grad = ours.backward()
    alone = nnkit.CrossEntropyLoss(reduction)
    assert value == pytest.approx(alone(LOGITS[kept], IGNORED[kept]), rel=1e-14)  # mean over the 4 kept rows
    np.testing.assert_array_equal(grad[~kept], 0.0)
    np.testing.assert_allclose(grad[kept], alone.backward(), rtol=1e-14)
    assert gradcheck(nnkit.CrossEntropyLoss(reduction), LOGITS, IGNORED).ok


def test_ignore_index_other_value_and_all_ignored():
    ce = nnkit.CrossEntropyLoss(ignore_index=0)
    assert ce(LOGITS, LABELS) == pytest.approx(nnkit.CrossEntropyLoss()(LOGITS[LABELS != 0], LABELS[LABELS != 0]))
    assert repr(ce) == "CrossEntropyLoss(ignore_index=0)"
    assert repr(nnkit.CrossEntropyLoss("sum", ignore_index=3)) == "CrossEntropyLoss(reduction='sum', ignore_index=3)"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(nnkit.CrossEntropyLoss()(LOGITS, np.full(6, -100)))  # as PyTorch: 0/0
        assert nnkit.CrossEntropyLoss("sum")(LOGITS, np.full(6, -100)) == 0.0
    with pytest.raises(ValueError, match=r"class labels in \[0, 4\) or ignore_index 0, got label -100"):
        ce(LOGITS, IGNORED)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_ignore_index_matches_torch(torch, reduction):
    for ignore_index, t in [(-100, IGNORED), (2, LABELS)]:
        ref = torch.nn.CrossEntropyLoss(reduction=reduction, ignore_index=ignore_index)
        xt = torch.tensor(LOGITS, requires_grad=True)
        value = ref(xt, torch.from_numpy(t))
        value.backward()
        ours = nnkit.CrossEntropyLoss(reduction, ignore_index=ignore_index)
        assert ours(LOGITS, t) == pytest.approx(value.item(), rel=1e-12)
        np.testing.assert_allclose(ours.backward(), xt.grad.numpy(), rtol=1e-10, atol=1e-300)


LOSSES = [
    (nnkit.MSELoss, PRED, TARGET),
    (nnkit.CrossEntropyLoss, LOGITS, LABELS),
    (nnkit.BCEWithLogitsLoss, PRED, PROBS),
]


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(("cls", "x", "t"), LOSSES, ids=[c[0].__name__ for c in LOSSES])
def test_an_empty_batch_is_refused(cls, x, t, reduction):
    # it used to return 0.0 (or -0.0), which hides an empty data set or a bad slice
    name = cls.__name__
    shape = (0, *x.shape[1:])
    with pytest.raises(ValueError, match=rf"^{name} expected a non-empty input, got shape \({shape[0]}, {shape[1]}\)$"):
        cls(reduction)(x[:0], t[:0])


@pytest.mark.parametrize(("cls", "x", "t"), LOSSES, ids=[c[0].__name__ for c in LOSSES])
def test_backward_runs_once_per_forward_unless_retained(cls, x, t):
    loss = cls()
    loss(x, t)
    first = loss.backward(retain_graph=True)
    np.testing.assert_array_equal(loss.backward(), first)  # kept by retain_graph=True
    with pytest.raises(RuntimeError, match=rf"^{cls.__name__}: backward called a second time after one forward; "):
        loss.backward()
    loss(x, t)  # a new forward: one more backward
    np.testing.assert_array_equal(loss.backward(), first)


def test_one_hot_targets_get_a_hint():
    with pytest.raises(
        ValueError, match=r"got dtype float64 and shape \(6, 4\) \(for one-hot targets Y, pass Y\.argmax\(axis=1\)\)$"
    ):
        nnkit.CrossEntropyLoss()(LOGITS, np.eye(4)[LABELS])
