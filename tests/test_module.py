"""Tests for nnkit/module.py: Parameter, Module, Sequential."""

import inspect
import pydoc

import numpy as np
import pytest

import nnkit
from nnkit.gradcheck import gradcheck


def mlp(seed=0):
    nnkit.manual_seed(seed)
    return nnkit.Sequential(nnkit.Linear(4, 8), nnkit.Tanh(), nnkit.Dropout(0.2), nnkit.Linear(8, 3))


def test_parameter_grad_has_data_shape_and_dtype():
    p = nnkit.Parameter(np.ones((2, 3), np.float32))
    assert p.grad.shape == p.data.shape and p.grad.dtype == p.data.dtype == np.float32
    assert not p.grad.any()
    q = nnkit.Parameter([1, 2, 3])  # integers become the default float dtype
    assert q.dtype == np.float32


def test_parameter_copies_its_data():
    source = np.zeros(3)
    p = nnkit.Parameter(source)
    p.data += 1
    assert not source.any()


def test_named_parameters_follow_pytorch_names():
    names = [n for n, _ in mlp().named_parameters()]
    assert names == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert len(list(mlp().parameters())) == 4
    assert mlp().num_parameters() == 4 * 8 + 8 + 8 * 3 + 3


def test_nested_modules_are_found_by_attribute():
    class Block(nnkit.Module):
        def __init__(self):
            super().__init__()
            self.fc = nnkit.Linear(2, 2)
            self.heads = [nnkit.Linear(2, 1), nnkit.Linear(2, 1)]

    names = [n for n, _ in nnkit.Sequential(Block()).named_parameters()]
    assert names == [
        "0.fc.weight",
        "0.fc.bias",
        "0.heads.0.weight",
        "0.heads.0.bias",
        "0.heads.1.weight",
        "0.heads.1.bias",
    ]


def test_shared_parameters_are_listed_once():
    first, second = nnkit.Linear(3, 3), nnkit.Linear(3, 3)
    second.weight = first.weight  # weight tying
    names = [n for n, _ in nnkit.Sequential(first, second).named_parameters()]
    assert names == ["0.weight", "0.bias", "1.bias"]


def test_train_and_eval_are_recursive():
    model = mlp()
    model.eval()
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    assert model.train(False) is model and not model[2].training


def test_zero_grad_and_accumulation():
    model = mlp().eval()
    x = np.random.default_rng(0).normal(size=(5, 4))
    model(x)
    model.backward(np.ones((5, 3), np.float32))
    first = model[0].weight.grad.copy()
    model(x)
    model.backward(np.ones((5, 3), np.float32))
    np.testing.assert_allclose(model[0].weight.grad, 2 * first, rtol=1e-6)
    model.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())


def test_sequential_gradcheck_float64_with_dropout():
    report = gradcheck(mlp(), np.random.default_rng(1).normal(size=(6, 4)))
    assert report.ok, str(report)
    assert set(report.errors) == {"input", "0.weight", "0.bias", "3.weight", "3.bias"}


def test_sequential_backward_without_input_grad_gives_same_param_grads():
    model = mlp().eval()
    x = np.random.default_rng(0).normal(size=(5, 4))
    model(x)
    model.backward(np.ones((5, 3), np.float32))
    expected = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    model(x)
    assert model.backward(np.ones((5, 3), np.float32), input_grad=False) is None
    for p, g in zip(model.parameters(), expected, strict=False):
        np.testing.assert_allclose(p.grad, g, rtol=1e-6)


def test_state_dict_round_trip_and_copies():
    a, b = mlp(0), mlp(1)
    state = a.state_dict()
    state["0.weight"][...] = 0  # a copy: the model is untouched
    assert a[0].weight.data.any()
    b.load_state_dict(a.state_dict())
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters(), strict=False):
        assert na == nb
        np.testing.assert_array_equal(pa.data, pb.data)


