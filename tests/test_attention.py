"""Tests for nnkit/attention.py: MultiheadAttention."""

import copy

import numpy as np
import pytest

import nnkit
from nnkit.gradcheck import numerical_gradient, rel_error

E, H = 8, 2


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def make(batch_first=True, **kwargs):
    mha = nnkit.MultiheadAttention(E, H, batch_first=batch_first, rng=0, dtype=np.float64, **kwargs)
    for p in mha.parameters():  # biases are 0 at initialization: make them matter
        p.data[...] = normal(*p.shape, seed=p.size) * 0.5
    return mha


def inputs(batch_first=True, n=3, length=4, source=5, seed=0, unbatched=False):
    def shaped(t):
        return (t, E) if unbatched else (n, t, E) if batch_first else (t, n, E)

    return (
        normal(*shaped(length), seed=seed),
        normal(*shaped(source), seed=seed + 1),
        normal(*shaped(source), seed=seed + 2),
    )


MASKS = ["none", "bool", "float", "per-head", "padding", "padding-float", "causal", "both"]


def masks(kind, n=3, length=4, source=5):
    """Keyword arguments for the mask ``kind`` (PyTorch's rule: boolean True = may NOT attend)."""
    rng = np.random.default_rng(7)
    blocked = rng.random((length, source)) < 0.3
    blocked[:, 0] = False  # every query keeps a key
    padding = np.zeros((n, source), dtype=bool)
    padding[0, -2:] = padding[n - 1, -1] = True
    return {
        "none": {},
        "bool": {"attn_mask": blocked},
        "float": {"attn_mask": rng.normal(size=(length, source))},
        "per-head": {"attn_mask": rng.normal(size=(n * H, length, source))},
        "padding": {"key_padding_mask": padding},
        "padding-float": {"key_padding_mask": np.where(padding, -1e9, 0.0)},
        "causal": {"is_causal": True},
        "both": {"attn_mask": blocked, "key_padding_mask": padding},
    }[kind]


def torch_twin(torch, mha):
    ref = torch.nn.MultiheadAttention(E, H, batch_first=mha.batch_first, bias=mha.in_proj_bias is not None).double()
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in mha.state_dict().items()})
    return ref


def torch_kwargs(torch, kwargs, length=4, source=5):
    out = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    if out.get("is_causal"):  # PyTorch wants the mask as well; nnkit builds it
        out["attn_mask"] = torch.from_numpy(np.triu(np.ones((length, source), dtype=bool), 1))
    return out


@pytest.mark.parametrize("average", [True, False])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("mask", MASKS)
def test_forward_and_backward_match_torch(torch, mask, batch_first, average):
    mha = make(batch_first)
    ref = torch_twin(torch, mha)
    q, k, v = inputs(batch_first)
    kwargs = masks(mask)
    ts = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out_t, w_t = ref(*ts, average_attn_weights=average, **torch_kwargs(torch, kwargs))
    dy = normal(*out_t.shape, seed=9)
    out_t.backward(torch.from_numpy(dy))
    out, w = mha(q, k, v, average_attn_weights=average, **kwargs)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w, w_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, theirs in zip(mha.backward(dy), ts, strict=True):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(dict(mha.named_parameters())[name].grad, p.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("bias", [True, False])
def test_self_attention_and_unbatched_match_torch(torch, bias):
    mha = nnkit.MultiheadAttention(E, H, bias=bias, rng=1, dtype=np.float64)
    ref = torch_twin(torch, mha)
    x = normal(6, E, seed=3)  # unbatched (L, E), the same array as query, key and value
    xt = torch.tensor(x, requires_grad=True)
    out_t, w_t = ref(xt, xt, xt)
    dy = normal(6, E, seed=4)
    out_t.backward(torch.from_numpy(dy))
    out, w = mha(x, x, x)
    assert out.shape == (6, E) and w.shape == (6, 6)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w, w_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sum(mha.backward(dy)), xt.grad.numpy(), rtol=1e-9, atol=1e-12)  # the caller adds
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(dict(mha.named_parameters())[name].grad, p.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_fully_masked_query_gives_nan_as_torch(torch):
    mha = make()
    ref = torch_twin(torch, mha)
    q, k, v = inputs()
    blocked = np.zeros((4, 5), dtype=bool)
    blocked[2] = True
    out, w = mha(q, k, v, attn_mask=blocked)
    out_t, w_t = ref(*(torch.from_numpy(a) for a in (q, k, v)), attn_mask=torch.from_numpy(blocked))
    assert np.isnan(out[:, 2]).all() and np.isnan(out_t.detach().numpy()[:, 2]).all()
    np.testing.assert_allclose(np.delete(out, 2, axis=1), np.delete(out_t.detach().numpy(), 2, axis=1), rtol=1e-10)


@pytest.mark.parametrize("mask", ["none", "bool", "padding", "causal"])
def test_gradients_match_finite_differences(mask):
    mha = make()
    q, k, v = inputs(n=2, length=3, source=4)
    kwargs = masks(mask, n=2, length=3, source=4)
    r = normal(2, 3, E, seed=11)

    def loss(q=q, k=k, v=v):
        return float(np.sum(copy.deepcopy(mha)(q, k, v, **kwargs)[0] * r))

    probe = copy.deepcopy(mha)
    probe(q, k, v, **kwargs)
    dq, dk, dv = probe.backward(r)
    assert rel_error(dq, numerical_gradient(lambda a: loss(q=a), q)) < 1e-6
    assert rel_error(dk, numerical_gradient(lambda a: loss(k=a), k)) < 1e-6
    assert rel_error(dv, numerical_gradient(lambda a: loss(v=a), v)) < 1e-6
    analytic = dict(probe.named_parameters())
    for name, p in mha.named_parameters():

        def of_param(value, p=p):
            saved, p.data = p.data, value
            try:
                return loss()
            finally:
                p.data = saved

        # atol: the key bias's gradient is exactly 0 (a constant added to a row of scores), so relative error is noise
        np.testing.assert_allclose(analytic[name].grad, numerical_gradient(of_param, p.data), rtol=1e-6, atol=1e-8)


def test_dropout_on_the_weights_in_training_only_and_its_backward_is_exact():
    mha = make(dropout=0.4)
    q, k, v = inputs(n=2, length=3, source=4)
    r = normal(2, 3, E, seed=12)
    twin = copy.deepcopy(mha)  # the same rng state: the same dropout mask
    out, w = twin(q, k, v, average_attn_weights=False)
    assert (w == 0).any() and not np.allclose(w.sum(-1), 1)  # dropped and rescaled by 1/(1 - p)
    dq = twin.backward(r)[0]
    numeric = numerical_gradient(lambda a: float(np.sum(copy.deepcopy(mha)(a, k, v)[0] * r)), q)
    assert rel_error(dq, numeric) < 1e-6
    mha.eval()
    _, w = mha(q, k, v)
    np.testing.assert_allclose(w.sum(-1), 1)


def test_is_causal_alone_builds_the_causal_mask_and_output_ignores_the_future():
    mha = make()
    x = normal(2, 5, E, seed=2)
    out, w = mha(x, x, x, is_causal=True)
    np.testing.assert_array_equal(np.triu(w[0], 1), 0)
    np.testing.assert_allclose(out, mha(x, x, x, attn_mask=np.triu(np.ones((5, 5), dtype=bool), 1))[0], rtol=1e-14)
    later = x.copy()
    later[:, 3:] += 1.0  # change the last two positions
    np.testing.assert_allclose(mha(later, later, later, is_causal=True)[0][:, :3], out[:, :3], rtol=1e-12)


def test_need_weights_false_returns_none():
    mha = make()
    q, k, v = inputs()
    out, w = mha(q, k, v, need_weights=False)
    assert w is None and out.shape == (3, 4, E)


def test_self_attention_backward_is_the_sum_of_the_three():
    mha = make()
    x = normal(2, 4, E, seed=5)
    dy = normal(2, 4, E, seed=6)
    twin = copy.deepcopy(mha)
    mha(x, x, x)
    fused = mha._self_attention_backward(dy)
    twin(x, x, x.copy())  # not the same array: the general path
    np.testing.assert_allclose(fused, sum(twin.backward(dy)), rtol=1e-12)
    for (name, a), (_, b) in zip(mha.named_parameters(), twin.named_parameters(), strict=True):
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12, err_msg=name)
    with pytest.raises(RuntimeError, match="backward called a second time"):
        mha._self_attention_backward(dy)


