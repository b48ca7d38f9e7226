"""Stationary paths with fixed ends, against closed forms and against
shooting with RK4; the second variation tells minima, saddles and
conjugate points apart."""

import numpy as np
import pytest

import actionc
from actionc.cli import main
from actionc.errors import RunError
from actionc.run.result import Result
from actionc.run.stationary import stationary_path
from tests.conftest import EXAMPLE_DIR


def compiled(text: str):
    return actionc.compile(actionc.parse(text))


@pytest.fixture(scope="module")
def oscillator():
    return compiled("model osc\ncoord x\nlagrangian = x'^2/2 - x^2/2\n")


@pytest.mark.parametrize("rule", ["midpoint", "trapezoid"])
def test_a_free_particle_goes_in_a_straight_line(rule):
    free = compiled("model free\ncoord x, y\nparam m = 2\nlagrangian = m*(x'^2 + y'^2)/2\n")
    path = stationary_path(free, [0, 0], [1, 2], 2.0, nodes=10, rule=rule)
    assert np.allclose(path.q, np.outer(path.t / 2.0, [1, 2]), atol=1e-13)
    assert np.allclose(path.v, [0.5, 1.0], atol=1e-13)
    assert path.action == pytest.approx(2 * (1 + 4) / (2 * 2.0), rel=1e-13)  # m |Δq|² / 2T
    assert path.index == 0 and not path.degenerate and path.eigenvalue == pytest.approx(1.0)


@pytest.mark.parametrize("rule", ["midpoint", "trapezoid"])
def test_a_projectile_follows_its_parabola(rule):
    projectile = actionc.compile(EXAMPLE_DIR / "projectile.act")
    g, T = 9.81, 2.0
    path = stationary_path(projectile, [0, 0], [10, 0], T, nodes=100, rule=rule)
    t = path.t
    vy = g * T / 2  # y = vy t − g t²/2 lands at t = T
    assert np.allclose(path.q[:, 0], 5 * t, atol=1e-10)
    assert np.allclose(path.q[:, 1], vy * t - g * t**2 / 2, atol=1e-10)
    assert np.allclose(path.v[:, 1], vy - g * t, atol=1e-9)
    # S = ∫ (½|v|² − g y) dt along the parabola
    exact = 0.5 * 25 * T + (0.5 * (vy**2 * T - vy * g * T**2 + g**2 * T**3 / 3)) - g * (vy * T**2 / 2 - g * T**3 / 6)
    assert path.action == pytest.approx(exact, rel=1e-3)
    assert path.index == 0


@pytest.mark.parametrize("T, index", [(1.0, 0), (2.5, 0), (np.pi + 0.5, 1), (2 * np.pi + 0.5, 2)])
def test_the_oscillator_path_and_its_morse_index(oscillator, T, index):
    path = stationary_path(oscillator, [0.0], [1.0], T, nodes=400)
    assert np.allclose(path.q[:, 0], np.sin(path.t) / np.sin(T), atol=1e-3)
    assert path.action == pytest.approx(np.cos(T) / (2 * np.sin(T)), rel=1e-3)  # O(h²)
    # Jacobi: one negative direction of the second variation per conjugate point passed
    assert path.index == index and not path.degenerate
    nearest = min((1 - (T / (k * np.pi)) ** 2 for k in (1, 2, 3)), key=abs)
    assert path.eigenvalue == pytest.approx(nearest, abs=1e-3)
    assert path.residual < 1e-8


@pytest.mark.parametrize("end", [0.0, 1.0])
def test_the_conjugate_point_is_reported_as_degenerate(oscillator, end):
    path = stationary_path(oscillator, [0.0], [end], np.pi, nodes=200)
    assert path.degenerate
    assert "conjugate point" in path.nature