def test_load_state_dict_errors_name_the_key():
    model = mlp()
    state = model.state_dict()
    del state["3.bias"]
    with pytest.raises(KeyError, match=r"missing keys \['3.bias'\], unexpected keys \[\]"):
        model.load_state_dict(state)
    state = model.state_dict()
    state["extra"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"unexpected keys \['extra'\]"):
        model.load_state_dict(state)
    state = model.state_dict()
    state["0.weight"] = np.zeros((4, 8))
    with pytest.raises(ValueError, match=r"'0.weight' expected shape \(8, 4\), got shape \(4, 8\)"):
        model.load_state_dict(state)


def test_to_dtype_casts_data_and_grad():
    model = mlp().to(np.float64)
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in model.parameters())
    with pytest.raises(TypeError, match="expected a floating-point dtype"):
        model.to(np.int32)


def test_repr_is_pytorch_like():
    assert repr(mlp()) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=8, bias=True)\n"
        "  (1): Tanh()\n"
        "  (2): Dropout(p=0.2)\n"
        "  (3): Linear(in_features=8, out_features=3, bias=True)\n"
        ")"
    )


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="Sequential expected Module arguments, got int at position 1"):
        nnkit.Sequential(nnkit.ReLU(), 3)


def test_sequential_shape_error_names_the_failing_layer():
    model = nnkit.Sequential(nnkit.Linear(4, 8), nnkit.ReLU(), nnkit.Linear(5, 2))
    with pytest.raises(ValueError, match=r"Linear\(5 -> 2\) expected input with 5 features, got shape \(3, 8\)"):
        model(np.zeros((3, 4)))


def test_module_without_forward():
    with pytest.raises(NotImplementedError, match="Module does not implement forward"):
        nnkit.Module()(np.zeros(1))


def test_manual_seed_reproduces_models_and_set_default_dtype():
    np.testing.assert_array_equal(mlp(5)[0].weight.data, mlp(5)[0].weight.data)
    assert not np.array_equal(mlp(5)[0].weight.data, mlp(6)[0].weight.data)
    try:
        nnkit.set_default_dtype(np.float64)
        assert nnkit.Linear(2, 2).weight.dtype == np.float64
        assert nnkit.get_default_dtype() == np.float64
    finally:
        nnkit.set_default_dtype(np.float32)
    with pytest.raises(TypeError, match=r"set_default_dtype expected a floating-point dtype .* got int64"):
        nnkit.set_default_dtype(np.int64)
    with pytest.raises(TypeError, match="manual_seed expected an integer seed, got str"):
        nnkit.manual_seed("1")
    with pytest.raises(TypeError, match="rng expected a numpy.random.Generator, an int seed or None, got float"):
        nnkit.Linear(2, 2, rng=1.5)


def test_numpy_global_rng_is_never_touched():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    nnkit.manual_seed(0)
    model = mlp()
    model(np.ones((2, 4)))
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_sequential_matches_torch(torch):
    model = nnkit.Sequential(nnkit.Linear(4, 8, rng=0), nnkit.ReLU(), nnkit.Linear(8, 3, rng=1)).to(np.float64)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).double()
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    assert list(ref.state_dict()) == list(model.state_dict())
    x = np.random.default_rng(0).normal(size=(5, 4))
    xt = torch.tensor(x, requires_grad=True)
    out = ref(xt)
    out.sum().backward()
    np.testing.assert_allclose(model(x), out.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(model.backward(np.ones((5, 3))), xt.grad.numpy(), rtol=1e-12)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, dict(ref.named_parameters())[name].grad.numpy(), rtol=1e-12)


# --- one backward per forward ---------------------------------------------------------------


def test_a_second_backward_through_a_sequential_is_refused():
    # it used to double every parameter gradient silently
    model = mlp().eval()
    x, dy = np.random.default_rng(0).normal(size=(5, 4)), np.ones((5, 3), np.float32)
    model(x)
    model.backward(dy)
    once = [p.grad.copy() for p in model.parameters()]
    with pytest.raises(RuntimeError, match=r"^Sequential: backward called a second time after one forward; "):
        model.backward(dy)
    for p, g in zip(model.parameters(), once):
        np.testing.assert_array_equal(p.grad, g)  # nothing was added
    assert all(m._saved_tensors is None for m in model.modules())  # the saved arrays were freed


