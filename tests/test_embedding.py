"""Tests for nnkit/embedding.py: Embedding."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import nnkit
from nnkit.embedding import Embedding
from nnkit.gradcheck import numerical_gradient, rel_error


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def naive_weight_grad(num, dim, x, dy, padding_idx=None):
    """One loop over the positions: the definition, written as plainly as possible."""
    grad = np.zeros((num, dim))
    for position in np.ndindex(x.shape):
        if x[position] != padding_idx:
            grad[x[position]] += dy[position]
    return grad


def test_forward_is_a_row_lookup_for_any_input_shape():
    emb = Embedding(10, 4, rng=0)
    x = np.array([[[3, 1], [1, 9]], [[0, 0], [7, 3]]])
    y = emb(x)
    assert y.shape == (2, 2, 2, 4) and y.dtype == np.float32
    for position in np.ndindex(x.shape):
        np.testing.assert_array_equal(y[position], emb.weight.data[x[position]])
    assert emb(np.int32(5)).shape == (4,)  # a 0-d index, as in PyTorch
    assert emb(np.zeros((3, 0), dtype=np.int64)).shape == (3, 0, 4)


def test_default_init_is_pytorchs_standard_normal_with_the_padding_row_zeroed():
    emb = Embedding(1000, 64, padding_idx=7, rng=0)
    w = np.delete(emb.weight.data, 7, axis=0)
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01
    np.testing.assert_array_equal(emb.weight.data[7], 0)
    assert emb.weight.dtype == np.float32
    assert Embedding(5, 3, dtype=np.float64).weight.dtype == np.float64


def test_same_seed_same_weights_and_numpys_global_rng_untouched():
    state = np.random.get_state()[1].copy()
    a, b = Embedding(20, 3, rng=5), Embedding(20, 3, rng=5)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert not np.array_equal(a.weight.data, Embedding(20, 3, rng=6).weight.data)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_gradient_accumulates_for_repeated_indices_and_backward_returns_none():
    emb = Embedding(6, 3, rng=0, dtype=np.float64)
    x = np.array([[1, 4, 1], [1, 0, 4]])
    dy = normal(2, 3, 3)
    emb(x)
    assert emb.backward(dy) is None
    np.testing.assert_allclose(emb.weight.grad, naive_weight_grad(6, 3, x, dy), rtol=1e-14)
    np.testing.assert_allclose(emb.weight.grad[1], dy[0, 0] + dy[0, 2] + dy[1, 0])  # index 1 appears 3 times
    np.testing.assert_array_equal(emb.weight.grad[[2, 3, 5]], 0)  # never looked up


def test_gradients_accumulate_across_backward_passes_and_input_grad_false_is_accepted():
    emb = Embedding(5, 2, rng=0, dtype=np.float64)
    x, dy = np.array([0, 3, 3]), normal(3, 2)
    emb(x)
    emb.backward(dy)
    once = emb.weight.grad.copy()
    emb(x)
    assert emb.backward(dy, input_grad=False) is None
    np.testing.assert_allclose(emb.weight.grad, 2 * once)


@pytest.mark.parametrize(("padding_idx", "row"), [(2, 2), (-1, 4), (-5, 0)])
def test_the_padding_row_gets_no_gradient_and_negative_padding_idx_counts_from_the_end(padding_idx, row):
    emb = Embedding(5, 3, padding_idx=padding_idx, rng=0, dtype=np.float64)
    assert emb.padding_idx == row
    np.testing.assert_array_equal(emb.weight.data[row], 0)
    emb.weight.grad[row] = 0.5  # what an earlier step left there stays as it was
    x = np.array([[row, 1, row], [3, row, 1]])
    dy = normal(2, 3, 3)
    emb(x)
    emb.backward(dy)
    expected = naive_weight_grad(5, 3, x, dy, padding_idx=row)
    expected[row] = 0.5
    np.testing.assert_allclose(emb.weight.grad, expected, rtol=1e-14)
    assert emb.weight.grad[1].any()


def test_a_strided_grad_array_still_receives_the_gradient():
    emb = Embedding(4, 3, rng=0, dtype=np.float64)
    emb.weight.grad = np.zeros((3, 4)).T  # not C-contiguous: a flat view of it would be a copy
    x, dy = np.array([2, 2, 0]), normal(3, 3)
    emb(x)
    emb.backward(dy)
    np.testing.assert_allclose(emb.weight.grad, naive_weight_grad(4, 3, x, dy))


@settings(max_examples=40, deadline=None)
@given(
    x=arrays(np.int64, array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5), elements=st.integers(0, 6)),
    padding_idx=st.sampled_from([None, 0, 3, -1]),
)
def test_random_index_arrays_match_the_naive_loop(x, padding_idx):
    emb = Embedding(7, 2, padding_idx=padding_idx, rng=0, dtype=np.float64)
    y = emb(x)
    assert y.shape == (*x.shape, 2)
    dy = normal(*y.shape)
    emb.backward(dy)
    np.testing.assert_allclose(emb.weight.grad, naive_weight_grad(7, 2, x, dy, emb.padding_idx), atol=1e-14)


def test_weight_gradient_matches_finite_differences_in_float64():
    emb = Embedding(6, 3, padding_idx=2, rng=0, dtype=np.float64)
    x = np.array([[0, 2, 5], [5, 5, 1]])
    r = normal(2, 3, 3, seed=1)

    def loss(weight):
        saved, emb.weight.data = emb.weight.data, weight
        try:
            return float((emb(x) * r).sum())
        finally:
            emb.weight.data = saved

    numeric = numerical_gradient(loss, emb.weight.data)
    numeric[2] = 0  # the padding row: PyTorch (and nnkit) give it no gradient, whatever the maths says
    emb(x)
    emb.backward(r)
    assert rel_error(emb.weight.grad, numeric) < 1e-8


def test_embedding_in_sequential_trains_with_fit():
    """Embedding -> Flatten -> Linear: a context of 2 tokens predicts a class; Sequential and fit call
    backward with input_grad=False, which the first layer must accept."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 5, size=(64, 2))
    y = X[:, 0] % 3  # the first token decides the class
    nnkit.manual_seed(0)
    model = nnkit.Sequential(Embedding(5, 4), nnkit.Flatten(), nnkit.Linear(8, 3))
    before = model[0].weight.data.copy()
    history = nnkit.train.fit(
        model,
        nnkit.CrossEntropyLoss(),
        nnkit.optim.Adam(model.parameters(), lr=0.05),
        (X, y),
        epochs=30,
        batch_size=16,
        rng=0,
        progress=False,
    )
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert not np.array_equal(model[0].weight.data, before)
    model(X)
    assert model.backward(np.ones((64, 3), dtype=np.float32)) is None  # no gradient w.r.t. indices


