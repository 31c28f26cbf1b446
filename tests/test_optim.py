"""Tests for nnkit/optim.py: SGD, Adagrad, RMSprop, Adam, AdamW and the lr schedulers.

Three layers of evidence: single steps computed by hand from each documented rule
(written out in plain NumPy below), 50-step trajectories next to ``torch.optim`` (an
optional oracle), and hypothesis properties (lr = 0 is a no-op, Adam's first step is
``lr`` per coordinate, momentum SGD equals the textbook velocity form).
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nnkit
from nnkit import optim


def param(*values, dtype=np.float64):
    return nnkit.Parameter(np.array(values, dtype=dtype))


def step_with(opt, p, grad):
    """Set ``p.grad`` to ``grad`` and take one step; return the new ``p.data`` (a copy)."""
    p.grad[...] = grad
    opt.step()
    return p.data.copy()


THETA0 = np.array([1.0, -2.0, 0.5, 3.0])
G1 = np.array([0.5, -1.0, 2.0, 0.0])
G2 = np.array([-0.25, 0.75, 1.5, 1.0])


# --- hand-computed steps ----------------------------------------------------------------


def test_sgd_plain_step():
    p = param(*THETA0)
    theta1 = step_with(optim.SGD([p], lr=0.1), p, G1)
    np.testing.assert_allclose(theta1, THETA0 - 0.1 * G1, rtol=1e-15)


def test_sgd_weight_decay_adds_l2_to_the_gradient():
    p = param(*THETA0)
    theta1 = step_with(optim.SGD([p], lr=0.1, weight_decay=0.3), p, G1)
    np.testing.assert_allclose(theta1, THETA0 - 0.1 * (G1 + 0.3 * THETA0), rtol=1e-15)


def test_sgd_momentum_first_step_is_the_gradient_then_damped():
    lr, mu, tau = 0.1, 0.9, 0.25
    p = param(*THETA0)
    opt = optim.SGD([p], lr=lr, momentum=mu, dampening=tau)
    theta1 = step_with(opt, p, G1)
    b1 = G1  # first step: b = g, no dampening (as PyTorch)
    np.testing.assert_allclose(theta1, THETA0 - lr * b1, rtol=1e-15)
    theta2 = step_with(opt, p, G2)
    b2 = mu * b1 + (1 - tau) * G2
    np.testing.assert_allclose(theta2, theta1 - lr * b2, rtol=1e-15)
    theta3 = step_with(opt, p, G1)
    b3 = mu * b2 + (1 - tau) * G1
    np.testing.assert_allclose(theta3, theta2 - lr * b3, rtol=1e-15)


def test_sgd_nesterov_with_weight_decay():
    lr, mu, wd = 0.1, 0.9, 0.01
    p = param(*THETA0)
    opt = optim.SGD([p], lr=lr, momentum=mu, nesterov=True, weight_decay=wd)
    theta1 = step_with(opt, p, G1)
    g1 = G1 + wd * THETA0
    b1 = g1
    np.testing.assert_allclose(theta1, THETA0 - lr * (g1 + mu * b1), rtol=1e-15)
    theta2 = step_with(opt, p, G2)
    g2 = G2 + wd * theta1
    b2 = mu * b1 + g2
    np.testing.assert_allclose(theta2, theta1 - lr * (g2 + mu * b2), rtol=1e-15)


def test_adagrad_accumulates_squared_gradients():
    lr, eps, wd = 0.5, 1e-10, 0.1
    p = param(*THETA0)
    opt = optim.Adagrad([p], lr=lr, eps=eps, weight_decay=wd)
    theta1 = step_with(opt, p, G1)
    g1 = G1 + wd * THETA0
    s1 = g1**2
    np.testing.assert_allclose(theta1, THETA0 - lr * g1 / (np.sqrt(s1) + eps), rtol=1e-15)
    theta2 = step_with(opt, p, G2)
    g2 = G2 + wd * theta1
    s2 = s1 + g2**2
    np.testing.assert_allclose(theta2, theta1 - lr * g2 / (np.sqrt(s2) + eps), rtol=1e-15)


def test_rmsprop_without_momentum():
    lr, alpha, eps = 0.01, 0.9, 1e-8
    p = param(*THETA0)
    opt = optim.RMSprop([p], lr=lr, alpha=alpha, eps=eps)
    theta1 = step_with(opt, p, G1)
    v1 = (1 - alpha) * G1**2
    np.testing.assert_allclose(theta1, THETA0 - lr * G1 / (np.sqrt(v1) + eps), rtol=1e-15)
    theta2 = step_with(opt, p, G2)
    v2 = alpha * v1 + (1 - alpha) * G2**2
    np.testing.assert_allclose(theta2, theta1 - lr * G2 / (np.sqrt(v2) + eps), rtol=1e-15)


def test_rmsprop_with_momentum_and_weight_decay():
    lr, alpha, eps, mu, wd = 0.01, 0.9, 1e-8, 0.8, 0.05
    p = param(*THETA0)
    opt = optim.RMSprop([p], lr=lr, alpha=alpha, eps=eps, momentum=mu, weight_decay=wd)
    theta1 = step_with(opt, p, G1)
    g1 = G1 + wd * THETA0
    v1 = (1 - alpha) * g1**2
    b1 = g1 / (np.sqrt(v1) + eps)
    np.testing.assert_allclose(theta1, THETA0 - lr * b1, rtol=1e-15)
    theta2 = step_with(opt, p, G2)
    g2 = G2 + wd * theta1
    v2 = alpha * v1 + (1 - alpha) * g2**2
    b2 = mu * b1 + g2 / (np.sqrt(v2) + eps)
    np.testing.assert_allclose(theta2, theta1 - lr * b2, rtol=1e-14)


def adam_reference(theta0, grads, lr, betas, eps, weight_decay=0.0, decoupled=False):
    """Adam/AdamW written straight from the paper's equations, one step at a time."""
    beta1, beta2 = betas
    theta, m, v = theta0.copy(), np.zeros_like(theta0), np.zeros_like(theta0)
    out = []
    for t, g in enumerate(grads, start=1):
        if decoupled:
            theta = theta - lr * weight_decay * theta
        else:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(theta)
    return out


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_adam_two_steps_with_bias_correction(weight_decay):
    lr, betas, eps = 0.01, (0.8, 0.95), 1e-8
    p = param(*THETA0)
    opt = optim.Adam([p], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    expected = adam_reference(THETA0, [G1, G2], lr, betas, eps, weight_decay)
    theta1 = step_with(opt, p, G1)
    np.testing.assert_allclose(theta1, expected[0], rtol=1e-14)
    if weight_decay == 0:
        # step 1: m_hat = g and v_hat = g^2, so each coordinate moves by lr * sign(g)
        np.testing.assert_allclose(theta1 - THETA0, -lr * np.sign(G1), rtol=1e-7)
    theta2 = step_with(opt, p, G2)
    np.testing.assert_allclose(theta2, expected[1], rtol=1e-14)


def test_adamw_decays_decoupled_and_differs_from_adam_l2():
    lr, betas, eps, wd = 0.01, (0.9, 0.999), 1e-8, 0.5
    pw, pl = param(*THETA0), param(*THETA0)
    adamw = optim.AdamW([pw], lr=lr, betas=betas, eps=eps, weight_decay=wd)
    adam = optim.Adam([pl], lr=lr, betas=betas, eps=eps, weight_decay=wd)
    expected_w = adam_reference(THETA0, [G1, G2], lr, betas, eps, wd, decoupled=True)
    expected_l = adam_reference(THETA0, [G1, G2], lr, betas, eps, wd, decoupled=False)
    for g, ew, el in zip([G1, G2], expected_w, expected_l, strict=True):
        np.testing.assert_allclose(step_with(adamw, pw, g), ew, rtol=1e-14)
        np.testing.assert_allclose(step_with(adam, pl, g), el, rtol=1e-14)
    assert not np.allclose(pw.data, pl.data, rtol=1e-6)
    # With a zero gradient AdamW still shrinks θ by (1 - lr λ); Adam-L2's step is ±lr.
    pw, pl = param(*THETA0), param(*THETA0)
    np.testing.assert_allclose(
        step_with(optim.AdamW([pw], lr=lr, weight_decay=wd), pw, 0.0), THETA0 * (1 - lr * wd), rtol=1e-15
    )
    np.testing.assert_allclose(
        step_with(optim.Adam([pl], lr=lr, weight_decay=wd), pl, 0.0), THETA0 - lr * np.sign(THETA0), rtol=1e-7
    )


def test_adamw_default_weight_decay_is_pytorchs():
    assert optim.AdamW([param(1.0)]).weight_decay == 0.01
    assert optim.Adam([param(1.0)]).weight_decay == 0.0


def test_each_parameter_keeps_its_own_state():
    """Two parameters with different gradients must not share momentum buffers."""
    a, b = param(0.0, 0.0), param(0.0, 0.0)
    opt = optim.SGD([a, b], lr=1.0, momentum=0.5)
    for _ in range(3):
        a.grad[...] = 1.0
        b.grad[...] = -2.0
        opt.step()
    # b_t = 1, 1.5, 1.75 (times the gradient): θ = -(1 + 1.5 + 1.75) g
    np.testing.assert_allclose(a.data, [-4.25, -4.25])
    np.testing.assert_allclose(b.data, [8.5, 8.5])


# --- lr is a plain attribute ---------------------------------------------------------------


def test_sgd_lr_changed_between_steps_takes_effect():
    p = param(*THETA0)
    opt = optim.SGD([p], lr=0.1)
    theta1 = step_with(opt, p, G1)
    opt.lr = 0.01
    theta2 = step_with(opt, p, G2)
    np.testing.assert_allclose(theta2, theta1 - 0.01 * G2, rtol=1e-15)


def test_adam_and_adamw_use_the_current_lr():
    lr1, lr2, betas, eps, wd = 0.1, 0.003, (0.9, 0.999), 1e-8, 0.2
    for cls, decoupled in [(optim.Adam, False), (optim.AdamW, True)]:
        p = param(*THETA0)
        opt = cls([p], lr=lr1, betas=betas, eps=eps, weight_decay=wd)
        theta1 = step_with(opt, p, G1)
        opt.lr = lr2
        theta2 = step_with(opt, p, G2)
        # Replay the reference: step 1 with lr1, then step 2 with lr2 from the same moments.
        beta1, beta2 = betas
        g1 = G1 if decoupled else G1 + wd * THETA0
        m1, v1 = (1 - beta1) * g1, (1 - beta2) * g1**2
        theta = theta1 * (1 - lr2 * wd) if decoupled else theta1
        g2 = G2 if decoupled else G2 + wd * theta1
        m2, v2 = beta1 * m1 + (1 - beta1) * g2, beta2 * v1 + (1 - beta2) * g2**2
        expected = theta - lr2 * (m2 / (1 - beta1**2)) / (np.sqrt(v2 / (1 - beta2**2)) + eps)
        np.testing.assert_allclose(theta2, expected, rtol=1e-14)


# --- in place, zero_grad, repr -----------------------------------------------------------------

ALL_CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.01, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "betas": (0.8, 0.99)}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}),
]
CONFIG_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw in ALL_CONFIGS]