def test_retain_graph_reaches_every_module_a_backward_calls():
    class Residual(nnkit.Module):
        # y = x + f(x): a container that does not mention retain_graph itself
        def __init__(self, f):
            super().__init__()
            self.f = f

        def forward(self, x):
            return x + self.f(x)

        def backward(self, grad_output, *, input_grad=True):
            return grad_output + self.f.backward(grad_output)

    model = nnkit.Sequential(Residual(nnkit.Sequential(nnkit.Linear(3, 3, rng=0), nnkit.Tanh())), nnkit.Linear(3, 2))
    x, dy = np.ones((4, 3)), np.ones((4, 2), np.float32)
    model(x)
    first = model.backward(dy, retain_graph=True)
    np.testing.assert_array_equal(model.backward(dy), first)
    with pytest.raises(RuntimeError, match="^Sequential: backward called a second time"):
        model.backward(dy)
    inner = model[0].f
    with pytest.raises(RuntimeError, match="^Sequential: backward called a second time"):
        inner.backward(dy)  # the inner modules were freed too
    assert gradcheck(Residual(nnkit.Linear(3, 3, rng=0)), x).ok


def test_backward_before_forward_and_saved_tensors_errors():
    class NoSave(nnkit.Module):
        def forward(self, x):
            return 2 * x

        def backward(self, grad_output, *, input_grad=True):
            return 2 * grad_output * self.saved_tensors[0]

    m = NoSave()
    with pytest.raises(RuntimeError, match="^NoSave: backward called before forward$"):
        m.backward(np.ones(2))
    m(np.ones(2))
    with pytest.raises(RuntimeError, match=r"^NoSave: saved_tensors is empty: its forward did not call"):
        m.backward(np.ones(2))
    layer = nnkit.Linear(2, 2)
    with pytest.raises(ValueError, match="expected input with 2 features"):
        layer(np.ones((1, 3)))
    with pytest.raises(RuntimeError, match=r"^Linear\(2 -> 2\): backward called before forward$"):
        layer.backward(np.ones((1, 2)))  # a forward that failed saved nothing


def test_a_failed_backward_can_be_repeated():
    layer = nnkit.Linear(2, 3)
    layer(np.ones((4, 2)))
    with pytest.raises(ValueError, match="expected grad_output of shape"):
        layer.backward(np.ones((4, 2)))
    layer.backward(np.ones((4, 3), np.float32))  # the saved input was kept for the corrected call


def test_backward_signature_shows_retain_graph():
    for cls in (nnkit.Linear, nnkit.ReLU, nnkit.Sequential, nnkit.MSELoss):
        params = inspect.signature(cls.backward).parameters
        assert params["retain_graph"].default is False and params["retain_graph"].kind is inspect.Parameter.KEYWORD_ONLY


# --- documentation for layer authors -----------------------------------------------------------


def test_help_on_module_documents_the_methods_and_not_the_source_comments():
    text = pydoc.render_doc(nnkit.Module, renderer=pydoc.plaintext)
    assert "# ---" not in text  # section comments of the source used to show as documentation
    for name in ("forward", "backward", "parameters", "save_for_backward", "saved_tensors", "__call__"):
        member = getattr(nnkit.Module, name)
        assert inspect.getdoc(member), name
    doc = nnkit.Module.__doc__
    assert "_cached" not in doc and "self.save_for_backward(x)" in doc and "self.saved_tensors" in doc
    assert "retain_graph=True" in doc
    assert "Integer or boolean input becomes the default dtype" in doc  # the one dtype rule


# --- load_state_dict ----------------------------------------------------------------------------


