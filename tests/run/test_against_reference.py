"""The compiled kernels against the readable reference steps (reference.py),
on a few particles, with the same random draws: equal to 1e-12."""

import numpy as np

import actionc
from tests.conftest import EXAMPLE_DIR
from tests.run import reference
from tests.run.reference import Stream


def drift_of(compiled):
    f = compiled.function("drift")
    return lambda x, t: f(x, t)


def run_steps(compiled, steps, dt, seed=5, particles=3, **options):
    return compiled.run(dt=dt, steps=steps, particles=particles, seed=seed, save_every=1, **options).x


def test_rk4_on_the_double_pendulum():
    compiled = actionc.compile(EXAMPLE_DIR / "double_pendulum.act", "rk4")
    saves = run_steps(compiled, 20, 0.01)
    f, x = drift_of(compiled), saves[0, 0].copy()
    for k in range(20):
        x = reference.rk4(f, x, k * 0.01, 0.01)
    np.testing.assert_allclose(saves[-1, 0], x, rtol=1e-12, atol=1e-12)


def test_rk4_with_a_numerically_solved_mass_matrix_on_the_chain():
    compiled = actionc.compile(EXAMPLE_DIR / "chain6.act", "rk4")
    saves = run_steps(compiled, 10, 0.005, particles=1)
    f, x = drift_of(compiled), saves[0, 0].copy()
    for k in range(10):
        x = reference.rk4(f, x, k * 0.005, 0.005)
    np.testing.assert_allclose(saves[-1, 0], x, rtol=1e-11, atol=1e-11)


def test_leapfrog_on_henon_heiles():
    compiled = actionc.compile(EXAMPLE_DIR / "henon_heiles.act", "leapfrog")
    saves = run_steps(compiled, 50, 0.05)
    f, x = drift_of(compiled), saves[0, 0].copy()
    for k in range(50):
        x = reference.leapfrog(f, x, k * 0.05, 0.05, half=2)
    np.testing.assert_allclose(saves[-1, 0], x, rtol=1e-12, atol=1e-12)


def test_euler_maruyama_on_the_stochastic_lorenz_system():
    compiled = actionc.compile(EXAMPLE_DIR / "stochastic_lorenz.act", "euler-maruyama")
    dt, steps, seed = 0.001, 30, 9
    saves = run_steps(compiled, steps, dt, seed=seed)
    f, g = drift_of(compiled), compiled.function("diffusion")
    for particle in range(3):
        s = Stream(compiled, seed, particle)
        x = np.array([1 + 0.1 * s.normal() for _ in range(3)])  # init: normal(1, 0.1) each
        np.testing.assert_allclose(saves[0, particle], x, rtol=1e-15)
        for k in range(steps):
            dw = np.sqrt(dt) * np.array([s.normal() for _ in range(3)])
            x = reference.euler_maruyama(f, lambda x, t: g(x, t), x, k * dt, dt, dw)
        np.testing.assert_allclose(saves[-1, particle], x, rtol=1e-12)


def test_sra1_on_an_ornstein_uhlenbeck_process():
    compiled = actionc.compile(EXAMPLE_DIR / "ornstein_uhlenbeck.act", "sra1")
    dt, steps, seed = 0.05, 20, 4
    saves = run_steps(compiled, steps, dt, seed=seed, particles=2)
    f, g = drift_of(compiled), compiled.function("diffusion")
    for particle in range(2):
        s, x = Stream(compiled, seed, particle), saves[0, particle].copy()
        for k in range(steps):
            dw = np.sqrt(dt) * np.array([s.normal()])
            chi = 0.5 * (dw + np.sqrt(dt) * np.array([s.normal()]) / np.sqrt(3))
            x = reference.sra1(f, lambda x, t: g(x, t), x, k * dt, dt, dw, chi)
        np.testing.assert_allclose(saves[-1, particle], x, rtol=1e-12)


def test_baoab_on_the_langevin_oscillator():
    compiled = actionc.compile(EXAMPLE_DIR / "langevin_oscillator.act", "baoab")
    dt, steps, seed = 0.1, 25, 2
    saves = run_steps(compiled, steps, dt, seed=seed)
    m, k, gamma, T = 1.0, 1.0, 0.5, 1.0
    for particle in range(3):
        s, x = Stream(compiled, seed, particle), saves[0, particle].copy()
        for _ in range(steps):
            x = reference.baoab(
                lambda q: -k * q / m,
                np.array([gamma / m]),
                np.array([np.sqrt(T / m)]),
                x,
                dt,
                np.array([s.normal()]),
            )
        np.testing.assert_allclose(saves[-1, particle], x, rtol=1e-12)


def test_mala_on_the_double_well():
    compiled = actionc.compile(EXAMPLE_DIR / "double_well.act", "mala")
    dt, steps, seed = 0.05, 40, 8
    result = compiled.run(dt=dt, steps=steps, particles=2, seed=seed, save_every=1)
    energy, score = compiled.function("energy"), compiled.function("score")
    T = 0.5
    accepted = 0
    for particle in range(2):
        s = Stream(compiled, seed, particle)
        x = np.array([-1.0, 0.5 * s.normal()])  # init: x = -1, y = normal(0, 0.5)
        np.testing.assert_allclose(result.x[0, particle], x, rtol=1e-15)
        for _ in range(steps):
            xi = np.array([s.normal(), s.normal()])
            x, ok = reference.mala(lambda z: float(energy(z)), lambda z: -T * score(z), x, dt, T, 1.0, xi, s.uniform())
            accepted += ok
        np.testing.assert_allclose(result.x[-1, particle], x, rtol=1e-12)
    assert result.meta["stats"]["accepted"] == accepted
