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