def test_load_state_dict_checks_everything_before_writing_anything():
    # a bad second entry used to raise after the first layer had been overwritten
    model = mlp(0)
    before = model.state_dict()
    state = mlp(1).state_dict()
    state["3.weight"] = np.zeros((8, 3))
    with pytest.raises(ValueError, match=r"'3.weight' expected shape \(3, 8\), got shape \(8, 3\)"):
        model.load_state_dict(state)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)
    state = mlp(1).state_dict()
    state["3.bias"] = np.array(["a", "b", "c"])
    with pytest.raises(TypeError, match=r"'3.bias' expected a real-valued numeric array, got dtype <U1"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model[0].weight.data, before["0.weight"])


# --- buffers: state that is saved but not learned ---------------------------------------------------


class Counter(nnkit.Module):
    """A buffer registered before a parameter: the state dict still lists the parameter first."""

    def __init__(self):
        super().__init__()
        self.register_buffer("total", np.zeros(3))
        self.register_buffer("steps", np.zeros((), dtype=np.int64))
        self.register_buffer("unused", None)
        self.scale = nnkit.Parameter(np.ones(3))
        self.inner = nnkit.BatchNorm1d(3)

    def forward(self, x):
        self.total += x.sum(axis=0)
        self.steps += 1
        return self.inner(x * self.scale.data)


def test_register_buffer_sets_the_attribute_and_names_it():
    m = Counter()
    assert isinstance(m.total, np.ndarray) and m.unused is None
    assert [name for name, _ in m.named_buffers()] == [
        "total",
        "steps",
        "inner.running_mean",
        "inner.running_var",
        "inner.num_batches_tracked",
    ]
    assert dict(m.named_buffers())["total"] is m.total  # the array itself, not a copy
    m(np.ones((2, 3)))
    np.testing.assert_array_equal(dict(m.named_buffers())["total"], [2.0, 2.0, 2.0])
    assert [name for name, _ in m.named_buffers(prefix="net.")][:2] == ["net.total", "net.steps"]


def test_named_buffers_follow_nested_sequential_prefixes():
    model = nnkit.Sequential(
        nnkit.Linear(2, 3), nnkit.Sequential(nnkit.BatchNorm1d(3), nnkit.ReLU(), nnkit.BatchNorm1d(3, affine=False))
    )
    assert [name for name, _ in model.named_buffers()] == [
        "1.0.running_mean",
        "1.0.running_var",
        "1.0.num_batches_tracked",
        "1.2.running_mean",
        "1.2.running_var",
        "1.2.num_batches_tracked",
    ]


def test_buffers_are_not_parameters():
    m = Counter()
    assert [name for name, _ in m.named_parameters()] == ["scale", "inner.weight", "inner.bias"]
    buffer_ids = {id(b) for _, b in m.named_buffers()}
    assert not buffer_ids & {id(p) for p in m.parameters()} and not buffer_ids & {id(p.data) for p in m.parameters()}
    assert m.num_parameters() == 9
    model = bn_mlp()
    optimizer = nnkit.optim.SGD(model.parameters(), lr=0.5)
    model(np.random.default_rng(0).normal(size=(6, 4)))
    buffers = {name: value.copy() for name, value in model.named_buffers()}
    model.backward(np.ones((6, 2), np.float32))
    optimizer.step()
    assert not np.array_equal(model[1].weight.data, np.ones(5))  # the step changed the parameters...
    for name, value in model.named_buffers():
        np.testing.assert_array_equal(value, buffers[name], err_msg=name)  # ...and left the buffers alone


def test_state_dict_order_is_own_parameters_then_own_buffers_then_children():
    assert list(Counter().state_dict()) == [
        "scale",
        "total",
        "steps",
        "inner.weight",
        "inner.bias",
        "inner.running_mean",
        "inner.running_var",
        "inner.num_batches_tracked",
    ]


def bn_mlp(seed=0):
    nnkit.manual_seed(seed)
    return nnkit.Sequential(nnkit.Linear(4, 5), nnkit.BatchNorm1d(5), nnkit.ReLU(), nnkit.Linear(5, 2))


BN_MLP_KEYS = [
    "0.weight",
    "0.bias",
    "1.weight",
    "1.bias",
    "1.running_mean",
    "1.running_var",
    "1.num_batches_tracked",
    "3.weight",
    "3.bias",
]