@pytest.mark.parametrize(("name", "kwargs"), ALL_CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_step_updates_in_place_and_leaves_grad_alone(name, kwargs, dtype):
    rng = np.random.default_rng(0)
    p = nnkit.Parameter(rng.normal(size=(3, 4)), dtype=dtype)
    data, grad = p.data, p.grad
    view = p.data[1]  # someone holding a view of the weights sees the update
    opt = getattr(optim, name)([p], **kwargs)
    for _ in range(3):
        before = p.data.copy()
        p.grad[...] = rng.normal(size=(3, 4))
        g_before = p.grad.copy()
        opt.step()
        assert p.data is data and p.grad is grad
        assert p.data.dtype == dtype
        np.testing.assert_array_equal(p.grad, g_before)  # the step does not write into grad
        assert not np.array_equal(p.data, before)
    np.testing.assert_array_equal(view, p.data[1])


def test_zero_grad_zeroes_every_grad_in_place():
    model = nnkit.Sequential(nnkit.Linear(3, 4, rng=0), nnkit.Tanh(), nnkit.Linear(4, 2, rng=1))
    params = list(model.parameters())
    opt = optim.Adam(params, lr=0.1)
    grads = [p.grad for p in params]
    for p in params:
        p.grad[...] = 1.5
    opt.zero_grad()
    for p, g in zip(params, grads, strict=True):
        assert p.grad is g
        assert not p.grad.any()


def test_accepts_a_generator_of_parameters():
    model = nnkit.Sequential(nnkit.Linear(3, 4, rng=0), nnkit.Tanh(), nnkit.Linear(4, 2, rng=1))
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert len(opt.params) == 4


def test_repr_shows_hyperparameters():
    text = repr(optim.SGD([param(1.0)], lr=0.1, momentum=0.9))
    assert text.startswith("SGD(") and "lr=0.1" in text and "momentum=0.9" in text


# --- errors --------------------------------------------------------------------------------

OPTIMIZERS = ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_empty_parameter_list(name):
    with pytest.raises(ValueError, match=f"^{name} got an empty parameter list$"):
        getattr(optim, name)([], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        getattr(optim, name)(iter([]), lr=0.1)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_negative_lr(name):
    with pytest.raises(ValueError, match=rf"^{name} expected lr to be a finite real number >= 0, got -0\.1$"):
        getattr(optim, name)([param(1.0)], lr=-0.1)
    getattr(optim, name)([param(1.0)], lr=0.0)  # zero is allowed


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_non_parameter_in_list(name):
    with pytest.raises(TypeError, match=f"^{name} expected Parameters, got ndarray$"):
        getattr(optim, name)([param(1.0), np.zeros(3)], lr=0.1)


def test_passing_the_model_instead_of_its_parameters():
    model = nnkit.Sequential(nnkit.Linear(3, 4, rng=0), nnkit.Tanh())
    with pytest.raises(TypeError, match="SGD expected Parameters, got Linear"):
        optim.SGD(model, lr=0.1)


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW])
@pytest.mark.parametrize(
    ("betas", "message"),
    [
        ((1.0, 0.999), r"expected betas\[0\] to be a real number in \[0, 1\), got 1\.0$"),
        ((-0.1, 0.999), r"expected betas\[0\] to be a real number in \[0, 1\), got -0\.1$"),
        ((0.9, 1.0), r"expected betas\[1\] to be a real number in \[0, 1\), got 1\.0$"),
        ((0.9, 1.5), r"expected betas\[1\] to be a real number in \[0, 1\), got 1\.5$"),
        ((0.9, math.nan), r"expected betas\[1\] to be a real number in \[0, 1\), got nan$"),
    ],
)
def test_bad_betas(cls, betas, message):
    with pytest.raises(ValueError, match=f"^{cls.__name__} {message}"):
        cls([param(1.0)], lr=0.1, betas=betas)


