"""Tests for nnkit/transformer.py: TransformerEncoderLayer."""

import copy

import numpy as np
import pytest

import nnkit
from nnkit.gradcheck import gradcheck, numerical_gradient

D, HEADS, FF = 8, 2, 16


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def make(norm_first=False, activation="relu", dropout=0.0, batch_first=True, bias=True):
    layer = nnkit.TransformerEncoderLayer(
        D,
        HEADS,
        FF,
        dropout,
        activation,
        batch_first=batch_first,
        norm_first=norm_first,
        bias=bias,
        rng=0,
        dtype=np.float64,
    )
    for p in layer.parameters():  # norms start at (1, 0) and attention biases at 0: make every parameter matter
        p.data[...] += normal(*p.shape, seed=p.size) * 0.3
    return layer


def masks(kind, n=3, s=5):
    padding = np.zeros((n, s), dtype=bool)
    padding[0, -2:] = padding[n - 1, -1] = True
    return {
        "none": {},
        "causal": {"is_causal": True},
        "padding": {"src_key_padding_mask": padding},
        "float": {"src_mask": normal(s, s, seed=4)},
        "causal+padding": {"is_causal": True, "src_key_padding_mask": padding},
    }[kind]


def torch_kwargs(torch, kwargs, s=5):
    out = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    if out.get("is_causal"):  # PyTorch wants the mask as well as the hint; nnkit builds it
        out["src_mask"] = torch.from_numpy(np.triu(np.ones((s, s), dtype=bool), 1))
    return out


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("mask", ["none", "causal", "padding", "float", "causal+padding"])
def test_forward_backward_and_every_parameter_gradient_match_torch(torch, mask, norm_first, activation, batch_first):
    layer = make(norm_first, activation, batch_first=batch_first)
    ref = torch.nn.TransformerEncoderLayer(
        D, HEADS, FF, 0.0, activation, batch_first=batch_first, norm_first=norm_first
    ).double()
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    x = normal(3, 5, D, seed=1) if batch_first else normal(5, 3, D, seed=1)
    kwargs = masks(mask)
    for step in range(2):  # gradients accumulate in both
        xt = torch.tensor(x + step, requires_grad=True)
        yt = ref(xt, **torch_kwargs(torch, kwargs))
        dy = normal(*x.shape, seed=10 + step)
        yt.backward(torch.from_numpy(dy))
        np.testing.assert_allclose(layer(x + step, **kwargs), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.backward(dy), xt.grad.numpy(), rtol=1e-8, atol=1e-11)
        params = dict(layer.named_parameters())
        for name, p in ref.named_parameters():
            np.testing.assert_allclose(params[name].grad, p.grad.numpy(), rtol=1e-8, atol=1e-11, err_msg=name)


