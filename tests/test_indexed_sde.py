"""SDE equations of arrays, dx[i] = f dt + g dW[i]: every element its own
noise. The array kernel equals the model written out with scalars (same
draws, same arithmetic), Itô and Stratonovich; a Stratonovich geometric
Brownian motion has the mean of its exact solution (and not the Itô one);
mistakes in the equations are said where they are."""

import math

import numpy as np
import pytest

from actionc.errors import ModelError
from actionc.lang import format_model, parse
from actionc.pipeline import compile_text

HEAT = """model heat "a noisy heat equation on a ring"
param N = 3, D = 1, s = 0.5
state u[1..N]
boundary u periodic
du[i] = D*(u[i+1] - 2*u[i] + u[i-1]) dt + s*(1 + u[i]^2)/2 dW[i]
init u[i] = sin(2*pi*i/N)
"""

HEAT_WRITTEN_OUT = """model heat
param D = 1, s = 0.5
state u1, u2, u3
du1 = D*(u2 - 2*u1 + u3) dt + s*(1 + u1^2)/2 dW1
du2 = D*(u3 - 2*u2 + u1) dt + s*(1 + u2^2)/2 dW2
du3 = D*(u1 - 2*u3 + u2) dt + s*(1 + u3^2)/2 dW3
init u1 = sin(2*pi/3), u2 = sin(4*pi/3), u3 = sin(2*pi)
"""


@pytest.mark.parametrize("calculus", ["ito", "stratonovich"])
def test_the_array_kernel_equals_the_model_written_out(calculus):
    def run(text):
        text = text.replace("state u", f"noise {calculus}\nstate u")
        return compile_text(text, "euler-maruyama").run(dt=0.01, steps=200, particles=5, seed=3).x

    array, scalars = run(HEAT), run(HEAT_WRITTEN_OUT)
    assert np.allclose(array, scalars, rtol=0, atol=1e-13)
    assert not np.allclose(array[-1], array[0], atol=0.05)  # it moved: the comparison can fail


def test_stratonovich_gbm_has_the_mean_of_its_exact_solution():
    # dx = a x dt + s x ∘ dW: x(t) = x0 exp(a t + s W(t)), E x(t) = exp((a + s²/2) t) for x0 = 1;
    # the Itô reading would give exp(a t)
    a, s, t, n, particles = 0.1, 0.4, 1.0, 8, 4000
    text = (
        f"model g\nparam N = {n}, a = {a}, s = {s}\nstate x[1..N]\nnoise stratonovich\n"
        "dx[i] = a*x[i] dt + s*x[i] dW[i]\ninit x[i] = 1\n"
    )
    final = compile_text(text, "euler-maruyama").run(dt=1e-3, steps=1000, particles=particles, seed=1).x[-1]
    values = final.ravel()  # elements are independent: n·particles draws
    error = 4 * values.std() / math.sqrt(values.size) + 3e-3  # + the O(dt) bias of Euler–Maruyama
    assert abs(values.mean() - math.exp((a + s**2 / 2) * t)) < error
    assert abs(values.mean() - math.exp(a * t)) > error  # the negative control: the Itô mean is excluded


