"""The Transformer block and its stack: :class:`TransformerEncoderLayer` and :class:`TransformerEncoder`,
as PyTorch's."""

from __future__ import annotations

import copy

import numpy as np

from ._config import DTypeLike, RngLike, as_float_array, as_rng, check_int, check_real
from .activations import GELU, ReLU
from .attention import MultiheadAttention
from .layers import Dropout, Linear
from .module import Module
from .normalization import LayerNorm


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward network, each in a residual connection with a LayerNorm.

    With ``SA(x) = dropout1(self_attn(x, x, x)[0])`` and
    ``FF(x) = dropout2(linear2(dropout(activation(linear1(x)))))``:

    - post-norm (``norm_first=False``, the original Transformer's): ``x = norm1(x + SA(x))``,
      then ``x = norm2(x + FF(x))``;
    - pre-norm (``norm_first=True``): ``x = x + SA(norm1(x))``, then ``x = x + FF(norm2(x))``.
      The residual path then carries the gradient to earlier layers without passing through a norm.

    Shapes: ``src (S, N, E)``, or ``(N, S, E)`` with ``batch_first=True``, or unbatched ``(S, E)``, with
    ``E = d_model``; the output has the same shape. ``forward(src, src_mask=None, src_key_padding_mask=None,
    is_causal=False)``: the masks follow :class:`~nnkit.MultiheadAttention`'s rule (boolean True = may
    **not** attend; a float mask is added), and ``is_causal=True`` without ``src_mask`` builds the causal
    mask, so a stack of these layers is a decoder-only language model. ``activation`` is ``'relu'``,
    ``'gelu'`` or an nnkit activation module.

    Backward, ``backward(grad_output) -> grad_src``: each residual ``y = x + f(x)`` sends
    ``dy`` both straight through and through ``f``'s backward, and adds the two; the self-attention's
    three input gradients (query, key, value are all ``x``) are added, and each sub-module adds its
    parameter gradients.

    Sub-modules have PyTorch's names: ``self_attn``, ``linear1``, ``dropout``, ``linear2``, ``norm1``,
    ``norm2``, ``dropout1``, ``dropout2``; so the state dict has PyTorch's keys, and loads from it.

    >>> import numpy as np
    >>> layer = TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0, batch_first=True, rng=0)
    >>> x = np.random.default_rng(0).normal(size=(2, 6, 16)).astype(np.float32)
    >>> y = layer(x, is_causal=True)
    >>> y.shape, layer.backward(np.ones_like(y)).shape
    ((2, 6, 16), (2, 6, 16))
    >>> [k for k in layer.state_dict()][:4]
    ['self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias']
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Module = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        *,
        rng: RngLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__()
        where = "TransformerEncoderLayer"
        check_int(d_model, "d_model", where, minimum=1)
        check_int(dim_feedforward, "dim_feedforward", where, minimum=1)
        p = check_real(dropout, "dropout", where, 0.0, 1.0)
        gen = as_rng(rng)
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=p, bias=bias, batch_first=batch_first, rng=gen, dtype=dtype
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, rng=gen, dtype=dtype)
        self.dropout = Dropout(p, rng=gen)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, rng=gen, dtype=dtype)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(p, rng=gen)
        self.dropout2 = Dropout(p, rng=gen)
        if isinstance(activation, Module):
            self.activation = activation
        elif activation in ("relu", "gelu"):
            self.activation = ReLU() if activation == "relu" else GELU()
        else:
            raise ValueError(
                f"{where} expected activation 'relu', 'gelu' or an nnkit activation module, got {activation!r}"
            )
        self.batch_first = bool(batch_first)
        self.d_model = d_model

    def _name(self) -> str:
        return f"TransformerEncoderLayer({self.d_model}, nhead={self.self_attn.num_heads})"

    def _sa(self, x: np.ndarray, mask: np.ndarray | None, padding: np.ndarray | None, causal: bool) -> np.ndarray:
        out, _ = self.self_attn(x, x, x, padding, False, mask, True, causal)
        return self.dropout1(out)

    def _ff(self, x: np.ndarray) -> np.ndarray:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def _sa_backward(self, g: np.ndarray) -> np.ndarray:
        return self.self_attn._self_attention_backward(self.dropout1.backward(g))

    def _ff_backward(self, g: np.ndarray) -> np.ndarray:
        g = self.dropout.backward(self.linear2.backward(self.dropout2.backward(g)))
        return self.linear1.backward(self.activation.backward(g))

    def forward(
        self,
        src: np.ndarray,
        src_mask: np.ndarray | None = None,
        src_key_padding_mask: np.ndarray | None = None,
        is_causal: bool = False,
    ) -> np.ndarray:
        x = as_float_array(src, self._name())
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            layout = "(N, S, E)" if self.batch_first else "(S, N, E)"
            raise ValueError(
                f"{self._name()} expected src of shape {layout} or (S, E) with E={self.d_model}, got shape {x.shape}"
            )
        if self.norm_first:
            x = x + self._sa(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff(self.norm2(x))
        else:
            x = self.norm1(x + self._sa(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff(x))
        self.save_for_backward(x.shape)
        return x

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        (shape,) = self.saved_tensors
        g = np.asarray(grad_output)
        if g.shape != shape:
            raise ValueError(f"{self._name()}.backward expected grad_output of shape {shape}, got shape {g.shape}")
        if self.norm_first:
            g = g + self.norm2.backward(self._ff_backward(g))
            return g + self.norm1.backward(self._sa_backward(g))
        g = self.norm2.backward(g)
        g = g + self._ff_backward(g)
        g = self.norm1.backward(g)
        return g + self._sa_backward(g)


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer``, then an optional ``norm``, as
    ``torch.nn.TransformerEncoder``.

    The copies are deep copies, as in PyTorch: every layer starts from the same weights (and trains
    apart). ``forward(src, mask=None, src_key_padding_mask=None, is_causal=None)`` runs
    ``x = layer(x, mask, src_key_padding_mask, is_causal)`` through the layers, then ``norm(x)``; with
    ``is_causal=True`` and no ``mask`` each layer builds the causal mask, so the stack is a decoder-only
    model. ``backward(grad_output)`` runs the layers' backward in reverse order and returns ``dL/dsrc``.
    State-dict keys are PyTorch's: ``layers.0.self_attn.in_proj_weight``, …, ``norm.weight``.
    ``enable_nested_tensor`` is accepted and ignored (a PyTorch speed-up for padded batches).

    >>> import numpy as np
    >>> layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True, rng=0)
    >>> stack = TransformerEncoder(layer, num_layers=3)
    >>> stack(np.zeros((2, 5, 8), dtype=np.float32), is_causal=True).shape
    (2, 5, 8)
    >>> [k for k in stack.state_dict() if k.endswith("in_proj_weight")]
    ['layers.0.self_attn.in_proj_weight', 'layers.1.self_attn.in_proj_weight', 'layers.2.self_attn.in_proj_weight']
    """

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
    ) -> None:
        super().__init__()
        if not isinstance(encoder_layer, TransformerEncoderLayer):
            raise TypeError(
                f"TransformerEncoder expected encoder_layer to be a TransformerEncoderLayer, got "
                f"{type(encoder_layer).__name__}"
            )
        self.num_layers = check_int(num_layers, "num_layers", "TransformerEncoder", minimum=1)
        self.layers = [copy.deepcopy(encoder_layer) for _ in range(num_layers)]
        self.norm = norm

    def _name(self) -> str:
        return f"TransformerEncoder({self.num_layers} layers)"

    def forward(
        self,
        src: np.ndarray,
        mask: np.ndarray | None = None,
        src_key_padding_mask: np.ndarray | None = None,
        is_causal: bool | None = None,
    ) -> np.ndarray:
        x = src
        for layer in self.layers:
            x = layer(x, mask, src_key_padding_mask, bool(is_causal))
        self.save_for_backward(None)
        return x if self.norm is None else self.norm(x)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        _ = self.saved_tensors  # forward ran (and backward was not called twice)
        g = grad_output if self.norm is None else self.norm.backward(grad_output)
        for layer in reversed(self.layers):
            g = layer.backward(g)
        return g


__all__ = ["TransformerEncoder", "TransformerEncoderLayer"]