def test_repr_and_state_dict_keys():
    assert repr(Embedding(10, 3)) == "Embedding(10, 3)"
    assert repr(Embedding(10, 3, padding_idx=-1)) == "Embedding(10, 3, padding_idx=9)"
    assert list(Embedding(10, 3).state_dict()) == ["weight"]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: Embedding(5, 3)(np.array([0, 5])),
            IndexError,
            r"Embedding\(5, 3\) expected indices in \[0, 5\), got 5",
        ),
        (lambda: Embedding(5, 3)(np.array([[2, -1]])), IndexError, r"expected indices in \[0, 5\), got -1"),
        (
            lambda: Embedding(5, 3)(np.array([1.0])),
            TypeError,
            r"Embedding\(5, 3\) expected integer indices, got dtype float",
        ),
        (lambda: Embedding(5, 3)(np.array([True])), TypeError, "expected integer indices, got dtype bool"),
        (
            lambda: Embedding(5, 3, padding_idx=5),
            ValueError,
            r"padding_idx in \[-5, 5\) \(within num_embeddings\), got 5",
        ),
        (lambda: Embedding(5, 3, padding_idx=-6), ValueError, "padding_idx in"),
        (lambda: Embedding(0, 3), ValueError, "num_embeddings to be an integer >= 1"),
        (lambda: Embedding(5, 2.0), TypeError, "embedding_dim to be an integer >= 1"),
    ],
)
def test_errors_name_the_layer_and_what_it_expected(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_backward_errors():
    emb = Embedding(5, 3)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        emb.backward(np.zeros((2, 3)))
    emb(np.array([1, 2]))
    with pytest.raises(ValueError, match=r"Embedding\(5, 3\).backward expected grad_output of shape \(2, 3\), got"):
        emb.backward(np.zeros((2, 4)))


# --- PyTorch as the oracle ---------------------------------------------------------------


@pytest.mark.parametrize("padding_idx", [None, 1, -2])
def test_embedding_matches_torch(torch, padding_idx):
    emb = Embedding(7, 4, padding_idx=padding_idx, rng=0, dtype=np.float64)
    ref = torch.nn.Embedding(7, 4, padding_idx=padding_idx).double()
    assert ref.padding_idx == emb.padding_idx
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in emb.state_dict().items()})
    x = np.array([[1, 5, 1, 0], [6, 1, 5, 5], [1, 1, 1, 1]])
    dy = normal(3, 4, 4)
    y = emb(x)
    emb.backward(dy)
    yt = ref(torch.from_numpy(x))
    yt.backward(torch.from_numpy(dy))
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_allclose(emb.weight.grad, ref.weight.grad.numpy(), rtol=1e-13, atol=1e-15)
    assert repr(emb) == repr(ref)


def test_a_torch_state_dict_loads_unchanged(torch):
    torch.manual_seed(0)
    ref = torch.nn.Embedding(9, 5, padding_idx=0)
    emb = Embedding(9, 5, padding_idx=0)
    assert list(emb.state_dict()) == list(ref.state_dict())
    emb.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    x = np.array([[0, 3, 8], [2, 2, 0]])
    with torch.no_grad():
        np.testing.assert_array_equal(emb(x), ref(torch.from_numpy(x)).numpy())