@pytest.mark.parametrize("betas", [0.9, (0.9,), (0.9, 0.99, 0.999), "ab"])
def test_betas_must_be_a_pair(betas):
    with pytest.raises(TypeError, match=r"^Adam expected betas to be a pair \(beta1, beta2\), got "):
        optim.Adam([param(1.0)], lr=0.1, betas=betas)


def test_beta_zero_is_allowed():
    optim.Adam([param(1.0)], betas=(0.0, 0.0))


@pytest.mark.parametrize(
    "kwargs",
    [{"nesterov": True}, {"nesterov": True, "momentum": 0.0}, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}],
)
def test_nesterov_needs_momentum_and_no_dampening(kwargs):
    with pytest.raises(ValueError, match=r"^SGD with nesterov=True requires momentum > 0 and dampening = 0$"):
        optim.SGD([param(1.0)], lr=0.1, **kwargs)


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("SGD", {"momentum": -0.5}, r"^SGD expected momentum to be a finite real number >= 0, got -0\.5$"),
        ("SGD", {"weight_decay": -1.0}, r"^SGD expected weight_decay to be a finite real number >= 0, got -1\.0$"),
        ("SGD", {"dampening": 1.5}, r"^SGD expected dampening to be a real number in \[0, 1\], got 1\.5$"),
        ("Adagrad", {"eps": -1e-10}, r"^Adagrad expected eps to be a finite real number >= 0, got -1e-10$"),
        ("Adagrad", {"weight_decay": -1.0}, r"^Adagrad expected weight_decay to be a finite real number >= 0"),
        ("RMSprop", {"alpha": 1.5}, r"^RMSprop expected alpha to be a real number in \[0, 1\], got 1\.5$"),
        ("RMSprop", {"alpha": -0.5}, r"^RMSprop expected alpha to be a real number in \[0, 1\], got -0\.5$"),
        ("RMSprop", {"momentum": -0.1}, r"^RMSprop expected momentum to be a finite real number >= 0"),
        ("RMSprop", {"eps": -1.0}, r"^RMSprop expected eps to be a finite real number >= 0"),
        ("Adam", {"eps": -1.0}, r"^Adam expected eps to be a finite real number >= 0"),
        ("AdamW", {"weight_decay": -0.1}, r"^AdamW expected weight_decay to be a finite real number >= 0, got -0\.1$"),
    ],
)
def test_bad_hyperparameters(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)([param(1.0)], lr=0.1, **kwargs)


