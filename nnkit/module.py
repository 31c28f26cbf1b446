"""The building blocks every layer shares: :class:`Parameter`, :class:`Module`, :class:`Sequential`.

A module computes ``forward`` and, given the gradient of the loss with respect to its
output, ``backward`` returns the gradient with respect to its input and *adds* the
gradients of its parameters into ``Parameter.grad`` (``+=``, so several backward passes
accumulate, as in PyTorch). Each backward uses what one forward saved, once (see
:class:`Module`). Parameters and sub-modules are found by walking the instance's
attributes, so a layer needs no registration code.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, overload

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
        """The shape of ``data``."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """The dtype of ``data``."""
        return self.data.dtype

    @property
    def size(self) -> int:
        """The number of elements of ``data``."""
        return self.data.size

    def zero_grad(self) -> None:
        """Set the gradient to zero in place."""
        self.grad.fill(0)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class _BackwardPass(threading.local):
    """Whether the backward pass running in this thread keeps what forward saved (``retain_graph``)."""

    retain = False


_PASS = _BackwardPass()


def _forward_tracked(forward: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a subclass's ``forward``: forget what the previous forward saved, then mark the module
    ready for one ``backward`` once forward has returned."""

    @functools.wraps(forward)
    def tracked(self: Module, *args: Any, **kwargs: Any) -> Any:
        if self._in_forward:  # a subclass's forward calling super().forward()
            return forward(self, *args, **kwargs)
        self._saved_tensors, self._graph, self._in_forward = None, "none", True
        try:
            out = forward(self, *args, **kwargs)
        finally:
            self._in_forward = False
        self._graph = "ready"
        for hook in tuple(self.__dict__.get("_forward_hooks", {}).values()):
            hook(self, args, out)
        return out

    return tracked


