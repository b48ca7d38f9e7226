"""Reverse-time SDEs and probability-flow ODEs against exact densities."""

import sympy

import actionc
from actionc.derive import reverse, stochastic
from actionc.symbols import symbol, time

x, S = symbol("x"), symbol("S")


def gaussian_ou():
    """dx = −x dt + sqrt(2) dW from N(m, s²): p_t = N(m e^{−t}, 1 + (s² − 1) e^{−2t})."""
    model = actionc.parse("model ou\nstate x\ndx = -x dt + sqrt(2) dW\n")
    m, s = sympy.Rational(3), sympy.Rational(1, 2)
    mean, variance = m * sympy.exp(-time), 1 + (s**2 - 1) * sympy.exp(-2 * time)
    density = sympy.exp(-((x - mean) ** 2) / (2 * variance)) / sympy.sqrt(variance)
    return stochastic.sde_of(model), density


def lognormal_gbm():
    """dS = σ S dW (state-dependent noise) from S0 = 1: log S ~ N(−σ²t/2, σ²t)."""
    model = actionc.parse("model gbm\nparam sigma = 1/2\nstate S\ndS = sigma*S dW\n")
    sigma = symbol("sigma")
    log_s = sympy.log(S)
    variance = sigma**2 * time
    density = sympy.exp(-((log_s + variance / 2) ** 2) / (2 * variance)) / (S * sympy.sqrt(variance))
    return stochastic.sde_of(model), density


def test_the_exact_densities_solve_their_fokker_planck_equations():
    for sde, density in (gaussian_ou(), lognormal_gbm()):
        assert reverse.solves_fokker_planck(sde, density)


def test_the_reverse_drift_of_additive_noise_is_f_minus_d_times_the_score():
    sde, density = gaussian_ou()
    drift = reverse.reverse_sde(sde, sympy.log(density)).drift[0]
    expected = -x - 2 * sympy.diff(sympy.log(density), x)
    assert sympy.simplify(drift - expected) == 0


def test_the_probability_flow_carries_the_density():
    for sde, density in (gaussian_ou(), lognormal_gbm()):
        velocity = reverse.probability_flow(sde, sympy.log(density))
        assert reverse.transports(velocity, sde.state, density)


def test_dropping_the_divergence_term_breaks_state_dependent_noise():
    sde, density = lognormal_gbm()
    D = sde.diffusion * sde.diffusion.T
    wrong = sde.drift - D * reverse.score(sympy.log(density), sde.state) / 2  # without −½∇·D
    assert not reverse.transports(wrong, sde.state, density)


def test_the_reverse_sde_has_the_time_reversed_fokker_planck_equation():
    # q_s = p_{T−s} must solve the Fokker–Planck equation of the reverse SDE run forward in s
    sde, density = lognormal_gbm()
    reversed_sde = reverse.reverse_sde(sde, sympy.log(density))
    T = sympy.Integer(2)
    backward = stochastic.Sde(sde.state, -reversed_sde.drift.subs(time, T - time), sde.diffusion, sde.noises)
    assert reverse.solves_fokker_planck(backward, density.subs(time, T - time))
