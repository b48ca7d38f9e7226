"""Variational integrators: order 2 for both quadrature rules, symplectic
for a non-separable Lagrangian, exact Noether momenta, bounded energy error
over 10^6 steps (with RK4 as the negative control of each check)."""

import numpy as np
import pytest
import sympy

import actionc
from actionc.derive.variational import discretize
from tests.conftest import EXAMPLE_DIR
from tests.run.test_convergence import OSCILLATOR, compiled, slope

# position-dependent mass, nothing separable: q' enters through (1 + q²) q'²
NON_SEPARABLE = "model bead\ncoord q\nlagrangian = (1 + q^2)*q'^2/2 - q^4/4\ninit q = 1\n"
DAMPED = "model damped\ncoord q\nparam c = 0.5\nlagrangian = q'^2/2 - q^2/2\ndissipation = c*q'^2/2\ninit q = 1\n"


@pytest.mark.parametrize("method", ["variational", "variational-trapezoid"])
def test_order_two_on_the_harmonic_oscillator(method, tmp_path):
    model = compiled(OSCILLATOR, method, tmp_path)
    t_end, dts, errors = 2.0, [0.1, 0.05, 0.025], []
    for dt in dts:
        x, v = model.run(dt=dt, steps=round(t_end / dt), save_every=round(t_end / dt)).x[-1, 0]
        errors.append(np.hypot(x - np.cos(t_end), v + np.sin(t_end)))
    assert abs(slope(dts, errors) - 2) < 0.25, errors


def test_order_two_with_dissipation_by_lagrange_d_alembert(tmp_path):
    # q'' + c q' + q = 0 from q = 1, q' = 0
    model = compiled(DAMPED, "variational", tmp_path)
    w = np.sqrt(1 - 0.25**2)
    t_end, dts, errors = 2.0, [0.1, 0.05, 0.025], []
    for dt in dts:
        q = model.run(dt=dt, steps=round(t_end / dt), save_every=round(t_end / dt)).x[-1, 0, 0]
        exact = np.exp(-0.25 * t_end) * (np.cos(w * t_end) + 0.25 / w * np.sin(w * t_end))
        errors.append(abs(q - exact))
    assert abs(slope(dts, errors) - 2) < 0.25, errors


def jacobian_of_step(model, q, p, dt=0.1, eps=1e-6):
    """∂(q', p')/∂(q, p) of one step, by central differences on advance()."""
    advance = model.numba("advance")
    params = np.array(list(model.params.values()) or [0.0])
    n = len(q)

    def step(z):
        # start from momentum z[n:] (control slots) with any velocity: the method uses p
        x, _, c, _, code = advance((*z[:n], *np.zeros(n)), 0.0, dt, params, (1, 2, 3, 4), (*z[n:], 1.0), (0.0,))
        assert code == 0
        return np.array([*x[:n], *c[:n]])

    z = np.array([*q, *p], float)
    columns = [(step(z + eps * e) - step(z - eps * e)) / (2 * eps) for e in np.eye(2 * n)]
    return np.array(columns).T


def symplecticity_defect(J) -> float:
    n = J.shape[0] // 2
    omega = np.block([[np.zeros((n, n)), np.eye(n)], [-np.eye(n), np.zeros((n, n))]])
    return float(np.max(np.abs(J.T @ omega @ J - omega)))


def test_the_step_is_symplectic_for_non_separable_lagrangians(tmp_path):
    bead = compiled(NON_SEPARABLE, "variational", tmp_path)
    assert symplecticity_defect(jacobian_of_step(bead, [0.8], [0.3])) < 1e-8
    pendulum = actionc.compile(f"{EXAMPLE_DIR}/double_pendulum.act", "variational")
    assert symplecticity_defect(jacobian_of_step(pendulum, [2.0, 2.5], [0.4, -1.0])) < 1e-8
    # the check can fail: with dissipation the step contracts phase space
    damped = compiled(DAMPED, "variational", tmp_path, "damped.act")
    assert symplecticity_defect(jacobian_of_step(damped, [0.8], [0.3])) > 1e-3


@pytest.mark.parametrize("method", ["variational", "variational-trapezoid"])
def test_kepler_angular_momentum_is_kept_to_round_off(method):
    # 2000 steps, phi grows to ~40: the round-off of (phi_k+1 − phi_k) is ~1e-13 a step
    def angular_momentum_error(method):
        result = actionc.compile(f"{EXAMPLE_DIR}/kepler.act", method).run(dt=0.05, steps=2000, save_every=10)
        angular = result.invariants[:, 0, result.invariant_names.index("L")]
        return np.max(np.abs(angular - angular[0]))

    assert angular_momentum_error(method) < 1e-10
    assert angular_momentum_error("rk4") > 1e-8  # the check can fail


def energy_errors(method: str) -> np.ndarray:
    model = actionc.compile(f"{EXAMPLE_DIR}/double_pendulum.act", method)
    result = model.run(dt=0.01, steps=10**6, save_every=1000)
    energy = result.invariants[:, 0, 0]
    return np.abs(energy - energy[0]) / abs(energy[0])


def test_double_pendulum_energy_error_stays_bounded_over_a_million_steps():
    errors = energy_errors("variational")  # chaotic motion, t in [0, 10^4]
    assert errors.max() < 0.01
    assert errors[-100:].mean() < 3 * errors[:100].mean()  # no drift
    drifting = energy_errors("rk4")  # not symplectic: the same check catches its drift
    assert drifting[-100:].mean() > 5 * drifting[:100].mean()


def test_the_discrete_lagrangian_of_a_free_particle_is_exact():
    q, v, t = sympy.symbols("q q_dot t", real=True)
    for rule in ("midpoint", "trapezoid"):
        step = discretize(v**2 / 2, (q,), (v,), t, rule)
        a, b, h = step.start[0], step.end[0], step.step
        assert sympy.simplify(step.lagrangian - (b - a) ** 2 / (2 * h)) == 0
        assert sympy.simplify(step.start_momentum[0] - (b - a) / h) == 0
        assert sympy.simplify(step.end_momentum[0] - (b - a) / h) == 0
