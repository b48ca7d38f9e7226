"""Energy landscapes: critical points against the literature, and the
Eyring–Kramers rate against the rate measured from compiled Langevin runs."""

import numpy as np
import pytest

import actionc
from actionc.cli import main
from actionc.run import landscape
from actionc.run.actions import geometric_action
from tests.conftest import EXAMPLE_DIR


@pytest.fixture(scope="module")
def muller_brown():
    return actionc.compile(EXAMPLE_DIR / "muller_brown.act")


def test_muller_brown_has_its_three_minima_and_two_saddles(muller_brown):
    points = landscape.critical_points(muller_brown, [-1.5, -0.5], [1.2, 2.0])
    kinds = [p.kind for p in points]
    assert kinds.count("minimum") == 3 and kinds.count("saddle") == 2
    # Müller & Brown, Theor. Chim. Acta 53 (1979): energies of the stationary points
    expected = [-146.700, -108.167, -80.768, -72.249, -40.665]
    assert [p.energy for p in points] == pytest.approx(expected, abs=1e-3)
    assert points[0].x == pytest.approx([-0.558, 1.442], abs=1e-3)


def test_kramers_rate_of_the_double_well_matches_simulation():
    compiled = actionc.compile(EXAMPLE_DIR / "double_well.act")
    points = landscape.critical_points(compiled, -2, 2, params={"T": 0.2})
    minimum, saddle = points[0], next(p for p in points if p.index == 1)
    predicted = landscape.kramers_rate(minimum, saddle, temperature=0.2)  # barrier 5 T
    measured, fraction = landscape.escape_rate(
        compiled, (-1, 0), (1, 0), 0.1, dt=2e-3, t_end=500.0, particles=2000, params={"T": 0.2}
    )
    assert fraction > 0.9
    # Kramers' law holds up to O(T/ΔE) corrections: within 25% here
    assert measured / predicted == pytest.approx(1.0, abs=0.25), (measured, predicted)


def test_kramers_rate_of_a_muller_brown_transition_matches_simulation(muller_brown):
    # from the shallow middle minimum over the lower saddle into the second
    # minimum: barrier 8.52 = 5.7 T at T = 1.5 (its other way out is 26.7 T high)
    points = landscape.critical_points(muller_brown, [-1.5, -0.5], [1.2, 2.0], params={"T": 1.5})
    second, middle, saddle = points[1], points[2], points[3]
    predicted = landscape.kramers_rate(middle, saddle, temperature=1.5)
    measured, fraction = landscape.escape_rate(
        muller_brown, middle.x, second.x, 0.1, dt=1e-4, t_end=10.0, particles=1000, params={"T": 1.5}, every=100
    )
    assert fraction > 0.9
    assert measured / predicted == pytest.approx(1.0, abs=0.25), (measured, predicted)


def test_the_critical_command_lists_points_and_rates(capsys):
    assert main(["critical", str(EXAMPLE_DIR / "double_well.act"), "--set", "T=0.2", "--box", "-2", "2"]) == 0
    out = capsys.readouterr().out
    assert "minimum" in out and "saddle" in out and "rate 0.006066" in out


def test_the_critical_command_needs_an_energy_model(capsys):
    assert main(["critical", str(EXAMPLE_DIR / "ornstein_uhlenbeck.act")]) == 2
    assert "energy model" in capsys.readouterr().err


def test_the_string_finds_the_muller_brown_path_through_the_middle_minimum(muller_brown):
    path = landscape.minimum_energy_path(muller_brown, [-0.5, 1.4], [0.6, 0.0])
    everything = landscape.critical_points(muller_brown, [-1.5, -0.5], [1.2, 2.0])
    minima = sorted((p for p in everything if p.index == 0), key=lambda p: p.x[0])
    saddles = sorted((p for p in everything if p.index == 1), key=lambda p: p.x[0])
    # deepest minimum → upper saddle → middle minimum → lower saddle → second minimum
    expected = [minima[0], saddles[0], minima[1], saddles[1], minima[2]]
    assert [p.kind for p in path.points] == [p.kind for p in expected]
    for found, known in zip(path.points, expected):
        assert np.allclose(found.x, known.x, atol=1e-8)
    assert path.barrier == pytest.approx(expected[1].energy - expected[0].energy, rel=1e-10)
    # a minimum-energy path: the gradient is along the string, away from its corners at the minima
    gradient = muller_brown.function("gradient")(path.x)
    tangent = np.gradient(path.x, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1)[:, None]
    across = gradient - np.sum(gradient * tangent, axis=1)[:, None] * tangent
    away = np.min([np.linalg.norm(path.x - m.x, axis=1) for m in minima], axis=0) > 0.1
    assert np.max(np.linalg.norm(across[away], axis=1)) < 0.02 * np.max(np.linalg.norm(gradient, axis=1))