def test_fmt_and_derive_print_the_equation_of_an_element(capsys, tmp_path):
    from actionc.cli import main

    text = HEAT.replace("state u", "noise stratonovich\nstate u")
    model = parse(text)
    assert format_model(parse(format_model(model))) == format_model(model) and parse(format_model(model)) == model
    assert "du[i] = D*(u[i + 1] - 2*u[i] + u[i - 1]) dt + s*(u[i]^2 + 1)/2 dW[i]" in format_model(model) or (
        "dW[i]" in format_model(model)
    )
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "heat.act"
        path.write_text(text)
        assert main(["derive", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Drift f of each element" in out and "u[i] = s*(u[i]^2 + 1)/2" in out
    # the Itô drift carries the Stratonovich correction g·∂g/∂u[i]/2 = s²(1 + u²)u/4
    drift = next(line for line in out.splitlines() if line.strip().startswith("u[i] = ") and "D*" in line)
    assert "s^2" in drift and "∂/∂u[i] (" in out


@pytest.mark.parametrize(
    "equation, message",
    [
        ("dx = -x[1] dt", "'x' is an array: write the equation of its elements"),
        ("dx[i] = -x[i] dt + dW", "the noise of element i of 'x' is its own, dW\\[i\\]"),
        ("dx[i] = -x[i] dt + dW[j]", "the noise of element i of 'x' is its own"),
        ("dx[i] = -x[i] dt[i]", "unexpected|dt has no index"),
        ("dx[N] = -x[N] dt", "the index 'N' is taken"),
        ("dx[i] = -x[i+1] dt", r"x\[i \+ 1\] reaches"),
        ("dx[i] = -x[i] dt + dW[i]\ndy = -y dt + dW[i]", "'y' is not an array; its noise is dW"),
        ("dx[i] = -x[i] dt + dW[i]\ndy = -y dt + dW2", "a scalar with noise in a model of arrays"),
    ],
)
def test_mistakes_in_equations_of_arrays_are_said_where(equation, message):
    text = f"model m\nparam N = 4\nstate x[1..N], y\n{equation}\n"
    if "dy" not in equation:
        text += "dy = -y dt\n"
    with pytest.raises(ModelError, match=message) as caught:
        compile_text(text, "euler-maruyama")
    assert caught.value.span is not None and caught.value.hint


def test_a_stratonovich_noise_reading_neighbours_is_refused_with_the_ito_form_as_hint():
    text = (
        "model m\nparam N = 4\nstate x[1..N]\nboundary x periodic\nnoise stratonovich\n"
        "dx[i] = -x[i] dt + x[i+1] dW[i]\n"
    )
    with pytest.raises(ModelError, match="reads other elements of x") as caught:
        compile_text(text, "euler-maruyama")
    assert "noise ito" in caught.value.hint


def test_two_arrays_share_no_noise():
    text = "model m\nparam N = 4\nstate x[1..N], y[1..N]\ndx[i] = -x[i] dt + dW[i]\ndy[j] = -y[j] dt + dW[j]\n"
    with pytest.raises(ModelError, match="dW is the noise of 'x' and of 'y'"):
        parse(text)


def test_the_stochastic_heat_equation_relaxes_to_its_gaussian():
    # each Fourier mode k is Euler–Maruyama on an OU process of rate λ_k = m + D(2 − 2cos(2πk/N)):
    # its stationary variance is s²/(λ_k(2 − λ_k dt)) exactly; a site's is their mean over k
    from tests.conftest import EXAMPLE_DIR

    n, D, m, s, dt, particles = 32, 1.0, 1.0, 0.5, 0.01, 4000
    rates = m + D * (2 - 2 * np.cos(2 * np.pi * np.arange(n) / n))
    exact = np.mean(s**2 / (rates * (2 - rates * dt)))
    compiled = compile_text((EXAMPLE_DIR / "stochastic_heat.act").read_text(), "euler-maruyama")
    final = compiled.run(dt=dt, steps=1500, particles=particles, seed=5).x[-1]  # t = 15: e^-15 of the start left
    variance = final[:, 0].var()
    error = 4 * exact * math.sqrt(2 / particles)
    assert abs(variance - exact) < error
    assert abs(variance - s**2 / (2 * m)) > error  # the control: sites without their neighbours


# ---- underdamped Langevin: an indexed lagrangian with dissipation and temperature ----------------

CHAIN = """model chain "a harmonic chain in a heat bath, masses m[i] = i"
param N = 3, k = 1, gamma = 0.7, T = 0.3
coord q[1..N]
boundary q[0] = 0, q[N+1] = 0
lagrangian = sum(i in 1..N: i*q'[i]^2/2) - sum(i in 0..N: k*(q[i+1] - q[i])^2/2)
dissipation = sum(i in 1..N: gamma*q'[i]^2/2)
temperature = T
init q[i] = 0.5
"""

CHAIN_WRITTEN_OUT = """model chain
param k = 1, gamma = 0.7, T = 0.3
coord q1, q2, q3
lagrangian = (q1'^2 + 2*q2'^2 + 3*q3'^2)/2 - k*(q1^2 + (q2 - q1)^2 + (q3 - q2)^2 + q3^2)/2
dissipation = gamma*(q1'^2 + q2'^2 + q3'^2)/2
temperature = T
init q1 = 0.5, q2 = 0.5, q3 = 0.5
"""


@pytest.mark.parametrize("method", ["baoab", "euler-maruyama"])
def test_langevin_over_arrays_equals_the_chain_written_out(method):
    # the same steps and draws (one normal per velocity, in order) as the scalar templates
    def run(text):
        return compile_text(text, method).run(dt=0.02, steps=300, particles=4, seed=9).x

    array, scalars = run(CHAIN), run(CHAIN_WRITTEN_OUT)
    assert np.allclose(array, scalars, rtol=0, atol=1e-12)
    assert not np.allclose(array[-1], array[0], atol=0.05)


def test_baoab_samples_the_gibbs_density_of_the_chain():
    # exp(−H/T): velocities with variance T/m[i], positions with covariance T·K⁻¹ (K the stiffness)
    n, k, T, particles = 3, 1.0, 0.3, 4000
    stiffness = k * (2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1))
    exact = np.concatenate([T * np.diag(np.linalg.inv(stiffness)), T / np.arange(1, n + 1)])
    compiled = compile_text(CHAIN, "baoab")
    assert compiled.method == "baoab" and compile_text(CHAIN).method == "baoab"  # the default
    variance = compiled.run(dt=0.05, steps=1000, particles=particles, seed=2).x[-1].var(axis=0)
    error = 4 * exact * math.sqrt(2 / particles) + 2e-3  # + BAOAB's O(dt²) bias
    assert np.all(np.abs(variance - exact) < error)
    hot = compiled.run(dt=0.05, steps=1000, particles=particles, seed=2, params={"T": 0.45}).x[-1].var(axis=0)
    assert np.all(np.abs(hot - exact) > error)  # the control: the wrong temperature is seen


@pytest.mark.parametrize(
    "change, message",
    [
        ("dissipation = sum(i in 1..N: gamma*q'[i]^2/2)\n", "a temperature needs a dissipation function"),
        (
            "dissipation = sum(i in 1..N: gamma*q'[i]^2/2)",
            "the dissipation of an indexed model with a temperature must be",
        ),
    ],
)
def test_a_heat_bath_without_a_simple_friction_is_refused(change, message):
    if "needs a dissipation" in message:
        text = CHAIN.replace(change, "")
    else:
        text = CHAIN.replace(change, "dissipation = sum(i in 1..N: gamma*q[i]^2*q'[i]^2/2)")
    with pytest.raises(ModelError, match=message) as caught:
        compile_text(text, "baoab")
    assert caught.value.hint
