"""Properties of the derivations over random models (actionc.testing)."""

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import actionc
from actionc.symbols import symbol, time
from actionc.testing import strategies as acts

q1 = symbol("q1")
GAUGES = [q1**2 * time, sympy.sin(q1), q1**3 + time**2 * q1]


@settings(max_examples=25)
@given(acts.mechanical_lagrangians(max_coordinates=2))
def test_legendre_applied_twice_returns_the_lagrangian(model):
    acts.check_legendre_involution(model)


@settings(max_examples=25)
@given(acts.mechanical_lagrangians(max_coordinates=2))
def test_energy_is_conserved_along_the_euler_lagrange_flow(model):
    acts.check_energy_conserved(model)


@settings(max_examples=25)
@given(acts.mechanical_lagrangians(max_coordinates=2), st.sampled_from(GAUGES))
def test_adding_a_total_derivative_leaves_euler_lagrange_unchanged(model, F):
    acts.check_gauge_invariance(model, F)


@settings(max_examples=25)
@given(acts.energies(max_dimension=2))
def test_gibbs_density_is_stationary_for_overdamped_langevin(model):
    acts.check_gibbs_stationary(model)


@settings(max_examples=15)
@given(acts.langevin_lagrangians(max_coordinates=2))
def test_gibbs_density_is_stationary_for_underdamped_langevin(model):
    acts.check_gibbs_stationary(model)


@settings(max_examples=25)
@given(acts.sdes(max_dimension=2))
def test_ito_to_stratonovich_to_ito_is_the_identity(model):
    acts.check_ito_stratonovich_roundtrip(model)


def test_gibbs_density_with_position_dependent_mass_carries_det_M():
    model = actionc.parse(
        "model m\ncoord q\nlagrangian = (1 + q^2)*q'^2/2 - q^4\ndissipation = q'^2/2\ntemperature = 1/2\n"
    )
    acts.check_gibbs_stationary(model)


# the checks can fail: each catches a model that breaks its property


def test_the_energy_check_catches_friction():
    model = actionc.parse("model m\ncoord q\nlagrangian = q'^2/2 - q^2/2\ndissipation = q'^2/2\n")
    with pytest.raises(AssertionError):
        acts.check_energy_conserved(model)


def test_the_gibbs_check_catches_the_wrong_temperature():
    model = actionc.parse("model m\nparam T = 1\nstate x\nenergy = x^2\ntemperature = T\n")
    wrong = actionc.parse("model m\nparam T = 2\nstate x\nenergy = x^2\ntemperature = T\n")
    acts.check_gibbs_stationary(model)
    from actionc.derive import stochastic, thermo

    assert not stochastic.is_stationary(
        stochastic.sde_of(model), sympy.exp(thermo.log_density(wrong)).subs(symbol("T"), 2)
    )