def _backward_tracked(backward: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a subclass's ``backward``: refuse it before forward and a second time after one
    forward, take ``retain_graph``, and free what forward saved once backward has returned."""

    @functools.wraps(backward)
    def tracked(self: Module, *args: Any, retain_graph: bool = False, **kwargs: Any) -> Any:
        if self._in_backward:  # a subclass's backward calling super().backward()
            return backward(self, *args, **kwargs)
        if self._graph != "ready":
            raise RuntimeError(self._graph_error())
        retain, outer = bool(retain_graph) or _PASS.retain, _PASS.retain
        _PASS.retain, self._in_backward = retain, True
        try:
            result = backward(self, *args, **kwargs)
        finally:
            _PASS.retain, self._in_backward = outer, False
        if not retain:
            self._saved_tensors, self._graph = None, "freed"
        return result

    signature = inspect.signature(backward)
    if "retain_graph" not in signature.parameters:
        params = list(signature.parameters.values())
        keep = inspect.Parameter("retain_graph", inspect.Parameter.KEYWORD_ONLY, default=False, annotation="bool")
        at = next((i for i, p in enumerate(params) if p.kind == p.VAR_KEYWORD), len(params))
        tracked.__signature__ = signature.replace(parameters=[*params[:at], keep, *params[at:]])  # type: ignore[attr-defined]
    return tracked


class RemovableHandle:
    """What :meth:`~nnkit.Module.register_forward_hook` returns: ``remove()`` unregisters the hook (twice is
    harmless)."""

    _next_id = 0

    def __init__(self, hooks: dict[int, Any]) -> None:
        self.hooks, self.id = hooks, RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self.hooks.pop(self.id, None)


class Module:
    """Base class of every layer, activation, loss and container.

    A subclass implements two methods, and :class:`Module` does the bookkeeping:

    - ``forward(x)`` computes the output and keeps what backward will need with
      ``self.save_for_backward(...)``;
    - ``backward(grad_output)`` reads those values back from ``self.saved_tensors``, *adds*
      ``dL/dθ`` into each parameter's ``grad`` (``+=``, so gradients accumulate, as in PyTorch),
      and returns ``dL/dx``. With ``input_grad=False`` it may skip ``dL/dx`` and return ``None``
      (the first layer of a network, as PyTorch does for inputs that do not require grad).

    Parameters and sub-modules are found by walking the instance's attributes, so a layer
    needs no registration code.

    **One backward per forward.** As in PyTorch, ``backward`` frees what forward saved, so a
    second ``backward`` after one ``forward`` raises ``RuntimeError`` instead of silently adding
    the same gradients twice; so does ``backward`` before any ``forward``. To run backward
    again on the same forward (to time it, or to accumulate on purpose), pass
    ``retain_graph=True`` to every backward but the last: it keeps the saved values, for this
    module and for every module its backward calls. ``backward`` takes ``retain_graph`` for
    every subclass; a subclass's own ``backward`` need not mention it.

    **dtypes.** A module computes in floating point. Floating-point input keeps its dtype,
    except in a layer with parameters (:class:`~nnkit.Linear`), which casts its input to its
    parameters' dtype (float32 by default: float64 data meets a float32 model without an error).
    Integer or boolean input becomes the default dtype (:func:`~nnkit.get_default_dtype`,
    float32 unless changed). Outputs and gradients have the dtype of the computation.

    A new layer, ``y = a * x`` with one parameter ``a``:

    >>> import numpy as np
    >>> class Scale(Module):
    ...     # y = a * x.  Backward: dx = a * dy,  da += Σ dy * x
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.a = Parameter(np.ones(1))
    ...     def forward(self, x):
    ...         self.save_for_backward(x)
    ...         return self.a.data * x
    ...     def backward(self, dy, *, input_grad=True):
    ...         (x,) = self.saved_tensors
    ...         self.a.grad += (dy * x).sum()
    ...         return self.a.data * dy
    >>> m = Scale()
    >>> m(np.array([1.0, 2.0])), m.backward(np.array([1.0, 1.0])), m.a.grad
    (array([1., 2.]), array([1., 1.]), array([3.]))
    >>> m.backward(np.array([1.0, 1.0]))
    Traceback (most recent call last):
        ...
    RuntimeError: Scale: backward called a second time after one forward; ...
    """

    training: bool
    # What forward saved for backward, and where the module stands: "none" (no forward yet),
    # "ready" (forward ran) or "freed" (backward ran and freed the saved values).
    _saved_tensors: tuple[Any, ...] | None = None
    _graph: str = "none"
    _in_forward: bool = False
    _in_backward: bool = False

    def __init__(self) -> None:
        self.training = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Wrap each subclass's own ``forward`` and ``backward`` so that every module follows the
        one-backward-per-forward rule and takes ``retain_graph``, with no code of its own."""
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__:
            cls.forward = _forward_tracked(cls.__dict__["forward"])  # type: ignore[method-assign]
        if "backward" in cls.__dict__:
            cls.backward = _backward_tracked(cls.__dict__["backward"])  # type: ignore[method-assign]

    def forward(self, *args: Any) -> Any:
        """Compute the module's output. Subclasses implement it, and call
        :meth:`~nnkit.Module.save_for_backward` with what their backward needs."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad_output: Any, *, input_grad: bool = True, retain_graph: bool = False) -> Any:
        """Given ``grad_output = dL/dy``, add ``dL/dθ`` into each parameter's ``grad`` and return
        ``dL/dx`` (``None`` when ``input_grad=False``). Subclasses implement it.

        It runs once per forward: the values forward saved are freed afterwards, and a second
        call raises ``RuntimeError``, unless ``retain_graph=True`` keeps them for another call.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``module(x, ...)`` is ``module.forward(x, ...)``."""
        return self.forward(*args, **kwargs)

    def save_for_backward(self, *values: Any) -> None:
        """Keep ``values`` (arrays, usually) from ``forward`` for ``backward``, which reads them
        back from :attr:`~nnkit.Module.saved_tensors`. They are freed when backward has run (the name is
        PyTorch's, from ``torch.autograd.Function``)."""
        self._saved_tensors = values

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The tuple that ``forward`` passed to :meth:`~nnkit.Module.save_for_backward`.

        Raises ``RuntimeError`` before forward, and after a backward that freed it.
        """
        if self._saved_tensors is None:
            if self._graph == "ready":
                raise RuntimeError(
                    f"{self._name()}: saved_tensors is empty: its forward did not call self.save_for_backward(...)"
                )
            raise RuntimeError(self._graph_error())
        return self._saved_tensors

    def _graph_error(self) -> str:
        if self._graph == "freed":
            return (
                f"{self._name()}: backward called a second time after one forward; the first backward freed "
                "the values forward saved. Run forward again, or pass retain_graph=True to the first backward "
                "to keep them (as in PyTorch)"
            )
        return f"{self._name()}: backward called before forward"

    def _cached(self, value: Any) -> Any:
        """Return a value kept by ``forward`` in an attribute, or raise if ``forward`` has not run.
        New code should use :meth:`~nnkit.Module.save_for_backward` and :attr:`~nnkit.Module.saved_tensors` instead."""
        if value is None:
            raise RuntimeError(f"{self._name()}: backward called before forward")
        return value

    def _name(self) -> str:
        """Short name used in error messages, e.g. ``Linear(3 -> 4)``."""
        return type(self).__name__

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, module)`` for each direct sub-module, in attribute order."""
        for name, value in vars(self).items():
            if name == "_saved_tensors":  # what forward saved is not part of the model
                continue
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """Yield ``(name, module)`` for this module (name ``prefix``, ``""`` by default) and every
        sub-module, depth first, named as in PyTorch (``"0"``, ``"encoder.layers.1.linear1"``)."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def register_forward_hook(self, hook: Callable[[Module, tuple[Any, ...], Any], None]) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every forward of this module, as PyTorch does; return a
        handle whose ``remove()`` unregisters it. Hooks see the output and must not change it: they are for
        looking (:class:`~nnkit.diagnostics.LayerStats` records activations with them).

        >>> import numpy as np, nnkit
        >>> seen = []
        >>> layer = nnkit.ReLU()
        >>> handle = layer.register_forward_hook(lambda m, args, out: seen.append(float(out.mean())))
        >>> _ = layer(np.array([-1.0, 3.0]))
        >>> handle.remove()
        >>> _ = layer(np.array([5.0]))
        >>> seen
        [1.5]
        """
        if not callable(hook):
            raise TypeError(f"{self._name()}.register_forward_hook expected a callable, got {type(hook).__name__}")
        hooks = self.__dict__.setdefault("_forward_hooks", {})
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def children(self) -> Iterator[Module]:
        """Yield each direct sub-module."""
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
        """Yield every :class:`~nnkit.Parameter` of this module and its sub-modules, each once
        (what an optimizer takes: ``optim.SGD(model.parameters(), lr=0.1)``)."""
        for _, p in self.named_parameters():
            yield p

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Module:
        """Set training mode (``True``) or evaluation mode (``False``) recursively."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode recursively: dropout becomes the identity."""
        return self.train(False)

    def to(self, dtype: DTypeLike) -> Module:
        """Cast every parameter (and its gradient) and every floating-point buffer to ``dtype`` in place;
        returns ``self``."""
        target = as_float_dtype(dtype, f"{self._name()}.to")
        for p in self.parameters():
            p.data = p.data.astype(target)
            p.grad = p.grad.astype(target)
        for m in self.modules():
            for name in m.__dict__.get("_buffer_names", ()):
                value = getattr(m, name)
                if value is not None and value.dtype.kind == "f":
                    setattr(m, name, value.astype(target))
        return self

    def register_buffer(self, name: str, value: np.ndarray | None) -> None:
        """Keep ``value`` as the attribute ``name``: state that is not learned (a running mean).

        A buffer is in :meth:`state_dict` under PyTorch's name (``"0.running_mean"``), so
        :func:`~nnkit.save` and :func:`~nnkit.load` keep it, and :meth:`to` casts it when it is
        floating-point; :meth:`parameters` does not yield it, so no optimizer changes it.
        A buffer set to ``None`` is left out of the state dict, as in PyTorch.
        """
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"{self._name()}.register_buffer expected a name that is an identifier, got {name!r}")
        if value is not None and not isinstance(value, np.ndarray):
            raise TypeError(f"{self._name()}.register_buffer expected an ndarray or None, got {type(value).__name__}")
        names = self.__dict__.setdefault("_buffer_names", [])
        if name not in names and hasattr(self, name):  # a parameter, a sub-module, a method: as PyTorch, refuse
            raise KeyError(f"{self._name()}.register_buffer: attribute {name!r} already exists")
        if name not in names:
            names.append(name)
        setattr(self, name, value)

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """Yield ``(name, array)`` for every buffer of this module and its sub-modules."""
        for name in self.__dict__.get("_buffer_names", ()):
            value = getattr(self, name)
            if value is not None:
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child.named_buffers(prefix + name + ".")

    def _state_arrays(self, prefix: str = "", seen: set[int] | None = None) -> Iterator[tuple[str, np.ndarray]]:
        """The arrays of the state dict, in PyTorch's order: each module's parameters, then its
        buffers, then its sub-modules'. A shared parameter comes once, under its first name."""
        seen = set() if seen is None else seen
        for name, value in vars(self).items():
            if isinstance(value, Parameter) and id(value) not in seen:
                seen.add(id(value))
                yield prefix + name, value.data
        for name in self.__dict__.get("_buffer_names", ()):
            value = getattr(self, name)
            if value is not None:
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child._state_arrays(prefix + name + ".", seen)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Return a dict of copies of the parameter and buffer arrays, keyed and ordered as in PyTorch."""
        return {name: array.copy() for name, array in self._state_arrays()}

    def load_state_dict(self, state_dict: Mapping[str, np.ndarray], strict: bool = True) -> None:
        """Copy arrays into the parameters and buffers (cast to each one's dtype).

        Every entry is checked before anything is written, so a failed call leaves the
        module unchanged. Raises ``KeyError`` for missing or unexpected keys (when ``strict``),
        ``ValueError`` for a wrong shape and ``TypeError`` for a non-numeric array, naming the key.
        """
        where = f"{type(self).__name__}.load_state_dict"
        own = dict(self._state_arrays())
        missing = sorted(set(own) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(own))
        if strict and (missing or unexpected):
            raise KeyError(f"{where}: missing keys {missing}, unexpected keys {unexpected}")
        updates = []
        for name, array in own.items():
            if name not in state_dict:
                continue
            value = np.asarray(state_dict[name])
            if value.dtype.kind not in "biuf":
                raise TypeError(f"{where}: '{name}' expected a real-valued numeric array, got dtype {value.dtype}")
            if value.shape != array.shape:
                raise ValueError(f"{where}: '{name}' expected shape {array.shape}, got shape {value.shape}")
            updates.append((array, value))
        for array, value in updates:
            array[...] = value

    def num_parameters(self) -> int:
        """The number of scalar parameters."""
        return sum(p.size for p in self.parameters())

    def extra_repr(self) -> str:
        """The text inside the parentheses of ``repr(module)``, e.g. ``"p=0.5"`` for Dropout."""
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
        """Yield ``(str(position), module)`` for each module: ``("0", Linear(...))``, ..."""
        for i, m in enumerate(self.layers):
            yield str(i), m

    @overload
    def __getitem__(self, index: int) -> Module: ...
    @overload
    def __getitem__(self, index: slice) -> Sequential: ...
    def __getitem__(self, index: int | slice) -> Module:
        """The module at position ``index``; a slice gives a :class:`Sequential` of the same modules
        (not copies), as in PyTorch, so ``model[:2](x)`` runs the first two layers."""
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self) -> int:
        """The number of modules."""
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        """Iterate over the modules in order."""
        return iter(self.layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Apply the modules in order."""
        for m in self.layers:
            x = m(x)
        return x

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Run backward through the modules in reverse and return ``dL/dx``.

        With ``input_grad=False`` the modules in front of the first one that has
        parameters are skipped, and that one does not compute its input gradient.
        ``retain_graph=True`` keeps every module's saved values for another backward.
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