@pytest.mark.parametrize("dropout", [0.0, 0.2])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_gradcheck(norm_first, dropout):
    layer = make(norm_first, "gelu", dropout=dropout)
    x = normal(2, 4, D, seed=3)
    # causal; every copy draws the same dropout masks. tol 1e-5: a few tiny entries among ~700 meet finite
    # differences' round-off (the torch oracle above agrees to 1e-8)
    report = gradcheck(layer, x, None, None, True, tol=1e-5)
    assert len(report.errors) == 1 + len(list(layer.parameters()))
    # The key bias's gradient is exactly 0 (it adds a constant to each row of scores, and softmax ignores
    # that), so its relative error compares two round-off noises: check that block with an absolute tolerance.
    key_bias = report.errors.pop("self_attn.in_proj_bias")
    assert report.ok, str(report)
    twin = copy.deepcopy(layer)
    twin(x, None, None, True)
    twin.backward(np.ones_like(x))
    bias = layer.self_attn.in_proj_bias

    def loss(value):
        saved, bias.data = bias.data, value
        try:
            return float(copy.deepcopy(layer)(x, None, None, True).sum())
        finally:
            bias.data = saved

    analytic = twin.self_attn.in_proj_bias.grad
    np.testing.assert_allclose(analytic, numerical_gradient(loss, bias.data), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(analytic[D : 2 * D], 0, atol=1e-12)
    assert key_bias > 1e-6  # what the relative error would have said


def test_state_dict_has_torchs_keys_and_shapes_and_loads_its_weights(torch):
    ref = torch.nn.TransformerEncoderLayer(16, 4, 32, batch_first=True).double().eval()
    layer = nnkit.TransformerEncoderLayer(16, 4, 32, batch_first=True, rng=0)
    assert list(layer.state_dict()) == list(ref.state_dict())
    layer.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    x = normal(2, 7, 16, seed=2)
    with torch.no_grad():
        expected = ref(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(layer.eval()(x), expected, rtol=1e-5, atol=1e-5)  # float32 against float64


def test_a_causal_stack_is_a_decoder_only_model():
    layers = [make(norm_first=True), make(norm_first=False)]
    x = normal(2, 6, D, seed=5)
    later = x.copy()
    later[:, 4:] += 1.0

    def run(inp):
        for layer in layers:
            inp = layer(inp, is_causal=True)
        return inp

    np.testing.assert_allclose(run(later)[:, :4], run(x)[:, :4], rtol=1e-12)  # no position sees the future
    assert not np.allclose(run(later)[:, 4:], run(x)[:, 4:])


def test_dropout_is_off_in_eval():
    layer = make(dropout=0.5)
    x = normal(2, 4, D, seed=6)
    assert not np.allclose(layer(x), layer(x))  # training: fresh masks each call
    layer.eval()
    np.testing.assert_array_equal(layer(x), layer(x))


def test_unbatched_input_and_activation_module():
    layer = nnkit.TransformerEncoderLayer(D, HEADS, FF, 0.0, nnkit.GELU(approximate="tanh"), rng=0)
    y = layer(normal(5, D, seed=7))
    assert y.shape == (5, D) and y.dtype == np.float32
    assert layer.backward(np.ones((5, D))).shape == (5, D)


def test_errors_name_the_layer_and_what_it_expected():
    with pytest.raises(
        ValueError, match="expected activation 'relu', 'gelu' or an nnkit activation module, got 'tanh'"
    ):
        nnkit.TransformerEncoderLayer(D, HEADS, activation="tanh")
    with pytest.raises(ValueError, match="embed_dim divisible by num_heads, got 8 and 3"):
        nnkit.TransformerEncoderLayer(D, 3)
    layer = nnkit.TransformerEncoderLayer(D, HEADS, FF, batch_first=True)
    with pytest.raises(
        ValueError,
        match=r"TransformerEncoderLayer\(8, nhead=2\) expected src of shape \(N, S, E\) or \(S, E\) with E=8, "
        r"got shape \(2, 3, 4\)",
    ):
        layer(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"expected attn_mask of shape \(3, 3\)"):
        layer(np.zeros((2, 3, D)), src_mask=np.zeros((2, 2), dtype=bool))
    layer(np.zeros((2, 3, D)))
    with pytest.raises(ValueError, match=r"backward expected grad_output of shape \(2, 3, 8\)"):
        layer.backward(np.zeros((3, 2, D)))


# --- TransformerEncoder ---------------------------------------------------------------------------


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_encoder_stack_matches_torch(torch, norm_first):
    layer = nnkit.TransformerEncoderLayer(
        D, HEADS, FF, 0.0, "gelu", batch_first=True, norm_first=norm_first, rng=0, dtype=np.float64
    )
    stack = nnkit.TransformerEncoder(layer, 3, norm=nnkit.LayerNorm(D, dtype=np.float64))
    for p in stack.parameters():  # the copies start equal, as in PyTorch: make them differ
        p.data[...] += normal(*p.shape, seed=p.size + id(p) % 97) * 0.3
    ref_layer = torch.nn.TransformerEncoderLayer(D, HEADS, FF, 0.0, "gelu", batch_first=True, norm_first=norm_first)
    ref = torch.nn.TransformerEncoder(ref_layer, 3, norm=torch.nn.LayerNorm(D), enable_nested_tensor=False).double()
    assert list(stack.state_dict()) == list(ref.state_dict())
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in stack.state_dict().items()})
    x = normal(2, 5, D, seed=1)
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt, mask=torch.from_numpy(np.triu(np.ones((5, 5), dtype=bool), 1)), is_causal=True)
    dy = normal(2, 5, D, seed=2)
    yt.backward(torch.from_numpy(dy))
    np.testing.assert_allclose(stack(x, is_causal=True), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(stack.backward(dy), xt.grad.numpy(), rtol=1e-8, atol=1e-11)
    params = dict(stack.named_parameters())
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(params[name].grad, p.grad.numpy(), rtol=1e-8, atol=1e-11, err_msg=name)


def test_encoder_copies_the_layer_as_torch_does():
    layer = nnkit.TransformerEncoderLayer(D, HEADS, FF, batch_first=True, rng=0)
    stack = nnkit.TransformerEncoder(layer, 2)
    a, b = stack.layers
    assert a is not b and a is not layer
    np.testing.assert_array_equal(a.linear1.weight.data, b.linear1.weight.data)  # equal at the start
    a.linear1.weight.data += 1
    assert not np.array_equal(a.linear1.weight.data, b.linear1.weight.data)  # but not shared
    assert stack.norm is None and stack.num_parameters() == 2 * layer.num_parameters()
    with pytest.raises(TypeError, match="expected encoder_layer to be a TransformerEncoderLayer, got Linear"):
        nnkit.TransformerEncoder(nnkit.Linear(2, 2), 2)
    with pytest.raises(ValueError, match="num_layers to be an integer >= 1, got 0"):
        nnkit.TransformerEncoder(layer, 0)
