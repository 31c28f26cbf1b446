"""Recurrent layers: :class:`RNN`, :class:`LSTM` and :class:`GRU`, with PyTorch's signatures, layouts,
parameter names, gate order and initialization.

Each layer of the stack reads a sequence one step at a time with the same weights. The part of each
step that depends on the input only, ``x_t @ W_ihᵀ + b``, is computed for every step at once, as one
matrix product over ``(L·N, H_in)``; only the recurrence, the part that needs ``h_{t-1}``, loops over
time. Backward (backpropagation through time) runs the loop backwards and then adds the weight
gradients with one matrix product each, over every step: ``dW_ih += dAᵀ X`` and
``dW_hh += dAᵀ H_prev`` with the steps stacked.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._config import DTypeLike, RngLike, as_float_dtype, as_rng, check_int, check_real
from .module import Module, Parameter

Array = np.ndarray


class _RNNBase(Module):
    """What :class:`RNN`, :class:`LSTM` and :class:`GRU` share: the parameters, the checks, the layouts,
    the input projections and the weight gradients (documented in :class:`RNN`). A subclass writes the
    recurrence of one layer (``_recurrence``) and its backward (``_recurrence_backward``), time-major.
    """

    _gates = 1
    _cell = False  # whether the state is a pair (h, c), as in the LSTM

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        *,
        rng: RngLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__()
        where = type(self).__name__
        self.input_size = check_int(input_size, "input_size", where, minimum=1)
        self.hidden_size = check_int(hidden_size, "hidden_size", where, minimum=1)
        self.num_layers = check_int(num_layers, "num_layers", where, minimum=1)
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        if check_real(dropout, "dropout", where, 0.0, 1.0) != 0.0:
            raise ValueError(
                f"{where}: dropout between layers is not implemented in nnkit (got dropout={dropout}); "
                f"stack single-layer {where}s with nnkit.Dropout between them instead"
            )
        self.dropout = 0.0
        dt, gen, gh = as_float_dtype(dtype, where), as_rng(rng), self._gates * hidden_size
        bound = 1.0 / math.sqrt(hidden_size)
        for k in range(num_layers):
            shapes = {
                f"weight_ih_l{k}": (gh, input_size if k == 0 else hidden_size),
                f"weight_hh_l{k}": (gh, hidden_size),
            }
            if bias:
                shapes.update({f"bias_ih_l{k}": (gh,), f"bias_hh_l{k}": (gh,)})
            for name, shape in shapes.items():
                setattr(self, name, Parameter(gen.uniform(-bound, bound, shape).astype(dt)))

    def _name(self) -> str:
        layers = f", num_layers={self.num_layers}" if self.num_layers != 1 else ""
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size}{layers})"

    def extra_repr(self) -> str:  # PyTorch's
        text = f"{self.input_size}, {self.hidden_size}"
        text += f", num_layers={self.num_layers}" if self.num_layers != 1 else ""
        text += ", bias=False" if not self.bias else ""
        return text + (", batch_first=True" if self.batch_first else "")

    def _params(self, k: int) -> tuple[Parameter, Parameter, Parameter | None, Parameter | None]:
        """``(weight_ih, weight_hh, bias_ih, bias_hh)`` of layer ``k`` (the biases ``None`` without bias)."""
        get = self.__dict__.get
        return get(f"weight_ih_l{k}"), get(f"weight_hh_l{k}"), get(f"bias_ih_l{k}"), get(f"bias_hh_l{k}")

    def _folded_bias(self, b_ih: Array, b_hh: Array) -> Array:
        """The bias added to the input projection: both biases, where they add up (the GRU keeps one apart)."""
        return b_ih + b_hh

    def _state(self, value: Any, what: str, shape: tuple[int, ...], dt: np.dtype) -> Array:
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{self._name()} expected a real-valued numeric {what}, got dtype {array.dtype}")
        if array.shape != shape:
            raise ValueError(f"{self._name()} expected {what} of shape {shape}, got shape {array.shape}")
        return array.astype(dt, copy=False)

    def forward(self, x: Array, hx: Any = None) -> tuple[Array, Any]:
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{self._name()} expected a real-valued numeric input, got dtype {x.dtype}")
        layout = "(N, L, H_in)" if self.batch_first else "(L, N, H_in)"
        time_axis = int(self.batch_first) if x.ndim == 3 else 0
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size or x.shape[time_axis] < 1:
            raise ValueError(
                f"{self._name()} expected input of shape {layout} or (L, H_in) with H_in={self.input_size} "
                f"and L >= 1, got shape {x.shape}"
            )
        unbatched = x.ndim == 2
        dt, kk, h = self.weight_ih_l0.dtype, self.num_layers, self.hidden_size
        xt = x[:, None] if unbatched else (x.transpose(1, 0, 2) if self.batch_first else x)
        xt = np.ascontiguousarray(xt, dtype=dt)  # time-major (L, N, H_in)
        steps, n = xt.shape[:2]
        state_shape = (kk, h) if unbatched else (kk, n, h)
        names = ("h0", "c0") if self._cell else ("h0",)
        if hx is None:
            states = [np.zeros((kk, n, h), dtype=dt) for _ in names]
        else:
            if self._cell and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
                raise TypeError(f"{self._name()} expected hx to be a pair (h0, c0) or None, got {type(hx).__name__}")
            states = [self._state(v, name, state_shape, dt) for v, name in zip(hx if self._cell else (hx,), names)]
            states = [s[:, None] if unbatched else s for s in states]
        layers, inp, last = [], xt, []
        for k in range(kk):
            w_ih, _, b_ih, b_hh = self._params(k)
            proj = (inp.reshape(steps * n, inp.shape[2]) @ w_ih.data.T).reshape(steps, n, w_ih.shape[0])  # all steps
            if b_ih is not None:
                proj += self._folded_bias(b_ih.data, b_hh.data)
            hs, cache, final = self._recurrence(k, proj, *(s[k] for s in states))
            layers.append((inp, hs, cache))
            last.append(final)
            inp = hs[1:]
        self.save_for_backward(layers, unbatched, hx is not None)
        out = inp[:, 0] if unbatched else (inp.transpose(1, 0, 2) if self.batch_first else inp)
        finals = [np.stack([f[i] for f in last]) for i in range(len(names))]
        finals = [f[:, 0] for f in finals] if unbatched else finals
        return out, (tuple(finals) if self._cell else finals[0])

    def _grad(self, value: Any, what: str, shape: tuple[int, ...], dt: np.dtype) -> Array | None:
        if value is None:
            return None
        array = np.asarray(value)
        if array.shape != shape:
            raise ValueError(f"{self._name()}.backward expected {what} of shape {shape}, got shape {array.shape}")
        return array.astype(dt, copy=False)

    def backward(self, grad_output: Array | None, grad_h_n: Any = None, *, input_grad: bool = True) -> Any:
        layers, unbatched, given_hx = self.saved_tensors
        xt = layers[0][0]
        steps, n, h, kk, dt = xt.shape[0], xt.shape[1], self.hidden_size, self.num_layers, xt.dtype
        out_shape = (steps, h) if unbatched else ((n, steps, h) if self.batch_first else (steps, n, h))
        dy = self._grad(grad_output, "grad_output", out_shape, dt)
        names = ("grad_h_n", "grad_c_n") if self._cell else ("grad_h_n",)
        given = (grad_h_n,) if not self._cell else ((None, None) if grad_h_n is None else grad_h_n)
        if not (isinstance(given, (tuple, list)) and len(given) == len(names)):
            raise TypeError(
                f"{self._name()}.backward expected grad_h_n to be a pair (grad_h_n, grad_c_n) or None, "
                f"got {type(grad_h_n).__name__}"
            )
        state_shape = (kk, h) if unbatched else (kk, n, h)
        dstates = [self._grad(v, name, state_shape, dt) for v, name in zip(given, names)]
        if dy is None and all(d is None for d in dstates):
            raise ValueError(f"{self._name()}.backward got no gradient: grad_output and {' and '.join(names)} are None")
        dstates = [d[:, None] if unbatched and d is not None else d for d in dstates]
        dh = None if dy is None else (dy[:, None] if unbatched else (dy.transpose(1, 0, 2) if self.batch_first else dy))
        d_initial = []
        for k in range(kk - 1, -1, -1):
            inp, hs, cache = layers[k]
            w_ih, w_hh, b_ih, b_hh = self._params(k)
            finals = [None if d is None else d[k] for d in dstates]
            dax, dah, d0 = self._recurrence_backward(k, hs, cache, dh, *finals)
            d_initial.append(d0)
            gh = dax.shape[-1]
            dax2, dah2 = dax.reshape(-1, gh), dah.reshape(-1, gh)
            w_ih.grad += dax2.T @ inp.reshape(steps * n, inp.shape[2])  # every step at once
            w_hh.grad += dah2.T @ hs[:-1].reshape(steps * n, h)
            if b_ih is not None:
                db = dax2.sum(axis=0)
                b_ih.grad += db
                b_hh.grad += db if dah is dax else dah2.sum(axis=0)
            dh = (dax2 @ w_ih.data).reshape(steps, n, inp.shape[2]) if k > 0 or input_grad else None
        dx = None if dh is None else (dh[:, 0] if unbatched else (dh.transpose(1, 0, 2) if self.batch_first else dh))
        if not given_hx:
            return dx
        d_initial.reverse()  # per layer, each a tuple of one (h) or two (h, c) arrays
        d0s = [np.stack([d[i] for d in d_initial]) for i in range(len(names))]
        d0s = [d[:, 0] for d in d0s] if unbatched else d0s
        return dx, (tuple(d0s) if self._cell else d0s[0])

    def _recurrence(self, k: int, proj: Array, *state: Array) -> tuple[Array, Any, tuple[Array, ...]]:
        """Run layer ``k`` over time, given its input projections ``proj (L, N, G·H)`` (which it may
        overwrite) and initial state. Return the hidden states ``(L + 1, N, H)``, ``h_0`` first, what
        backward needs, and the final state (a tuple: ``(h_L,)`` or ``(h_L, c_L)``)."""
        raise NotImplementedError

    def _recurrence_backward(
        self, k: int, hs: Array, cache: Any, dh: Array | None, *dfinal: Array | None
    ) -> tuple[Array, Array, tuple[Array, ...]]:
        """Backpropagate through layer ``k``'s loop, given ``dh (L, N, H)`` from above (or ``None``) and the
        gradients of its final state. Return ``dA_x``, the gradient of the input projections
        ``(L, N, G·H)``, ``dA_h``, that of the recurrent ones (the same array where they are equal),
        and the gradient of the initial state (a tuple, as the final state)."""
        raise NotImplementedError


class RNN(_RNNBase):
    """Elman recurrent network, as ``torch.nn.RNN``. For each layer and step ``t = 1..L``::

        h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),   φ = tanh (or relu)

    and a layer's ``h_t`` is the next layer's ``x_t``. ``output, h_n = rnn(x, h0)``; the second
    argument is PyTorch's ``hx``, and ``hx=None`` starts from zeros.

    Shapes (``L`` steps, ``N`` sequences, ``K = num_layers``, ``H = hidden_size``): ``x (L, N, H_in)``,
    or ``(N, L, H_in)`` with ``batch_first=True``, or ``(L, H_in)`` unbatched; ``output (L, N, H)``
    (likewise ``(N, L, H)`` or ``(L, H)``), the last layer's ``h_t`` at every step; ``h0`` and
    ``h_n (K, N, H)`` (``(K, H)`` unbatched), never batch-first, as in PyTorch. Parameters, in
    PyTorch's order: ``weight_ih_l{k} (G·H, H_in or H)``, ``weight_hh_l{k} (G·H, H)``,
    ``bias_ih_l{k}`` and ``bias_hh_l{k} (G·H,)``, with ``G = 1`` gate here (4 in the LSTM, 3 in
    the GRU), every entry ``~ U(−1/√H, 1/√H)`` (PyTorch's init), drawn from ``rng``.

    ``backward(grad_output, grad_h_n=None)`` takes the gradients of both outputs; either may be
    ``None``, for an output the loss does not use. It returns ``dL/dx``, or ``(dL/dx, dL/dh0)``
    when forward was given ``h0``; with ``input_grad=False``, ``dL/dx`` is ``None``. Through time,
    with ``a_t`` the pre-activation and ``dh_L`` including ``grad_h_n``::

        da_t = dh_t ⊙ φ'(a_t)            (1 − h_t² for tanh)
        dh_{t-1} = dy_{t-1} + W_hhᵀ da_t  (dh_0 = W_hhᵀ da_1 is dL/dh0)
        dW_ih += Σ_t da_t x_tᵀ,  dW_hh += Σ_t da_t h_{t-1}ᵀ,  db_ih, db_hh += Σ_t da_t,  dx_t = W_ihᵀ da_t

    The sums over ``t`` are one matrix product each, after the loop. Left out: ``dropout`` between
    layers (only ``dropout=0`` is accepted; stack one-layer modules with :class:`~nnkit.Dropout`
    between them instead), ``bidirectional``, and LSTM's ``proj_size``.

    >>> import numpy as np
    >>> rnn = RNN(3, 5, num_layers=2, rng=0)
    >>> output, h_n = rnn(np.zeros((7, 4, 3), dtype=np.float32))
    >>> output.shape, h_n.shape, [name for name, _ in rnn.named_parameters()][:4]
    ((7, 4, 5), (2, 4, 5), ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'])
    >>> rnn.backward(np.ones_like(output), np.ones_like(h_n)).shape  # dL/dx
    (7, 4, 3)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        *,
        rng: RngLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN expected nonlinearity 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, rng=rng, dtype=dtype)
        self.nonlinearity = nonlinearity

    def _recurrence(self, k: int, proj: Array, *state: Array) -> tuple[Array, Any, tuple[Array, ...]]:
        w_hh_t = np.ascontiguousarray(self._params(k)[1].data.T)  # (H, G·H): the faster layout
        hs = np.empty((proj.shape[0] + 1, *state[0].shape), dtype=proj.dtype)
        hs[0] = state[0]
        for t in range(proj.shape[0]):
            h = hs[t + 1]
            np.matmul(hs[t], w_hh_t, out=h)
            h += proj[t]
            if self.nonlinearity == "tanh":
                np.tanh(h, out=h)
            else:
                np.maximum(h, 0, out=h)
        return hs, None, (hs[-1],)

    def _recurrence_backward(
        self, k: int, hs: Array, cache: Any, dh: Array | None, *dfinal: Array | None
    ) -> tuple[Array, Array, tuple[Array, ...]]:
        w_hh, out = self._params(k)[1].data, hs[1:]
        slope = 1 - out * out if self.nonlinearity == "tanh" else out > 0  # φ'(a_t), for every step at once
        da = np.empty_like(out)
        carry = np.zeros_like(hs[0]) if dfinal[0] is None else np.array(dfinal[0])  # dL/dh_t from later steps
        for t in range(out.shape[0] - 1, -1, -1):
            if dh is not None:
                carry += dh[t]
            np.multiply(carry, slope[t], out=da[t])
            np.matmul(da[t], w_hh, out=carry)
        return da, da, (carry,)


class LSTM(_RNNBase):
    """Long short-term memory, as ``torch.nn.LSTM``. For each layer and step, with ``σ`` the sigmoid::

        i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)       input gate
        f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)       forget gate
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)    candidate
        o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)       output gate
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t,   h_t = o_t ⊙ tanh(c_t)

    ``G = 4`` gates, stacked in PyTorch's order: ``weight_ih_l{k} = [W_ii; W_if; W_ig; W_io]``, and
    so the others. Arguments, shapes and initialization are :class:`RNN`'s, and the state is a pair:
    ``output, (h_n, c_n) = lstm(x, (h0, c0))`` (``hx=None`` starts from zeros), and
    ``backward(grad_output, (grad_h_n, grad_c_n))``, any of them ``None``, returns ``dL/dx``, or
    ``(dL/dx, (dL/dh0, dL/dc0))`` when forward was given ``(h0, c0)``. Through time, ``dc_t`` starts
    as ``f_{t+1} ⊙ dc_{t+1}`` (``grad_c_n`` at ``t = L``) and ``dh_t`` as in the RNN::

        dc_t += dh_t ⊙ o_t ⊙ (1 − tanh² c_t)
        di = dc_t ⊙ g_t,  df = dc_t ⊙ c_{t-1},  dg = dc_t ⊙ i_t,  do = dh_t ⊙ tanh c_t
        da_t = [di ⊙ i_t(1 − i_t); df ⊙ f_t(1 − f_t); dg ⊙ (1 − g_t²); do ⊙ o_t(1 − o_t)]
        dh_{t-1} = dy_{t-1} + W_hhᵀ da_t,   then the weight sums and dx_t as in the RNN

    The three sigmoids and the tanh of a step are one ``tanh`` call, as ``σ(a) = (1 + tanh(a/2))/2``.

    >>> import numpy as np
    >>> lstm = LSTM(3, 5, batch_first=True, rng=0)
    >>> output, (h_n, c_n) = lstm(np.zeros((4, 7, 3), dtype=np.float32))
    >>> output.shape, h_n.shape, c_n.shape, lstm.weight_hh_l0.shape
    ((4, 7, 5), (1, 4, 5), (1, 4, 5), (20, 5))
    """

    _gates, _cell = 4, True

    def _recurrence(self, k: int, proj: Array, *state: Array) -> tuple[Array, Any, tuple[Array, ...]]:
        steps, (n, h), dt = proj.shape[0], state[0].shape, proj.dtype
        # σ(a) = 0.5·tanh(0.5·a) + 0.5: scale the sigmoid gates' rows by 0.5 so that one tanh serves all four.
        half = np.repeat(np.array([0.5, 0.5, 1.0, 0.5], dtype=dt), h)
        shift = np.repeat(np.array([0.5, 0.5, 0.0, 0.5], dtype=dt), h)
        proj *= half
        w_hh_t = np.ascontiguousarray((self._params(k)[1].data * half[:, None]).T)
        hs, cs = np.empty((steps + 1, n, h), dtype=dt), np.empty((steps + 1, n, h), dtype=dt)
        hs[0], cs[0] = state
        tanh_c, buf, tmp = np.empty((steps, n, h), dtype=dt), np.empty((n, 4 * h), dtype=dt), np.empty((n, h), dtype=dt)
        half_rows, shift_rows = np.tile(half, (n, 1)), np.tile(shift, (n, 1))  # (N, 4H): twice as fast as broadcasting
        for t in range(steps):
            a = proj[t]  # becomes the gates [i, f, g, o], in place
            a += np.matmul(hs[t], w_hh_t, out=buf)
            np.tanh(a, out=a)
            a *= half_rows
            a += shift_rows
            np.multiply(a[:, h : 2 * h], cs[t], out=cs[t + 1])  # f ⊙ c_{t-1}
            cs[t + 1] += np.multiply(a[:, :h], a[:, 2 * h : 3 * h], out=tmp)  # + i ⊙ g
            np.tanh(cs[t + 1], out=tanh_c[t])
            np.multiply(a[:, 3 * h :], tanh_c[t], out=hs[t + 1])
        return hs, (proj, cs, tanh_c), (hs[-1], cs[-1])

    def _recurrence_backward(
        self, k: int, hs: Array, cache: Any, dh: Array | None, *dfinal: Array | None
    ) -> tuple[Array, Array, tuple[Array, ...]]:
        gates, cs, tanh_c = cache
        w_hh, (steps, n, h), dt = self._params(k)[1].data, tanh_c.shape, gates.dtype
        da = np.empty_like(gates)
        carry = np.zeros((n, h), dtype=dt) if dfinal[0] is None else np.array(dfinal[0])  # dL/dh_t
        dc = np.zeros((n, h), dtype=dt) if dfinal[1] is None else np.array(dfinal[1])  # dL/dc_t
        slope, tmp = np.empty((n, 4 * h), dtype=dt), np.empty((n, h), dtype=dt)
        # Everything per step, while the step's arrays are in the cache: passes over all the steps at once,
        # outside the loop, were slower (measured), as each reads and writes (L, N, 4H) arrays in memory.
        for t in range(steps - 1, -1, -1):
            a, d = gates[t], da[t]
            i, f, g, o = (a[:, j * h : (j + 1) * h] for j in range(4))
            if dh is not None:
                carry += dh[t]
            np.multiply(tanh_c[t], tanh_c[t], out=tmp)
            np.subtract(1, tmp, out=tmp)
            tmp *= o
            tmp *= carry
            dc += tmp  # dc_t += dh_t ⊙ o_t ⊙ (1 − tanh² c_t)
            np.multiply(dc, g, out=d[:, :h])  # di
            np.multiply(dc, cs[t], out=d[:, h : 2 * h])  # df
            np.multiply(dc, i, out=d[:, 2 * h : 3 * h])  # dg
            np.multiply(carry, tanh_c[t], out=d[:, 3 * h :])  # do
            np.multiply(a, a, out=slope)
            np.subtract(a, slope, out=slope)  # σ' = σ − σ² for i, f, o ...
            np.multiply(g, g, out=slope[:, 2 * h : 3 * h])
            np.subtract(1, slope[:, 2 * h : 3 * h], out=slope[:, 2 * h : 3 * h])  # ... and tanh' = 1 − g² for g
            d *= slope
            dc *= f
            np.matmul(d, w_hh, out=carry)
        return da, da, (carry, dc)


class GRU(_RNNBase):
    """Gated recurrent unit, as ``torch.nn.GRU``. For each layer and step, with ``σ`` the sigmoid::

        r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)             reset gate
        z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)             update gate
        n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))  candidate
        h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}

    ``G = 3`` gates in PyTorch's order r, z, n (``weight_ih_l{k} = [W_ir; W_iz; W_in]``), with PyTorch's
    ``n_t``: the reset gate multiplies ``W_hn h_{t-1} + b_hn``, bias included. Arguments, shapes,
    initialization, ``output, h_n = gru(x, h0)`` and ``backward(grad_output, grad_h_n)`` are
    :class:`RNN`'s. Through time, with ``a^n_t`` the argument of the tanh and ``m_t = W_hn h_{t-1} + b_hn``::

        da^n = dh_t ⊙ (1 − z_t) ⊙ (1 − n_t²),   dz = dh_t ⊙ (h_{t-1} − n_t),   dr = da^n ⊙ m_t
        the input side:     da_t = [dr ⊙ r_t(1 − r_t); dz ⊙ z_t(1 − z_t); da^n]
        the recurrent side: same, with r_t ⊙ da^n in place of da^n
        dh_{t-1} = dy_{t-1} + dh_t ⊙ z_t + W_hhᵀ (recurrent da_t)

    and ``dW_ih``, ``db_ih``, ``dx_t`` take the input-side ``da_t``, ``dW_hh`` and ``db_hh`` the recurrent one.

    >>> import numpy as np
    >>> gru = GRU(3, 5, rng=0)
    >>> output, h_n = gru(np.zeros((7, 3), dtype=np.float32))  # unbatched: (L, H_in)
    >>> output.shape, h_n.shape, gru.weight_ih_l0.shape
    ((7, 5), (1, 5), (15, 3))
    """

    _gates = 3

    def _folded_bias(self, b_ih: Array, b_hh: Array) -> Array:
        h = self.hidden_size
        return np.concatenate([b_ih[: 2 * h] + b_hh[: 2 * h], b_ih[2 * h :]])  # b_hn stays inside r ⊙ (...)

    def _recurrence(self, k: int, proj: Array, *state: Array) -> tuple[Array, Any, tuple[Array, ...]]:
        steps, (n, h), dt = proj.shape[0], state[0].shape, proj.dtype
        _, w_hh, _, b_hh = self._params(k)
        half = np.repeat(np.array([0.5, 0.5, 1.0], dtype=dt), h)  # σ(a) = 0.5·tanh(0.5·a) + 0.5
        proj[..., : 2 * h] *= 0.5
        w_hh_t = np.ascontiguousarray((w_hh.data * half[:, None]).T)
        hs, gh = np.empty((steps + 1, n, h), dtype=dt), np.empty((steps, n, 3 * h), dtype=dt)
        hs[0] = state[0]
        tmp = np.empty((n, h), dtype=dt)
        for t in range(steps):
            np.matmul(hs[t], w_hh_t, out=gh[t])
            m = gh[t, :, 2 * h :]  # W_hn h_{t-1} (+ b_hn)
            if b_hh is not None:
                m += b_hh.data[2 * h :]
            a = proj[t]  # becomes [r, z, n], in place
            rz = a[:, : 2 * h]
            rz += gh[t, :, : 2 * h]
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            cand = a[:, 2 * h :]
            cand += np.multiply(a[:, :h], m, out=tmp)
            np.tanh(cand, out=cand)
            h_new = hs[t + 1]
            np.subtract(hs[t], cand, out=h_new)  # h_t = n + z ⊙ (h_{t-1} − n)
            h_new *= a[:, h : 2 * h]
            h_new += cand
        return hs, (proj, gh), (hs[-1],)

    def _recurrence_backward(
        self, k: int, hs: Array, cache: Any, dh: Array | None, *dfinal: Array | None
    ) -> tuple[Array, Array, tuple[Array, ...]]:
        gates, gh = cache
        w_hh, (steps, n, h3) = self._params(k)[1].data, gates.shape
        h = h3 // 3
        r, z, cand, m = gates[..., :h], gates[..., h : 2 * h], gates[..., 2 * h :], gh[..., 2 * h :]
        # What does not depend on the recurrence, for every step at once.
        dan_from_dh = (1 - z) * (1 - cand * cand)
        daz_from_dh = (hs[:-1] - cand) * z * (1 - z)
        dar_from_dan = m * r * (1 - r)
        da_h, da_n = np.empty_like(gates), np.empty((steps, n, h), dtype=gates.dtype)
        carry = np.zeros((n, h), dtype=gates.dtype) if dfinal[0] is None else np.array(dfinal[0])
        tmp = np.empty_like(carry)
        for t in range(steps - 1, -1, -1):
            if dh is not None:
                carry += dh[t]
            dan = np.multiply(carry, dan_from_dh[t], out=da_n[t])
            np.multiply(dan, dar_from_dan[t], out=da_h[t, :, :h])
            np.multiply(carry, daz_from_dh[t], out=da_h[t, :, h : 2 * h])
            np.multiply(dan, r[t], out=da_h[t, :, 2 * h :])
            carry *= z[t]
            carry += np.matmul(da_h[t], w_hh, out=tmp)
        da_x = da_h.copy()
        da_x[..., 2 * h :] = da_n
        return da_x, da_h, (carry,)