HYPERPARAMETERS = {
    "SGD": ["lr", "momentum", "dampening", "weight_decay"],
    "Adagrad": ["lr", "eps", "weight_decay"],
    "RMSprop": ["lr", "alpha", "eps", "weight_decay", "momentum"],
    "Adam": ["lr", "eps", "weight_decay"],
    "AdamW": ["lr", "eps", "weight_decay"],
}


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_hyperparameters_are_refused(name, value):
    # lr=nan used to be accepted, and training then "diverged"; inf passed every range check
    for key in HYPERPARAMETERS[name]:
        kwargs = {"lr": 0.1, key: value}
        with pytest.raises(ValueError, match=rf"^{name} expected {key} to be a (finite )?real number .*, got {value}$"):
            getattr(optim, name)([param(1.0)], **kwargs)
    if name.startswith("Adam"):
        with pytest.raises(ValueError, match=rf"^{name} expected betas\[0\] to be a real number"):
            getattr(optim, name)([param(1.0)], lr=0.1, betas=(value, 0.999))


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_lr_is_checked_when_it_changes(name):
    opt = getattr(optim, name)([param(1.0)], lr=0.1)
    opt.lr = 0.5  # a scheduler does this
    assert opt.lr == 0.5
    with pytest.raises(ValueError, match=rf"^{name} expected lr to be a finite real number >= 0, got nan$"):
        opt.lr = math.nan
    with pytest.raises(TypeError, match=rf"^{name} expected lr to be a finite real number >= 0, got '0\.1' \(str\)$"):
        opt.lr = "0.1"
    assert opt.lr == 0.5 and repr(opt).startswith(f"{name}(lr=0.5, ")