def shoot(rk4, start, end, T, v0, steps=2000):
    """The initial velocity whose RK4 trajectory ends at `end`: secant iteration."""

    def miss(v):
        return rk4.run(dt=T / steps, steps=steps, init={"th": start, "th_dot": v}, save_every=steps).x[-1, 0, 0] - end

    v1, v2 = v0, v0 + 1e-3
    f1, f2 = miss(v1), miss(v2)
    for _ in range(30):
        if abs(f2) < 1e-11:
            break
        v1, v2, f1 = v2, v2 - f2 * (v2 - v1) / (f2 - f1), f2
        f2 = miss(v2)
    trajectory = rk4.run(dt=T / steps, steps=steps, init={"th": start, "th_dot": v2}, save_every=steps // 400)
    return v2, trajectory.x[:, 0, 0]


def test_pendulum_paths_from_several_guesses_agree_with_shooting():
    pendulum = actionc.compile(EXAMPLE_DIR / "pendulum.act")
    rk4 = actionc.compile(EXAMPLE_DIR / "pendulum.act", "rk4")
    T, b = 2.5, 0.5
    found = {}
    for mode, amplitude in [(0, 0.0), (1, 1.0), (1, 3.0), (1, -3.0)]:
        path = stationary_path(
            pendulum,
            [0.0],
            [b],
            T,
            nodes=400,
            guess=lambda t, mode=mode, amplitude=amplitude: b * t / T + amplitude * np.sin(mode * np.pi * t / T),
        )
        assert path.residual < 1e-8
        found[round(path.action, 6)] = path
    assert len(found) == 4  # four different stationary paths, over the top both ways among them
    assert sorted(p.index for p in found.values()) == [0, 0, 1, 2]
    for path in found.values():
        v0, trajectory = shoot(rk4, 0.0, b, T, path.v[0, 0])
        assert v0 == pytest.approx(path.v[0, 0], abs=2e-3 * max(1, abs(v0)))
        assert np.max(np.abs(trajectory - path.q[:, 0])) < 5e-3


def test_paths_refuse_what_has_no_action(tmp_path):
    damped = compiled("model d\ncoord x\nlagrangian = x'^2/2\ndissipation = x'^2/2\n")
    with pytest.raises(RunError, match="dissipation"):
        stationary_path(damped, [0], [1], 1.0)
    with pytest.raises(RunError, match="Lagrangian"):
        stationary_path(actionc.compile(EXAMPLE_DIR / "double_well.act"), [0, 0], [1, 1], 1.0)
    oscillator = compiled("model osc\ncoord x\nlagrangian = x'^2/2 - x^2/2\n")
    with pytest.raises(RunError, match="shape"):
        stationary_path(oscillator, [0], [1], 1.0, nodes=10, guess=np.zeros((3, 1)))
    with pytest.raises(RunError, match="after it starts"):
        stationary_path(oscillator, [0], [1], -1.0)


def test_the_path_command_for_mechanics_saves_a_result(capsys, tmp_path):
    out = tmp_path / "projectile.npz"
    arguments = ["path", str(EXAMPLE_DIR / "projectile.act"), "--from", "x=0", "y=0", "--to", "x=10", "y=0"]
    assert main([*arguments, "--t-end", "2", "--nodes", "100", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "minimum of the action" in printed and "initial velocity x'=5, y'=9.81" in printed
    result = Result.load(out)
    assert result.names == ["x", "y", "x_dot", "y_dot"] and result.x.shape == (101, 1, 4)
    assert main(["action", str(EXAMPLE_DIR / "projectile.act"), str(out)]) == 0  # a path is a trajectory too
    assert main(["plot", str(out), "--out", str(tmp_path / "p.png")]) == 0


def test_the_path_command_from_a_bump_and_from_a_saved_guess(capsys, tmp_path):
    pendulum = str(EXAMPLE_DIR / "pendulum.act")
    common = ["path", pendulum, "--from", "th=0", "--to", "th=0.5", "--t-end", "2.5"]
    out = tmp_path / "over.npz"
    assert main([*common, "--bump", "3", "--out", str(out)]) == 0
    over_the_top = capsys.readouterr().out
    assert "action      -2.598" in over_the_top
    assert main([*common, "--guess", str(out), "--nodes", "300"]) == 0
    assert "action      -2.598" in capsys.readouterr().out  # the same path, on finer nodes
    assert main(common[:-2]) == 2
    assert "needs --t-end" in capsys.readouterr().err
