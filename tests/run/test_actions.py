"""Actions of trajectories: S = ∫ L dt, and the Freidlin–Wentzell and
Onsager–Machlup actions of SDE paths, against closed forms."""

import numpy as np
import pytest
import sympy

import actionc
from actionc.cli import main
from actionc.derive import paths, stochastic
from actionc.run import actions
from actionc.symbols import symbol
from tests.conftest import EXAMPLE_DIR


def test_the_action_of_a_free_particle_is_half_m_v_squared_t():
    compiled = actionc.compile(actionc.parse("model free\nparam m = 2\ncoord x\nlagrangian = m*x'^2/2\ninit x' = 3\n"))
    result = compiled.run(dt=0.01, steps=100)
    assert actions.actions_of(compiled, result)["action"] == pytest.approx([2 * 9 * 1.0 / 2], rel=1e-12)


def test_the_action_of_the_harmonic_oscillator_along_its_solution():
    # x = cos t: S(T) = ∫ (sin² − cos²)/2 dt = −sin(2T)/4; the trapezoid rule errs by O(h²)
    model = actionc.parse("model osc\ncoord x\nlagrangian = x'^2/2 - x^2/2\ninit x = 1\n")
    compiled = actionc.compile(model, "rk4")
    result = compiled.run(dt=1e-3, steps=2000, save_every=1)
    assert actions.actions_of(compiled, result)["action"][0] == pytest.approx(-np.sin(4.0) / 4, abs=1e-6)


def test_the_noise_free_path_of_an_ou_process_has_zero_freidlin_wentzell_action():
    compiled = actionc.compile(EXAMPLE_DIR / "ornstein_uhlenbeck.act")
    t = np.linspace(0.0, 2.0, 4001)
    x = np.exp(-t)[:, None, None]  # x' = theta (mu - x) with theta = 1, mu = 0
    values = actions.sde_actions(compiled, t, x)
    assert values["freidlin_wentzell"][0] == pytest.approx(0.0, abs=1e-9)
    assert values["onsager_machlup"][0] == pytest.approx(-1.0 * 2.0 / 2, rel=1e-9)  # ½ ∫ ∇·f dt = −θT/2


def test_the_freidlin_wentzell_density_of_the_double_well():
    model = actionc.load(EXAMPLE_DIR / "double_well.act")
    density = paths.freidlin_wentzell(stochastic.sde_of(model))
    x, y, xd, yd, T = (symbol(n) for n in ("x", "y", "x_dot", "y_dot", "T"))
    expected = ((xd + 4 * x * (x**2 - 1)) ** 2 + (yd + y) ** 2) / (4 * T)
    assert sympy.simplify(density - expected) == 0


def test_the_action_command_reads_a_saved_run(tmp_path, capsys):
    out = tmp_path / "run.npz"
    model = str(EXAMPLE_DIR / "kepler.act")
    assert main(["run", model, "--dt", "0.01", "--steps", "100", "--out", str(out)]) == 0
    assert main(["action", model, str(out)]) == 0
    assert "action:" in capsys.readouterr().out
    assert main(["action", str(EXAMPLE_DIR / "pendulum.act"), str(out)]) == 2


def test_the_action_of_a_dissipative_model_says_what_it_leaves_out(tmp_path, capsys):
    from actionc.cli import main
    from tests.conftest import EXAMPLE_DIR

    out = tmp_path / "run.npz"
    model = str(EXAMPLE_DIR / "damped_driven_oscillator.act")
    assert main(["run", model, "--dt", "0.01", "--steps", "100", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["action", model, str(out)]) == 0
    assert "has dissipation or forces" in capsys.readouterr().err
    conservative = str(EXAMPLE_DIR / "pendulum.act")  # the control: nothing to say
    assert main(["run", conservative, "--dt", "0.01", "--steps", "100", "--out", str(out)]) == 0
    assert main(["action", conservative, str(out)]) == 0
    assert "dissipation" not in capsys.readouterr().err