def test_params_must_be_an_iterable_of_parameters():
    p = param(1.0)
    with pytest.raises(
        TypeError, match=r"^SGD expected an iterable of Parameters \(e\.g\. \[p\]\), got one Parameter$"
    ):
        optim.SGD(p, lr=0.1)
    with pytest.raises(
        TypeError, match=r"^Adam expected an iterable of Parameters \(model\.parameters\(\)\), got Linear$"
    ):
        optim.Adam(nnkit.Linear(2, 2), lr=0.1)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda o: optim.StepLR(o, step_size=2, gamma=math.nan),
            r"^StepLR expected gamma to be a finite real number >= 0, got nan$",
        ),
        (
            lambda o: optim.StepLR(o, step_size=2.5),
            r"^StepLR expected step_size to be an integer >= 1, got 2\.5 \(float\)$",
        ),
        (
            lambda o: optim.ExponentialLR(o, gamma=math.inf),
            r"^ExponentialLR expected gamma to be a finite real number >= 0, got inf$",
        ),
        (
            lambda o: optim.ExponentialLR(o, gamma="0.9"),
            r"^ExponentialLR expected gamma to be a finite real number >= 0, got '0\.9' \(str\)$",
        ),
        (
            lambda o: optim.CosineAnnealingLR(o, T_max=10, eta_min=math.nan),
            r"^CosineAnnealingLR expected eta_min to be a finite real number >= 0, got nan$",
        ),
        (
            lambda o: optim.CosineAnnealingLR(o, T_max=None),
            r"^CosineAnnealingLR expected T_max to be an integer >= 1, got None \(NoneType\)$",
        ),
    ],
)
def test_scheduler_hyperparameters_are_checked(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make(optim.SGD([param(1.0)], lr=0.1))


def test_scheduler_on_a_non_optimizer(torch):
    with pytest.raises(TypeError, match=r"^StepLR expected an nnkit Optimizer, got object$"):
        optim.StepLR(object(), step_size=1)
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    for make in (
        lambda o: optim.ExponentialLR(o, gamma=0.9),
        lambda o: optim.CosineAnnealingLR(o, T_max=5),
    ):
        with pytest.raises(TypeError, match=r"expected an nnkit Optimizer, got SGD"):
            make(topt)


@pytest.mark.parametrize("step_size", [0, -1])
def test_steplr_step_size_must_be_positive(step_size):
    opt = optim.SGD([param(1.0)], lr=0.1)
    with pytest.raises(ValueError, match=rf"^StepLR expected step_size to be an integer >= 1, got {step_size}$"):
        optim.StepLR(opt, step_size=step_size)


@pytest.mark.parametrize("T_max", [0, -3])
def test_cosine_t_max_must_be_positive(T_max):
    opt = optim.SGD([param(1.0)], lr=0.1)
    with pytest.raises(ValueError, match=rf"^CosineAnnealingLR expected T_max to be an integer >= 1, got {T_max}$"):
        optim.CosineAnnealingLR(opt, T_max=T_max)


# --- schedulers: closed forms ----------------------------------------------------------------


def run_scheduler(make, base_lr, n):
    opt = optim.SGD([param(1.0)], lr=base_lr)
    sched = make(opt)
    assert sched.get_last_lr() == base_lr and opt.lr == base_lr
    lrs = []
    for _ in range(n):
        sched.step()
        assert sched.get_last_lr() == opt.lr
        lrs.append(opt.lr)
    return lrs


def test_steplr_closed_form():
    lrs = run_scheduler(lambda o: optim.StepLR(o, step_size=3, gamma=0.5), 0.8, 10)
    np.testing.assert_allclose(lrs, [0.8 * 0.5 ** (t // 3) for t in range(1, 11)], rtol=1e-15)


def test_exponentiallr_closed_form():
    lrs = run_scheduler(lambda o: optim.ExponentialLR(o, gamma=0.9), 0.5, 20)
    np.testing.assert_allclose(lrs, [0.5 * 0.9**t for t in range(1, 21)], rtol=1e-13)


@pytest.mark.parametrize(("T_max", "eta_min"), [(10, 0.0), (7, 0.01), (1, 0.0), (4, 0.05)])
def test_cosine_closed_form_including_past_t_max(T_max, eta_min):
    base = 0.1
    lrs = run_scheduler(lambda o: optim.CosineAnnealingLR(o, T_max=T_max, eta_min=eta_min), base, 3 * T_max)
    expected = [eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2 for t in range(1, 3 * T_max + 1)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-9, atol=1e-15)
    assert lrs[T_max - 1] == pytest.approx(eta_min, abs=1e-15)  # bottom at T_max
    assert lrs[2 * T_max - 1] == pytest.approx(base, rel=1e-12)  # back at the top after 2 T_max


def test_scheduler_drives_the_optimizer():
    """The lr the scheduler sets is the one the next step uses."""
    p = param(0.0)
    opt = optim.SGD([p], lr=1.0)
    sched = optim.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad[...] = 1.0
        opt.step()
        sched.step()
    np.testing.assert_allclose(p.data, [-(1.0 + 0.5 + 0.25)], rtol=1e-15)


# --- PyTorch oracle: optimizers ----------------------------------------------------------------


def copy_to_torch(torch, model, dtype):
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).to(dtype)
    own = dict(model.named_parameters())
    with torch.no_grad():
        for name, tp in tmodel.named_parameters():
            tp.copy_(torch.from_numpy(own[name].data))
    return tmodel


def mlp_trajectories(torch, name, kwargs, dtype, steps=50):
    """Yield (nnkit loss, torch loss, [(nnkit array, torch array)]) after each step."""
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    model = nnkit.Sequential(
        nnkit.Linear(4, 8, rng=0, dtype=dtype), nnkit.Tanh(), nnkit.Linear(8, 3, rng=1, dtype=dtype)
    )
    tmodel = copy_to_torch(torch, model, tdtype)
    rng = np.random.default_rng(42)
    x = rng.normal(size=(16, 4)).astype(dtype)
    y = rng.integers(0, 3, size=16)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn, tloss_fn = nnkit.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    topt = getattr(torch.optim, name)(tmodel.parameters(), **kwargs)
    pairs = list(zip(model.parameters(), tmodel.parameters(), strict=True))
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        model.backward(loss_fn.backward())
        opt.step()
        tloss = tloss_fn(tmodel(tx), ty)
        topt.zero_grad()
        tloss.backward()
        topt.step()
        yield loss, tloss.item(), [(p.data, tp.detach().numpy()) for p, tp in pairs]


@pytest.mark.parametrize(("name", "kwargs"), ALL_CONFIGS, ids=CONFIG_IDS)
def test_mlp_trajectory_matches_torch_float64(torch, name, kwargs):
    losses = []
    for loss, tloss, arrays_ in mlp_trajectories(torch, name, kwargs, np.float64):
        assert loss == pytest.approx(tloss, rel=1e-10)
        for a, b in arrays_:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        losses.append(loss)
    assert losses[-1] < losses[0]  # it actually trained, so the comparison is not vacuous


@pytest.mark.parametrize(("name", "kwargs"), ALL_CONFIGS, ids=CONFIG_IDS)
def test_mlp_trajectory_matches_torch_float32(torch, name, kwargs):
    for loss, tloss, arrays_ in mlp_trajectories(torch, name, kwargs, np.float32):
        assert loss == pytest.approx(tloss, rel=1e-5)
        for a, b in arrays_:
            assert a.dtype == np.float32
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("name", "kwargs"), ALL_CONFIGS, ids=CONFIG_IDS)
def test_given_gradients_match_torch(torch, name, kwargs):
    """No network: the same random gradients go to both optimizers; lr changes midway."""
    rng = np.random.default_rng(7)
    theta0 = rng.normal(size=(3, 5))
    # gradients over several scales, so eps and the accumulators matter
    grads = rng.normal(size=(50, 3, 5)) * np.exp(rng.uniform(-4, 2, size=(50, 1, 5)))
    p = nnkit.Parameter(theta0)
    tp = torch.tensor(theta0, requires_grad=True)
    opt = getattr(optim, name)([p], **kwargs)
    topt = getattr(torch.optim, name)([tp], **kwargs)
    for t, g in enumerate(grads):
        if t == 25:
            opt.lr = topt.param_groups[0]["lr"] = kwargs["lr"] / 3
        p.grad[...] = g
        tp.grad = torch.from_numpy(g.copy())
        opt.step()
        topt.step()
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert not np.allclose(p.data, theta0)


def test_momentum_with_scheduler_matches_torch(torch):
    rng = np.random.default_rng(3)
    theta0 = rng.normal(size=6)
    p, tp = nnkit.Parameter(theta0), torch.tensor(theta0, requires_grad=True)
    opt = optim.SGD([p], lr=0.2, momentum=0.9, weight_decay=0.01)
    topt = torch.optim.SGD([tp], lr=0.2, momentum=0.9, weight_decay=0.01)
    sched = optim.CosineAnnealingLR(opt, T_max=8, eta_min=0.01)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=8, eta_min=0.01)
    for _ in range(30):
        g = rng.normal(size=6)
        p.grad[...] = g
        tp.grad = torch.from_numpy(g.copy())
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12, atol=1e-14)