def test_initialization_and_state_dict_are_torchs(torch):
    mha = nnkit.MultiheadAttention(64, 4, rng=0)
    ref = torch.nn.MultiheadAttention(64, 4)
    assert list(mha.state_dict()) == list(ref.state_dict())
    for name, value in ref.state_dict().items():
        assert mha.state_dict()[name].shape == tuple(value.shape), name
    assert not mha.in_proj_bias.data.any() and not mha.out_proj.bias.data.any()
    bound = np.sqrt(6 / (64 + 3 * 64))  # Xavier-uniform on (3E, E)
    w = mha.in_proj_weight.data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(mha.out_proj.weight.data).max() <= 1 / 8  # Linear's U(-1/sqrt(E), 1/sqrt(E))
    assert mha.in_proj_weight.dtype == np.float32


def test_parameter_gradients_accumulate():
    mha = make()
    q, k, v = inputs()
    dy = normal(3, 4, E, seed=3)
    mha(q, k, v)
    mha.backward(dy)
    once = mha.in_proj_weight.grad.copy()
    mha(q, k, v)
    mha.backward(dy)
    np.testing.assert_allclose(mha.in_proj_weight.grad, 2 * once)


def test_errors_name_the_module_and_what_it_expected():
    with pytest.raises(ValueError, match="MultiheadAttention expected embed_dim divisible by num_heads, got 10 and 3"):
        nnkit.MultiheadAttention(10, 3)
    mha = make()
    q, k, v = inputs()
    with pytest.raises(
        ValueError, match=r"MultiheadAttention\(8, heads=2\) expected query of shape \(N, T, E\) with E=8"
    ):
        mha(q[..., :4], k, v)
    with pytest.raises(ValueError, match="expected key and value with the same length S"):
        mha(q, k, v[:, :3])
    with pytest.raises(ValueError, match=r"expected attn_mask of shape \(4, 5\), got shape \(5, 4\)"):
        mha(q, k, v, attn_mask=np.zeros((5, 4), dtype=bool))
    with pytest.raises(ValueError, match=r"expected key_padding_mask of shape \(3, 5\), got shape \(3, 4\)"):
        mha(q, k, v, key_padding_mask=np.zeros((3, 4), dtype=bool))
    with pytest.raises(TypeError, match="boolean or floating-point attn_mask, got dtype int64"):
        mha(q, k, v, attn_mask=np.zeros((4, 5), dtype=np.int64))
    mha(q, k, v)
    with pytest.raises(ValueError, match=r"backward expected grad_output of shape \(3, 4, 8\), got shape \(4, 3, 8\)"):
        mha.backward(np.zeros((4, 3, 8)))
