"""Attention: :class:`MultiheadAttention`, as ``torch.nn.MultiheadAttention``."""

from __future__ import annotations

import math

import numpy as np

from . import init
from ._config import DTypeLike, RngLike, as_float_array, as_float_dtype, as_rng, check_int, check_real
from .functional import _attention_weights, _causal_mask
from .layers import Linear
from .module import _PASS, Module, Parameter


def _additive_mask(mask: np.ndarray | None, shape: tuple[int, ...], name: str, where: str, dt: np.dtype) -> np.ndarray:
    """A boolean mask (True = may NOT attend) or a float mask as the float to add to the scores, checked to have
    ``shape`` (or to broadcast to it)."""
    mask = np.asarray(mask)
    if mask.dtype == bool:
        added = np.where(mask, -np.inf, 0.0).astype(dt)
    elif mask.dtype.kind == "f":
        added = mask.astype(dt, copy=False)
    else:
        raise TypeError(f"{where} expected a boolean or floating-point {name}, got dtype {mask.dtype}")
    if mask.shape != shape:
        raise ValueError(f"{where} expected {name} of shape {shape}, got shape {mask.shape}")
    return added


class MultiheadAttention(Module):
    """Multi-head scaled dot-product attention, as ``torch.nn.MultiheadAttention``.

    With ``E = embed_dim``, ``H = num_heads`` and ``d = E/H``: the input projections
    ``Q = query Wqᵀ + bq``, ``K = key Wkᵀ + bk``, ``V = value Wvᵀ + bv`` (``Wq, Wk, Wv`` are the three
    row blocks of ``in_proj_weight`` (3E, E)); each is split into ``H`` heads of width ``d``; per head
    ``A = softmax(Q Kᵀ/√d + M)`` and ``O = A V``; the heads are concatenated and ``out_proj`` (a
    :class:`~nnkit.Linear`) maps them back to ``E``. Shapes: ``(L, N, E)`` queries and ``(S, N, E)``
    keys and values, or ``(N, L, E)``/``(N, S, E)`` with ``batch_first=True``, or unbatched ``(L, E)``.

    **Mask rule (this module's, PyTorch's):** a *boolean* ``attn_mask`` ((L, S) or (N·H, L, S)) or
    ``key_padding_mask`` ((N, S)) is True where the query may **NOT** attend, the opposite of
    :func:`~nnkit.functional.scaled_dot_product_attention`; a *float* mask is added to the scores.
    ``is_causal=True`` without an ``attn_mask`` builds the causal mask (query ``i`` sees keys
    ``j <= i``); PyTorch asks for the mask as well, and treats ``is_causal`` as a hint about it. A query
    whose keys are all masked gets NaN weights, as in PyTorch.

    ``forward`` returns ``(output, weights)``: ``weights`` are ``A`` averaged over the heads, (N, L, S),
    or per head, (N, H, L, S), with ``average_attn_weights=False``; ``None`` if ``need_weights=False``.
    ``dropout`` drops attention weights in training mode. Not supported: ``kdim``/``vdim`` different from
    ``embed_dim``, ``add_bias_kv``, ``add_zero_attn``.

    Backward, ``backward(grad_output) -> (grad_query, grad_key, grad_value)`` (the gradient of ``output``
    only; ``weights`` are for looking at). Per head, with ``G = dL/dO`` (from ``out_proj``'s backward):
    ``dV = Aᵀ G``, ``dA = G Vᵀ``, ``dS = A ⊙ (dA − rowsum(dA ⊙ A))`` (the softmax's Jacobian),
    ``dQ = dS K/√d``, ``dK = dSᵀ Q/√d``; then ``dWq += dQᵀ query``, ``dbq += Σ dQ``,
    ``grad_query = dQ Wq``, and so for keys and values. For self-attention (``query``, ``key`` and
    ``value`` the same array) the gradient with respect to that array is the **sum** of the three:
    the caller adds them.

    Initialization is PyTorch's: ``in_proj_weight`` Xavier-uniform, ``in_proj_bias`` and ``out_proj.bias``
    zero, ``out_proj.weight`` as a :class:`~nnkit.Linear`'s.

    >>> import numpy as np
    >>> mha = MultiheadAttention(8, 2, batch_first=True, rng=0)
    >>> x = np.random.default_rng(0).normal(size=(3, 5, 8))
    >>> out, w = mha(x, x, x)
    >>> out.shape, w.shape, bool(np.allclose(w.sum(-1), 1))
    ((3, 5, 8), (3, 5, 5), True)
    >>> list(mha.state_dict())
    ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        *,
        batch_first: bool = False,
        rng: RngLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__()
        where = "MultiheadAttention"
        self.embed_dim = check_int(embed_dim, "embed_dim", where, minimum=1)
        self.num_heads = check_int(num_heads, "num_heads", where, minimum=1)
        if embed_dim % num_heads:
            raise ValueError(f"{where} expected embed_dim divisible by num_heads, got {embed_dim} and {num_heads}")
        self.head_dim = embed_dim // num_heads
        self.dropout = check_real(dropout, "dropout", where, 0.0, 1.0)
        self.batch_first = bool(batch_first)
        dt = as_float_dtype(dtype, where)
        gen = as_rng(rng)
        self.in_proj_weight = init.xavier_uniform_(Parameter(np.zeros((3 * embed_dim, embed_dim), dtype=dt)), rng=gen)
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype=dt)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, rng=gen, dtype=dt)
        if bias:
            self.out_proj.bias.data.fill(0)
        self.rng = gen

    def _name(self) -> str:
        return f"MultiheadAttention({self.embed_dim}, heads={self.num_heads})"

    def extra_repr(self) -> str:
        return (
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
            f"batch_first={self.batch_first}"
        )

    def _batch_first(self, x: np.ndarray, name: str, unbatched: bool) -> np.ndarray:
        """``x`` as ``(N, T, E)`` in the parameters' dtype, checked."""
        x = as_float_array(x, self._name())
        layout = "(T, E)" if unbatched else "(N, T, E)" if self.batch_first else "(T, N, E)"
        if x.ndim != (2 if unbatched else 3) or x.shape[-1] != self.embed_dim:
            raise ValueError(
                f"{self._name()} expected {name} of shape {layout} with E={self.embed_dim}"
                f"{' (all three batched, or all unbatched)' if x.ndim in (2, 3) else ''}, got shape {x.shape}"
            )
        x = x.astype(self.in_proj_weight.dtype, copy=False)
        return x[None] if unbatched else x if self.batch_first else x.transpose(1, 0, 2)

    def _heads(self, x: np.ndarray) -> np.ndarray:
        n, t, _ = x.shape
        return x.reshape(n, t, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)

    def forward(
        self,
        query: np.ndarray,
        key: np.ndarray,
        value: np.ndarray,
        key_padding_mask: np.ndarray | None = None,
        need_weights: bool = True,
        attn_mask: np.ndarray | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        unbatched = np.ndim(query) == 2
        self_attention = query is key and key is value
        q_in = self._batch_first(query, "query", unbatched)
        k_in = q_in if self_attention else self._batch_first(key, "key", unbatched)
        v_in = q_in if self_attention else self._batch_first(value, "value", unbatched)
        n, length, e = q_in.shape
        source = k_in.shape[1]
        if k_in.shape[:2] != v_in.shape[:2] or k_in.shape[0] != n:
            raise ValueError(
                f"{self._name()} expected key and value with the same length S and query, key and value with "
                f"the same batch size, got shapes {np.shape(query)}, {np.shape(key)}, {np.shape(value)}"
            )
        w, b = self.in_proj_weight.data, self.in_proj_bias
        if self_attention:  # one product for the three projections; 2-D products (NumPy loops over a 3-D one)
            qkv = (q_in.reshape(-1, e) @ w.T).reshape(n, length, 3 * e)
            q, k, v = qkv[..., :e], qkv[..., e : 2 * e], qkv[..., 2 * e :]
        else:
            q, k, v = (
                (x.reshape(-1, e) @ w[i * e : (i + 1) * e].T).reshape(x.shape) for i, x in enumerate((q_in, k_in, v_in))
            )
        if b is not None:
            q, k, v = q + b.data[:e], k + b.data[e : 2 * e], v + b.data[2 * e :]
        q, k, v = self._heads(q), self._heads(k), self._heads(v)  # (N, H, T, d)
        dt = w.dtype
        scale = dt.type(1.0 / math.sqrt(self.head_dim))
        scores = (q @ k.transpose(0, 1, 3, 2)) * scale  # (N, H, L, S)
        h = self.num_heads
        if attn_mask is None and is_causal:
            attn_mask = ~_causal_mask(length, source)
        if attn_mask is not None:
            mask_shape = (length, source) if np.ndim(attn_mask) == 2 else (n * h, length, source)
            added = _additive_mask(attn_mask, mask_shape, "attn_mask", self._name(), dt)
            scores = scores + (added if added.ndim == 2 else added.reshape(n, h, length, source))
        if key_padding_mask is not None:
            added = _additive_mask(
                key_padding_mask, (source,) if unbatched else (n, source), "key_padding_mask", self._name(), dt
            )
            scores = scores + added.reshape(n, 1, 1, source)
        probs = _attention_weights(scores, zero_empty_rows=False)
        keep, weights = None, probs
        if self.training and self.dropout > 0.0:
            keep = (self.rng.random(probs.shape) >= self.dropout) * dt.type(
                0.0 if self.dropout == 1.0 else 1.0 / (1.0 - self.dropout)
            )
            weights = probs * keep
        heads = weights @ v  # (N, H, L, d)
        concat = heads.transpose(0, 2, 1, 3).reshape(n, length, e)
        out = self.out_proj(concat)
        self.save_for_backward(q_in, k_in, v_in, q, k, v, probs, keep, self_attention, unbatched)
        out = out[0] if unbatched else out if self.batch_first else out.transpose(1, 0, 2)
        if not need_weights:
            return out, None
        shown = weights.mean(axis=1) if average_attn_weights else weights
        return out, shown[0] if unbatched else shown

    def _backward_projected(self, grad_output: np.ndarray) -> tuple[np.ndarray, ...]:
        """The gradients with respect to the projected ``Q, K, V`` (N, T, E), after ``out_proj``'s backward."""
        q_in, _, _, q, k, v, probs, keep, _, unbatched = self.saved_tensors
        dy = np.asarray(grad_output)
        n, length, e = q_in.shape
        expected = (length, e) if unbatched else (n, length, e) if self.batch_first else (length, n, e)
        if dy.shape != expected:
            raise ValueError(f"{self._name()}.backward expected grad_output of shape {expected}, got shape {dy.shape}")
        dy = dy[None] if unbatched else dy if self.batch_first else dy.transpose(1, 0, 2)
        d_heads = self._heads(self.out_proj.backward(dy))  # (N, H, L, d)
        weights = probs if keep is None else probs * keep  # as forward used them, after dropout
        dv = weights.transpose(0, 1, 3, 2) @ d_heads
        d_weights = d_heads @ v.transpose(0, 1, 3, 2)
        if keep is not None:
            d_weights = d_weights * keep
        d_scores = probs * (d_weights - (d_weights * probs).sum(axis=-1, keepdims=True))
        d_scores *= d_scores.dtype.type(1.0 / math.sqrt(self.head_dim))
        dq, dk = d_scores @ k, d_scores.transpose(0, 1, 3, 2) @ q
        merge = lambda g: g.transpose(0, 2, 1, 3).reshape(n, -1, e)  # noqa: E731
        return merge(dq), merge(dk), merge(dv)

    def _add_in_proj_grads(self, inputs: tuple[np.ndarray, ...], grads: tuple[np.ndarray, ...]) -> None:
        e = self.embed_dim
        if inputs[0] is inputs[1] is inputs[2]:  # self-attention: one product for the three blocks
            g3 = np.concatenate(grads, axis=-1).reshape(-1, 3 * e)
            self.in_proj_weight.grad += g3.T @ inputs[0].reshape(-1, e)
            if self.in_proj_bias is not None:
                self.in_proj_bias.grad += g3.sum(axis=0)
            return
        for i, (x, g) in enumerate(zip(inputs, grads, strict=True)):
            g2 = g.reshape(-1, e)
            self.in_proj_weight.grad[i * e : (i + 1) * e] += g2.T @ x.reshape(-1, e)
            if self.in_proj_bias is not None:
                self.in_proj_bias.grad[i * e : (i + 1) * e] += g2.sum(axis=0)

    def _layout(self, g: np.ndarray, unbatched: bool) -> np.ndarray:
        return g[0] if unbatched else g if self.batch_first else g.transpose(1, 0, 2)

    def backward(
        self, grad_output: np.ndarray, *, input_grad: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        q_in, k_in, v_in, *_, unbatched = self.saved_tensors
        grads = self._backward_projected(grad_output)
        self._add_in_proj_grads((q_in, k_in, v_in), grads)
        if not input_grad:
            return None
        e, w = self.embed_dim, self.in_proj_weight.data
        return tuple(
            self._layout((g.reshape(-1, e) @ w[i * e : (i + 1) * e]).reshape(g.shape), unbatched)
            for i, g in enumerate(grads)
        )

    def _self_attention_backward(self, grad_output: np.ndarray) -> np.ndarray:
        """For self-attention: the gradient with respect to the one input, the three gradients' sum, in one
        product (what :class:`~nnkit.TransformerEncoderLayer` needs)."""
        if self._graph != "ready":
            raise RuntimeError(self._graph_error())
        q_in, *_, self_attention, unbatched = self.saved_tensors
        if not self_attention:
            raise RuntimeError(f"{self._name()}: the last forward was not self-attention (query is key is value)")
        grads = self._backward_projected(grad_output)
        self._add_in_proj_grads((q_in, q_in, q_in), grads)
        if not _PASS.retain:  # free what forward saved, as backward does
            self._saved_tensors, self._graph = None, "freed"
        g3 = np.concatenate(grads, axis=-1)
        return self._layout(
            (g3.reshape(-1, 3 * self.embed_dim) @ self.in_proj_weight.data).reshape(q_in.shape), unbatched
        )


__all__ = ["MultiheadAttention"]