# --- PyTorch oracle: schedulers ----------------------------------------------------------------

SCHEDULERS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}, 30),
    ("StepLR", {"step_size": 1, "gamma": 0.9}, 30),
    ("StepLR", {"step_size": 4}, 20),
    ("ExponentialLR", {"gamma": 0.9}, 30),
    ("ExponentialLR", {"gamma": 1.05}, 30),
    ("CosineAnnealingLR", {"T_max": 10}, 30),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}, 21),
    ("CosineAnnealingLR", {"T_max": 1}, 3),
    ("CosineAnnealingLR", {"T_max": 2, "eta_min": 0.05}, 6),
]


@pytest.mark.parametrize(("name", "kwargs", "n"), SCHEDULERS)
def test_scheduler_matches_torch(torch, name, kwargs, n):
    base = 0.1
    opt = optim.SGD([param(1.0)], lr=base)
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base)
    sched = getattr(optim, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr()[0], rel=1e-15)
    for _ in range(n):
        topt.step()  # no gradients: a no-op that keeps torch from warning about the call order
        sched.step()
        tsched.step()
        assert opt.lr == pytest.approx(topt.param_groups[0]["lr"], rel=1e-12, abs=1e-15)
        last = sched.get_last_lr()
        assert isinstance(last, float)
        assert last == pytest.approx(tsched.get_last_lr()[0], rel=1e-12, abs=1e-15)
    assert sched.last_epoch == tsched.last_epoch == n