def test_state_dict_with_buffers_has_pytorchs_keys():
    state = bn_mlp().state_dict()
    assert list(state) == BN_MLP_KEYS
    assert state["1.num_batches_tracked"].shape == () and state["1.num_batches_tracked"].dtype == np.int64


def test_state_dict_order_matches_torch(torch):
    ref = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    assert list(bn_mlp().state_dict()) == list(ref.state_dict())
    model = bn_mlp().to(np.float64)
    ref.double().load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    for step in range(2):
        x = np.random.default_rng(step).normal(size=(6, 4))
        np.testing.assert_allclose(model(x), ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-12, atol=1e-12)
    for name, value in ref.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[name], value.numpy(), rtol=1e-12, err_msg=name)


def test_state_dict_copies_buffers_and_load_writes_them_in_place():
    model = bn_mlp()
    state = model.state_dict()
    state["1.running_mean"][...] = 7.0
    assert not model[1].running_mean.any()  # a copy: the model is untouched
    buffer = model[1].running_mean
    model.load_state_dict(state)
    assert model[1].running_mean is buffer  # loaded into the same array
    np.testing.assert_array_equal(buffer, np.full(5, 7.0, np.float32))
    state["1.num_batches_tracked"] = np.array(4)
    model.load_state_dict(state)
    assert int(model[1].num_batches_tracked) == 4 and model[1].num_batches_tracked.dtype == np.int64


def test_load_state_dict_strict_about_buffer_keys():
    model = bn_mlp()
    state = model.state_dict()
    del state["1.running_var"]
    with pytest.raises(KeyError, match=r"missing keys \['1.running_var'\], unexpected keys \[\]"):
        model.load_state_dict(state)
    state = model.state_dict()
    state["1.running_std"] = np.ones(5)
    with pytest.raises(KeyError, match=r"missing keys \[\], unexpected keys \['1.running_std'\]"):
        model.load_state_dict(state)
    nnkit.manual_seed(0)
    no_stats = nnkit.Sequential(
        nnkit.Linear(4, 5), nnkit.BatchNorm1d(5, track_running_stats=False), nnkit.ReLU(), nnkit.Linear(5, 2)
    )
    with pytest.raises(
        KeyError,
        match=r"missing keys \[\], unexpected keys \['1.num_batches_tracked', '1.running_mean', '1.running_var'\]",
    ):
        no_stats.load_state_dict(bn_mlp().state_dict())
    partial = {"1.running_mean": np.full(5, 2.0), "9.extra": np.zeros(1)}
    model.load_state_dict(partial, strict=False)
    np.testing.assert_array_equal(model[1].running_mean, np.full(5, 2.0))


def test_a_failed_load_leaves_buffers_unchanged():
    model = bn_mlp(0)
    model(np.random.default_rng(0).normal(size=(6, 4)))
    before = model.state_dict()
    state = bn_mlp(1).state_dict()
    state["1.running_mean"][...] = 5.0
    state["1.num_batches_tracked"] = np.array(9)
    state["3.bias"] = np.zeros(3)  # wrong shape, after the buffers in the state dict's order
    with pytest.raises(ValueError, match=r"'3.bias' expected shape \(2,\), got shape \(3,\)"):
        model.load_state_dict(state)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)
    state = bn_mlp(1).state_dict()
    state["1.running_var"] = np.ones((5, 1))
    with pytest.raises(ValueError, match=r"'1.running_var' expected shape \(5,\), got shape \(5, 1\)"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model[1].running_var, before["1.running_var"])


def test_a_none_buffer_is_left_out():
    m = Counter()
    assert "unused" not in m.state_dict() and "unused" not in dict(m.named_buffers())
    m.to(np.float64)  # a None buffer is skipped by the cast
    assert m.unused is None
    m.register_buffer("unused", np.arange(2.0))  # registered again: now it counts, in its first place
    assert list(m.state_dict())[:4] == ["scale", "total", "steps", "unused"]
    m.register_buffer("total", None)
    assert "total" not in m.state_dict() and m.total is None


