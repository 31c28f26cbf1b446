"""Tests for nnkit/models.py: CharTransformer and sinusoidal_positions."""

import numpy as np
import pytest

import nnkit
from nnkit.models import CharTransformer, sinusoidal_positions

V, BLOCK, D = 11, 8, 16


def tokens(n=3, t=6, seed=0):
    return np.random.default_rng(seed).integers(0, V, size=(n, t))


def small(**kwargs):
    kwargs = {"d_model": D, "nhead": 4, "num_layers": 2, "dim_feedforward": 32, "rng": 0, "dtype": np.float64} | kwargs
    return CharTransformer(V, BLOCK, **kwargs)


def torch_twin(torch, model, norm_first=True, positions="learned", activation="relu"):
    """The same model written with torch.nn, loaded with nnkit's state dict (the keys are the same)."""
    nn = torch.nn

    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok_emb = nn.Embedding(V, D)
            self.pos_emb = nn.Embedding(BLOCK, D) if positions == "learned" else None
            layer = nn.TransformerEncoderLayer(D, 4, 32, 0.0, activation, batch_first=True, norm_first=norm_first)
            norm = nn.LayerNorm(D) if norm_first else None
            self.encoder = nn.TransformerEncoder(layer, 2, norm=norm, enable_nested_tensor=False)
            self.head = nn.Linear(D, V)

        def forward(self, idx):
            t = idx.shape[1]
            pos = (
                self.pos_emb(torch.arange(t))
                if self.pos_emb is not None
                else torch.from_numpy(sinusoidal_positions(BLOCK, D, dtype=np.float64)[:t])
            )
            mask = torch.from_numpy(np.triu(np.ones((t, t), dtype=bool), 1))
            return self.head(self.encoder(self.tok_emb(idx) + pos, mask=mask, is_causal=True))

    twin = Twin().double()
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    return twin


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"norm_first": False}, {"positions": "sinusoidal"}, {"activation": "gelu"}],
    ids=["pre-norm", "post-norm", "sinusoidal", "gelu"],
)
def test_logits_and_every_parameter_gradient_match_torch(torch, kwargs):
    model = small(**kwargs)
    for p in model.parameters():  # the blocks start equal (PyTorch copies the layer): make them differ
        p.data[...] += np.random.default_rng(p.size).normal(size=p.shape) * 0.1
    twin = torch_twin(torch, model, **kwargs)
    assert list(model.state_dict()) == list(twin.state_dict())
    idx = tokens()
    logits = twin(torch.from_numpy(idx))
    dy = np.random.default_rng(5).normal(size=logits.shape)
    logits.backward(torch.from_numpy(dy))
    np.testing.assert_allclose(model(idx), logits.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert model.backward(dy) is None
    params = dict(model.named_parameters())
    for name, p in twin.named_parameters():
        np.testing.assert_allclose(params[name].grad, p.grad.numpy(), rtol=1e-8, atol=1e-11, err_msg=name)


def test_a_position_sees_only_the_tokens_before_it():
    model = small()
    idx = tokens(t=BLOCK)
    later = idx.copy()
    later[:, 5:] = (later[:, 5:] + 1) % V
    np.testing.assert_allclose(model(later)[:, :5], model(idx)[:, :5], rtol=1e-12)
    assert not np.allclose(model(later)[:, 5:], model(idx)[:, 5:])


def test_loss_at_initialization_is_near_log_vocab_and_training_lowers_it():
    model = CharTransformer(V, BLOCK, d_model=D, nhead=2, num_layers=1, dim_feedforward=32, rng=0)
    idx = np.tile(np.arange(BLOCK) % V, (4, 1))  # a fixed sequence: easy to learn
    x, y = idx[:, :-1], idx[:, 1:].ravel()
    loss = nnkit.CrossEntropyLoss()
    opt = nnkit.optim.Adam(model.parameters(), lr=1e-2)
    first = loss(model(x).reshape(-1, V), y)
    assert abs(first - np.log(V)) < 1.5
    for _ in range(60):
        opt.zero_grad()
        loss(model(x).reshape(-1, V), y)
        model.backward(loss.backward().reshape(4, BLOCK - 1, V))
        opt.step()
    assert loss(model(x).reshape(-1, V), y) < 0.05


def test_sinusoidal_positions_are_distinct_and_bounded():
    codes = sinusoidal_positions(64, 16, dtype=np.float64)
    assert codes.shape == (64, 16) and np.abs(codes).max() <= 1
    np.testing.assert_allclose(codes[:, 0], np.sin(np.arange(64)))
    np.testing.assert_allclose(codes[:, 1], np.cos(np.arange(64)))
    gaps = np.linalg.norm(codes[:, None] - codes[None], axis=-1) + np.eye(64)
    assert gaps.min() > 0.1  # no two positions share a code
    assert sinusoidal_positions(3, 5).shape == (3, 5)  # an odd width works too


def test_errors_name_the_model_and_what_it_expected():
    model = small()
    with pytest.raises(
        ValueError, match=r"expected integer tokens of shape \(N, T\) with 1 <= T <= 8, got shape \(2, 9\)"
    ):
        model(np.zeros((2, 9), dtype=np.int64))
    with pytest.raises(ValueError, match=r"got shape \(2, 3\) and dtype float64"):
        model(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="positions 'learned', 'sinusoidal' or 'none', got 'rotary'"):
        small(positions="rotary")


# --- the shipped weights ----------------------------------------------------------------------------


def test_the_shipped_names_model_gives_the_losses_its_training_run_logged():
    from nnkit.models import language_model_loss, load_pretrained

    model, log = load_pretrained("names")
    assert not model.training and log["task"] == "names" and log["vocab"] == nnkit.data.NAMES_VOCAB
    assert model.num_parameters() == log["parameters"]
    _, validation, test = nnkit.data.load_names()
    for name, names in (("val_loss", validation), ("test_loss", test)):
        assert language_model_loss(model, *nnkit.data.encode_names(names, log["config"]["block_size"])) == (
            pytest.approx(log[name], abs=1e-5)
        )
    assert log["test_loss"] <= 2.0  # issue 13's target
    assert min(h["val_loss"] for h in log["history"]) == pytest.approx(log["val_loss"], abs=2e-3)  # float16


def test_the_shipped_shakespeare_model_gives_the_validation_loss_its_run_logged():
    from nnkit.models import language_model_loss, load_pretrained

    model, log = load_pretrained("shakespeare")
    _, validation = nnkit.data.load_shakespeare()
    ids = np.array([log["vocab"].index(ch) for ch in validation])
    t = log["config"]["block_size"]
    chunks = (len(ids) - 1) // t
    X, Y = ids[: chunks * t].reshape(chunks, t), ids[1 : chunks * t + 1].reshape(chunks, t)
    assert language_model_loss(model, X, Y) == pytest.approx(log["val_loss"], abs=1e-5)
    assert log["val_loss"] < 2.2  # far below the bigram's 2.48


def test_load_pretrained_refuses_an_unknown_task_and_a_changed_file(monkeypatch):
    from nnkit import models

    with pytest.raises(ValueError, match="load_pretrained expected one of .*'names'.*, got 'poems'"):
        models.load_pretrained("poems")
    monkeypatch.setitem(models.PRETRAINED, "names", {**models.PRETRAINED["names"], "npz": "0" * 64})
    with pytest.raises(RuntimeError, match="names_transformer.npz is corrupted or was changed"):
        models.load_pretrained("names")


def test_without_positions_the_model_is_the_sinusoidal_one_minus_the_codes():
    idx = tokens()
    blind, sinus = small(positions="none"), small(positions="sinusoidal")
    assert blind.num_parameters() == sinus.num_parameters() == small().num_parameters() - BLOCK * D
    sinus._codes[:] = 0
    np.testing.assert_array_equal(blind(idx), sinus(idx))  # the same draws from rng, and no codes added
    # order reaches the model only through the causal mask: the first block's last position sees a set
    a, b = np.array([[0, 1, 2, 3]]), np.array([[0, 2, 1, 3]])
    one_block = CharTransformer(V, BLOCK, d_model=D, nhead=4, num_layers=1, dim_feedforward=32, positions="none",
                                rng=0, dtype=np.float64)  # fmt: skip
    np.testing.assert_allclose(one_block(a)[0, -1], one_block(b)[0, -1], rtol=1e-12)
    assert not np.allclose(blind(a)[0, -1], blind(b)[0, -1])  # two blocks recover some order


# --- generate and attention_weights ---------------------------------------------------------------


def test_generate_samples_from_the_softmax_reads_the_last_block_and_stops():
    model = small(dtype=None)
    start = np.zeros((3, 1), dtype=np.int64)
    a = model.generate(start, 12, rng=0)
    assert a.shape == (3, 13) and a.dtype == np.int64 and (a[:, 0] == 0).all() and a.max() < V
    np.testing.assert_array_equal(a, model.generate(start, 12, rng=0))  # seeded
    # a tiny temperature is the argmax, step by step, over the last block_size tokens
    greedy = model.generate(start, 10, temperature=1e-6, rng=1)
    for t in range(1, greedy.shape[1]):
        context = greedy[:, max(0, t - BLOCK) : t]
        np.testing.assert_array_equal(greedy[:, t], model(context)[:, -1].argmax(axis=1))
    # the first draw follows the softmax: many rows, the frequencies approach the probabilities
    many = model.generate(np.zeros((4000, 1), dtype=np.int64), 1, rng=2)[:, 1]
    p = nnkit.functional.softmax(model(np.zeros((1, 1), dtype=np.int64))[0, -1].astype(np.float64))
    np.testing.assert_allclose(np.bincount(many, minlength=V) / 4000, p, atol=0.03)
    stopped = model.generate(start, 12, rng=0, stop_token=int(a[0, 1]))
    row = stopped[0]
    assert (row[1:] == row[1]).all()  # row 0 drew the stop token first, then keeps it
    assert model.training  # the mode is restored
    with pytest.raises(ValueError, match="temperature to be a finite real number > 0, got 0.0"):
        model.generate(start, 1, temperature=0.0)


def test_attention_weights_are_the_ones_each_block_uses():
    model = small()
    idx = tokens(n=2, t=5)
    w = model.attention_weights(idx)
    assert w.shape == (2, 2, 4, 5, 5)
    np.testing.assert_allclose(w.sum(-1), 1, rtol=1e-12)
    assert not np.triu(w, 1).any()  # causal
    x = model.tok_emb(idx) + model.pos_emb(np.arange(5))  # block by block, by hand
    for layer, maps in zip(model.encoder.layers, w):
        h = layer.norm1(x)
        _, expected = layer.self_attn(h, h, h, is_causal=True, average_attn_weights=False)
        np.testing.assert_allclose(maps, expected, rtol=1e-12)
        x = layer(x, is_causal=True)
    assert not any(layer.self_attn.__dict__.get("_forward_hooks") for layer in model.encoder.layers)