def test_manual_lr_change_during_schedule_matches_torch(torch):
    """Schedulers are recursive in the current lr, so a manual change carries on (as in PyTorch)."""
    for name, kwargs in [("ExponentialLR", {"gamma": 0.8}), ("StepLR", {"step_size": 2, "gamma": 0.5})]:
        opt = optim.SGD([param(1.0)], lr=1.0)
        topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        sched = getattr(optim, name)(opt, **kwargs)
        tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
        for t in range(10):
            if t == 4:
                opt.lr = topt.param_groups[0]["lr"] = 0.3
            topt.step()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tsched.step()
            sched.step()
            assert opt.lr == pytest.approx(topt.param_groups[0]["lr"], rel=1e-12)


# --- properties ----------------------------------------------------------------------------------

finite = st.floats(-1e3, 1e3, allow_nan=False, width=64)
vectors = arrays(np.float64, st.integers(1, 6), elements=finite)


@settings(max_examples=50, deadline=None)
@given(theta=vectors, data=st.data(), name_kwargs=st.sampled_from(ALL_CONFIGS))
def test_lr_zero_leaves_parameters_unchanged(theta, data, name_kwargs):
    name, kwargs = name_kwargs  # AdamW's decoupled decay is lr * λ too, so it also vanishes
    p = nnkit.Parameter(theta)
    opt = getattr(optim, name)([p], **{**kwargs, "lr": 0.0})
    for _ in range(3):
        p.grad[...] = data.draw(arrays(np.float64, theta.shape, elements=finite))
        opt.step()
        np.testing.assert_array_equal(p.data, theta)