@pytest.mark.parametrize(
    "example, start, end, T",
    [("double_well", [-1, 0.3], [1, -0.2], 0.2), ("muller_brown", [-0.5, 1.4], [0.6, 0.0], 5.0)],
)
def test_the_action_of_the_minimum_energy_path_is_the_uphill_energy_over_t(example, start, end, T):
    compiled = actionc.compile(EXAMPLE_DIR / f"{example}.act")
    path = landscape.minimum_energy_path(compiled, start, end, images=200, params={"T": T})
    rise = sum(max(0.0, b.energy - a.energy) for a, b in zip(path.points, path.points[1:]))
    assert geometric_action(compiled, path.x, {"T": T}) == pytest.approx(rise / T, rel=2e-3)
    if example == "muller_brown":  # the straight line between the minima costs more
        line = path.x[0] + np.outer(np.linspace(0, 1, 200), path.x[-1] - path.x[0])
        assert geometric_action(compiled, line, {"T": T}) > 1.5 * rise / T


def test_the_path_command_for_an_energy_model(capsys, tmp_path):
    out = tmp_path / "mep.npz"
    arguments = ["path", str(EXAMPLE_DIR / "double_well.act"), "--from", "x=-1", "y=0.5", "--to", "x=1", "y=0"]
    assert main([*arguments, "--set", "T=0.2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "saddle   x=0, y=0   E = 1" in printed
    assert "barrier 1 = 5 T" in printed and "rate over the saddle at E = 1: 0.006066" in printed
    saved = np.load(out)
    assert saved["x"].shape == (100, 2) and list(saved["point_kinds"]) == ["minimum", "saddle", "minimum"]


def test_the_path_command_asks_for_every_coordinate(capsys):
    assert main(["path", str(EXAMPLE_DIR / "double_well.act"), "--from", "x=-1", "--to", "x=1", "y=0"]) == 2
    err = capsys.readouterr().err
    assert "--from: no value for 'y'" in err and "give every one of: x=VALUE, y=VALUE" in err


@pytest.fixture(scope="module")
def underdamped():
    return actionc.compile(EXAMPLE_DIR / "underdamped_double_well.act")


@pytest.mark.parametrize(("gamma", "curvature"), [(1.0, 4.0), (0.3, 2.0), (5.0, 0.5)])
def test_the_inertial_growth_rate_is_kramers_in_one_dimension(gamma, curvature):
    # Kramers 1940: m q'' = |κ| q − m γ q' grows at λ₊ = −γ/2 + sqrt(γ²/4 + |κ|/m), here m = 2
    mass, friction = np.array([[2.0]]), np.array([[2.0 * gamma]])
    expected = -gamma / 2 + np.sqrt(gamma**2 / 4 + curvature / 2.0)
    assert landscape.inertial_growth(np.array([[-curvature]]), mass, friction) == pytest.approx(expected, rel=1e-12)
    strong = np.array([[2.0e6]])  # high friction: the overdamped |κ|/R
    assert landscape.inertial_growth(np.array([[-curvature]]), mass, strong) == pytest.approx(curvature / 2e6, rel=1e-5)


def test_the_underdamped_landscape_is_its_potential(underdamped):
    points = landscape.critical_points(underdamped, -2, 2)
    assert [p.kind for p in points] == ["minimum", "minimum", "saddle"]
    assert points[2].x == pytest.approx([0, 0], abs=1e-9) and points[2].energy == pytest.approx(1.0)
    assert landscape.temperature_and_friction(underdamped) == (0.2, 1.0)


def test_kramers_inertial_rate_of_the_underdamped_double_well_matches_simulation(underdamped):
    points = landscape.critical_points(underdamped, -2, 2)
    minimum, saddle = points[0], points[2]
    surface = landscape.landscape_of(underdamped)
    mass, friction = surface.mass_and_friction()
    predicted = landscape.kramers_rate(minimum, saddle, 0.2, friction, mass=mass)
    overdamped = landscape.kramers_rate(minimum, saddle, 0.2, friction)
    assert predicted == pytest.approx(0.002368, rel=1e-3) and overdamped == pytest.approx(0.006066, rel=1e-3)
    # positions only: the state is (x, y, x', y'), the target a point of (x, y)
    measured, fraction = landscape.escape_rate(underdamped, (-1, 0), (1, 0), 0.1, dt=0.01, t_end=400.0, particles=2000)
    # ~1200 passages: 3% statistical error; Kramers' law holds up to O(T/ΔE) = 20% corrections
    assert fraction > 0.4
    assert measured / predicted == pytest.approx(1.0, abs=0.2), (measured, predicted)
    assert measured / overdamped < 0.5  # the negative control: the overdamped formula is 2.6 times off


def test_critical_and_path_accept_an_underdamped_model(capsys):
    model = str(EXAMPLE_DIR / "underdamped_double_well.act")
    assert main(["critical", model, "--box", "-2", "2"]) == 0
    out = capsys.readouterr().out
    assert "of V(q)" in out and "rate 0.002368" in out and "overdamped 0.006066" in out
    assert main(["path", model, "--from", "x=-1", "y=0", "--to", "x=1", "y=0", "--set", "gamma=4"]) == 0
    out = capsys.readouterr().out
    # γ = 4: λ₊ = −2 + sqrt(4 + 4) = 0.828 where γ = 1 gives 4 (|κ|/R): 0.006066 × 0.828 / 4
    assert "saddle   x=0, y=0" in out and "Kramers rate (inertial)" in out and "0.001256" in out