def test_to_casts_floating_point_buffers_only():
    m = Counter().to(np.float64)
    assert m.total.dtype == m.inner.running_mean.dtype == m.inner.running_var.dtype == np.float64
    assert m.steps.dtype == m.inner.num_batches_tracked.dtype == np.int64
    assert "total" in dict(m.named_buffers()) and m.total is dict(m.named_buffers())["total"]
    m.to(np.float32)
    assert m.total.dtype == np.float32 and m.steps.dtype == np.int64


def test_register_buffer_rejects_bad_names_and_values():
    m = nnkit.Module()
    for name in ("a.b", "", "1st", "two words"):
        with pytest.raises(
            ValueError, match=rf"^Module\.register_buffer expected a name that is an identifier, got {name!r}$"
        ):
            m.register_buffer(name, np.zeros(1))
    with pytest.raises(ValueError, match=r"^Module\.register_buffer expected a name that is an identifier, got 3$"):
        m.register_buffer(3, np.zeros(1))
    with pytest.raises(TypeError, match=r"^Module\.register_buffer expected an ndarray or None, got list$"):
        m.register_buffer("stats", [1.0, 2.0])
    with pytest.raises(
        TypeError, match=r"^Linear\(2 -> 2\)\.register_buffer expected an ndarray or None, got Parameter$"
    ):
        nnkit.Linear(2, 2).register_buffer("stats", nnkit.Parameter(np.zeros(2)))
    assert list(m.named_buffers()) == [] and not hasattr(m, "stats")


def test_register_buffer_refuses_a_name_that_is_already_a_parameter():
    layer = nnkit.Linear(2, 2)
    with pytest.raises((KeyError, ValueError), match="weight"):
        layer.register_buffer("weight", np.zeros(2))
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]


def test_a_slice_of_a_sequential_is_a_sequential_of_the_same_modules():
    model = nnkit.Sequential(nnkit.Linear(3, 4, rng=0), nnkit.ReLU(), nnkit.Linear(4, 2, rng=1))
    head = model[:2]
    assert isinstance(head, nnkit.Sequential) and len(head) == 2
    assert head[0] is model[0] and head[1] is model[1]  # the same modules, as in PyTorch
    x = np.ones((5, 3), dtype=np.float32)
    np.testing.assert_array_equal(head(x), model[1](model[0](x)))
    assert isinstance(model[-1], nnkit.Linear)
    assert list(head.state_dict()) == ["0.weight", "0.bias"]


# --- forward hooks and named_modules --------------------------------------------------------------


def test_forward_hooks_see_each_output_until_removed_and_do_not_change_it():
    model = nnkit.Sequential(nnkit.Linear(2, 3, rng=0), nnkit.ReLU())
    seen = []
    handle = model[1].register_forward_hook(lambda m, args, out: seen.append((m, args[0].shape, out.copy())))
    x = np.ones((4, 2), dtype=np.float32)
    y = model(x)
    assert len(seen) == 1 and seen[0][0] is model[1] and seen[0][1] == (4, 3)
    np.testing.assert_array_equal(seen[0][2], y)
    model.backward(np.ones_like(y))  # the hook leaves backward alone
    handle.remove()
    handle.remove()  # twice is harmless
    model(x)
    assert len(seen) == 1
    assert list(model.state_dict()) == ["0.weight", "0.bias"]  # hooks are not state
    with pytest.raises(TypeError, match="register_forward_hook expected a callable, got int"):
        model.register_forward_hook(3)


def test_named_modules_names_every_module_as_pytorch_does():
    model = nnkit.Sequential(nnkit.Linear(2, 3), nnkit.Sequential(nnkit.ReLU(), nnkit.Linear(3, 1)))
    assert [name for name, _ in model.named_modules()] == ["", "0", "1", "1.0", "1.1"]
    assert [m for _, m in model.named_modules()] == list(model.modules())