nonzero = st.floats(1e-3, 1e3).flatmap(lambda x: st.sampled_from([x, -x]))


@settings(max_examples=50, deadline=None)
@given(
    g=arrays(np.float64, st.integers(1, 8), elements=nonzero),
    lr=st.floats(1e-4, 1.0),
    beta1=st.floats(0.0, 0.99),
    beta2=st.floats(0.0, 0.9999),
)
def test_adam_first_step_moves_each_coordinate_by_lr(g, lr, beta1, beta2):
    theta = np.linspace(-1, 1, g.size)
    p = nnkit.Parameter(theta)
    p.grad[...] = g
    optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=1e-12).step()
    np.testing.assert_allclose(p.data - theta, -lr * np.sign(g), rtol=1e-8)


@settings(max_examples=50, deadline=None)
@given(g=arrays(np.float64, st.integers(1, 8), elements=nonzero), lr=st.floats(1e-4, 1.0))
def test_adagrad_first_step_moves_each_coordinate_by_lr(g, lr):
    p = nnkit.Parameter(np.zeros(g.size))
    p.grad[...] = g
    optim.Adagrad([p], lr=lr, eps=1e-12).step()
    np.testing.assert_allclose(p.data, -lr * np.sign(g), rtol=1e-8)


@settings(max_examples=50, deadline=None)
@given(
    grads=arrays(np.float64, st.tuples(st.integers(1, 10), st.integers(1, 4)), elements=finite),
    lr=st.floats(1e-3, 1.0),
    mu=st.floats(0.0, 0.99),
)
def test_sgd_momentum_equals_the_textbook_velocity_form(grads, lr, mu):
    """With a constant lr, PyTorch's b-form equals ``v ← μ v + γ g; θ ← θ - v`` (docstring claim)."""
    p = nnkit.Parameter(np.zeros(grads.shape[1]))
    opt = optim.SGD([p], lr=lr, momentum=mu)
    theta, v = np.zeros(grads.shape[1]), np.zeros(grads.shape[1])
    for g in grads:
        p.grad[...] = g
        opt.step()
        v = mu * v + lr * g
        theta = theta - v
        np.testing.assert_allclose(p.data, theta, rtol=1e-9, atol=1e-9 * (1 + np.abs(grads).max()))


@settings(max_examples=30, deadline=None)
@given(
    grads=arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(1, 4)), elements=nonzero),
    k=st.integers(-20, 20),
)
def test_adam_without_eps_ignores_the_gradient_scale(grads, k):
    """Scaling every gradient by 2^k scales m by 2^k and sqrt(v) by 2^k exactly: same steps."""
    runs = []
    for scale in (1.0, 2.0**k):
        p = nnkit.Parameter(np.ones(grads.shape[1]))
        opt = optim.Adam([p], lr=0.1, eps=0.0)
        for g in grads:
            p.grad[...] = g * scale
            opt.step()
        runs.append(p.data.copy())
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-12)
