"""The building blocks every layer shares: :class:`Parameter`, :class:`Module`, :class:`Sequential`.

A module computes ``forward`` and, given the gradient of the loss with respect to its
output, ``backward`` returns the gradient with respect to its input and *adds* the
gradients of its parameters into ``Parameter.grad`` (``+=``, so several backward passes
accumulate, as in PyTorch). Parameters and sub-modules are found by walking the
instance's attributes, so a layer needs no registration code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ._config import DTypeLike, as_float_dtype


class Parameter:
    """A learnable array: ``data`` plus a gradient ``grad`` of the same shape and dtype.

    ``grad`` starts at zero and backward passes add into it; call ``zero_grad`` on the
    module or the optimizer between steps.

    >>> import numpy as np
    >>> p = Parameter(np.ones((2, 3), dtype=np.float32))
    >>> p.shape, p.grad.dtype, float(p.grad.sum())
    ((2, 3), dtype('float32'), 0.0)
    """

    __slots__ = ("data", "grad")

    def __init__(self, data: np.ndarray, dtype: DTypeLike = None) -> None:
        array = np.asarray(data)
        if dtype is not None or not np.issubdtype(array.dtype, np.floating):
            array = array.astype(as_float_dtype(dtype, "Parameter"))
        self.data: np.ndarray = np.array(array, copy=True)
        self.grad: np.ndarray = np.zeros_like(self.data)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def zero_grad(self) -> None:
        """Set the gradient to zero in place."""
        self.grad.fill(0)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of every layer, activation, loss and container.

    Subclasses implement ``forward(x)`` and ``backward(grad_output)``. ``backward``
    returns ``dL/dx`` and accumulates ``dL/dθ`` into each parameter's ``grad``.
    Calling ``backward`` before ``forward`` raises ``RuntimeError``.

    ``backward`` also takes ``input_grad=False`` to skip ``dL/dx`` when the caller
    does not need it (the first layer of a network, as PyTorch does for inputs that
    do not require grad); it then returns ``None``.

    A new layer keeps what backward needs from forward, and adds into its gradients:

    >>> import numpy as np
    >>> class Scale(Module):
    ...     # y = a * x.  Backward: dx = a * dy,  da += Σ dy * x
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.a = Parameter(np.ones(1))
    ...         self._x = None
    ...     def forward(self, x):
    ...         self._x = x
    ...         return self.a.data * x
    ...     def backward(self, dy, *, input_grad=True):
    ...         self.a.grad += (dy * self._cached(self._x)).sum()
    ...         return self.a.data * dy
    >>> m = Scale()
    >>> m(np.array([1.0, 2.0])), m.backward(np.array([1.0, 1.0])), m.a.grad
    (array([1., 2.]), array([1., 1.]), array([3.]))
    """

    training: bool

    def __init__(self) -> None:
        self.training = True

    # --- the maths -----------------------------------------------------------
    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad_output: Any, *, input_grad: bool = True) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, *args: Any) -> Any:
        return self.forward(*args)

    def _cached(self, value: Any) -> Any:
        """Return a value saved by ``forward``, or raise if ``forward`` has not run."""
        if value is None:
            raise RuntimeError(f"{self._name()}: backward called before forward")
        return value

    def _name(self) -> str:
        """Short name used in error messages, e.g. ``Linear(3 -> 4)``."""
        return type(self).__name__

    # --- parameters and children ---------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, module)`` for each direct sub-module, in attribute order."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def modules(self) -> Iterator[Module]:
        """Yield this module and every sub-module, depth first."""
        yield self
        for child in self.children():
            yield from child.modules()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(name, parameter)`` pairs, named as in PyTorch (``"0.weight"``).

        A parameter shared by several sub-modules (weight tying) is yielded once, under
        its first name, so an optimizer updates it once per step.
        """
        seen: set[int] = set()
        for name, p in self._all_named_parameters(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _all_named_parameters(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child._all_named_parameters(prefix + name + ".")

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero."""
        for p in self.parameters():
            p.zero_grad()

    # --- modes, dtype, state ---------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``True``) or evaluation mode (``False``) recursively."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode recursively: dropout becomes the identity."""
        return self.train(False)

    def to(self, dtype: DTypeLike) -> Module:
        """Cast every parameter (and its gradient) to ``dtype`` in place; returns ``self``."""
        target = as_float_dtype(dtype, f"{self._name()}.to")
        for p in self.parameters():
            p.data = p.data.astype(target)
            p.grad = p.grad.astype(target)
        return self

    def state_dict(self) -> dict[str, np.ndarray]:
        """Return a dict of copies of the parameter arrays, keyed as in PyTorch."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict: Mapping[str, np.ndarray], strict: bool = True) -> None:
        """Copy arrays into the parameters (cast to each parameter's dtype).

        Raises ``KeyError`` for missing or unexpected keys (when ``strict``) and
        ``ValueError`` for a wrong shape, naming the key.
        """
        own = dict(self.named_parameters())
        missing = sorted(set(own) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(own))
        if strict and (missing or unexpected):
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: missing keys {missing}, unexpected keys {unexpected}"
            )
        for name, p in own.items():
            if name not in state_dict:
                continue
            value = np.asarray(state_dict[name])
            if value.shape != p.data.shape:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: '{name}' expected shape {p.data.shape}, "
                    f"got shape {value.shape}"
                )
            p.data[...] = value

    def num_parameters(self) -> int:
        """The number of scalar parameters."""
        return sum(p.size for p in self.parameters())

    # --- printing ----------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(")")
        return "\n".join(lines)


class Sequential(Module):
    """Apply modules in order; backward runs them in reverse.

    Forward: ``y = m_k(... m_2(m_1(x)))``. Backward: ``dx = m_1.backward(... m_k.backward(dy))``.
    Parameters are named by position, as in PyTorch: ``"0.weight"``, ``"2.bias"``.

    >>> import nnkit
    >>> model = nnkit.Sequential(nnkit.Linear(2, 4), nnkit.ReLU(), nnkit.Linear(4, 1))
    >>> [name for name, _ in model.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    >>> model
    Sequential(
      (0): Linear(in_features=2, out_features=4, bias=True)
      (1): ReLU()
      (2): Linear(in_features=4, out_features=1, bias=True)
    )
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential expected Module arguments, got {type(m).__name__} at position {i}")
        self.layers: list[Module] = list(modules)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for i, m in enumerate(self.layers):
            yield str(i), m

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for m in self.layers:
            x = m(x)
        return x

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Run backward through the modules in reverse.

        With ``input_grad=False`` the modules in front of the first one that has
        parameters are skipped, and that one does not compute its input gradient.
        """
        first = 0
        if not input_grad:
            first = next(
                (i for i, m in enumerate(self.layers) if any(True for _ in m.parameters())),
                len(self.layers),
            )
        grad = grad_output
        for i in range(len(self.layers) - 1, first - 1, -1):
            grad = self.layers[i].backward(grad, input_grad=input_grad or i > first)
        return grad if input_grad else None
