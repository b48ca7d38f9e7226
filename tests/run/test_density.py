"""The Fokker–Planck grid solver (actionc.run.density) against exact
densities, exact discrete equilibria, Eyring–Kramers rates and particles."""

import re

import numpy as np
import pytest
from scipy import stats
from scipy.sparse.linalg import expm_multiply
from scipy.special import ndtr

import actionc
from actionc.lower import lower
from actionc.run import landscape
from actionc.run.density import discretize as discretize_system
from actionc.run.density import solve as solve_system
from actionc.run.density.evolve import gibbs, implicit_euler, slowest_eigenvalues, stationary
from tests.conftest import EXAMPLE_DIR
from tests.run.density_models import DOUBLE_WELL, OU

# dx = −(I − aJ)∇U dt + s dW with J a rotation by 90°: the rotational part
# a J∇U is divergence-free against exp(−U/T) (tr(J ∇²U) = 0, ∇U·J∇U = 0), so
# the stationary density stays exp(−U/T), T = s²/2, though the drift is not a
# gradient. U = x⁴/4 + y²/2.
SWIRL = """model swirl
param a = 1.5, s = 0.9
state x, y
dx = (-x^3 - a*y) dt + s dW1
dy = (-y + a*x^3) dt + s dW2
init x = 1, y = 0
"""


def discretize(model, **options):
    return discretize_system(lower(model), **options)


def solve(model, **options):
    return solve_system(lower(model), **options)


def ou_exact(x, t):
    mean = 0.2 + (1 - 0.2) * np.exp(-1.5 * t)
    var = 0.25**2 * np.exp(-3 * t) + 0.8**2 / 3 * (1 - np.exp(-3 * t))
    return np.exp(-((x - mean) ** 2) / (2 * var)) / np.sqrt(2 * np.pi * var)


def test_ou_density_converges_to_the_exact_gaussian_at_second_order_in_the_grid_spacing():
    # the semi-discrete equation dp/dt = L p solved exactly in time (expm):
    # what is left is the spatial error alone
    model = actionc.parse(OU)
    errors = []
    for cells in (40, 80, 160):
        problem = discretize(model, grid={"x": (-2.0, 3.0, cells)})
        axis = problem.grid.axes[0]
        p = expm_multiply(problem.operator(), problem.initial.ravel(), start=0, stop=1.0, num=11, endpoint=True)
        errors.append(
            max(
                np.abs(p[k] - ou_exact(axis.centres, t)).sum() * axis.spacing
                for k, t in ((2, 0.2), (5, 0.5), (10, 1.0))
            )
        )
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(np.abs(orders - 2) < 0.1), (errors, orders)
    assert errors[-1] < 1e-3


def test_implicit_euler_is_first_order_in_the_step():
    problem = discretize(actionc.parse(OU), grid={"x": (-2.0, 3.0, 200)})
    exact = expm_multiply(problem.operator(), problem.initial.ravel(), start=0, stop=1.0, num=2, endpoint=True)[-1]
    errors = []
    for dt in (0.02, 0.01, 0.005):
        _, saves = implicit_euler(problem.operator, problem.initial.ravel(), dt, round(1 / dt), round(1 / dt), False)
        errors.append(np.abs(saves[-1] - exact).sum() * problem.grid.volume)
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(np.abs(orders - 1) < 0.1), orders


@pytest.mark.parametrize("text", [DOUBLE_WELL, SWIRL, OU])
def test_the_operator_conserves_probability_and_is_an_m_matrix(text):
    model = actionc.parse(text)
    axes = {"x": (-2.5, 2.5, 30), "y": (-2.5, 2.5, 20)}
    problem = discretize(model, grid={name: axes[name] for name in lower(model).names})
    L = problem.operator().tocoo()
    off = L.row != L.col
    assert L.data[off].min() >= 0  # off-diagonal rates: implicit steps keep p ≥ 0
    columns = np.asarray(L.sum(axis=0)).ravel()
    assert np.abs(columns).max() <= 1e-12 * np.abs(L.data).max()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"boundary": {"x": "periodc"}}, "unknown boundary 'periodc' for x"),
        ({"boundary": {"q": "periodic"}}, "unknown state variable 'q'"),
        ({"grid": {"q": (-1.0, 1.0, 10)}}, "unknown state variable 'q'"),
        ({"grid": {"x": (-1.0, 1.0, 1)}}, "x needs at least 3 cells"),
        ({"grid": {"x": (1.0, -1.0, 10)}}, "x needs finite LOW < HIGH"),
        ({"grid": {"x": (-1.0, 1.0)}}, "expected x=LOW:HIGH:CELLS"),
        ({"grid": {"x": (-1.0, 1.0, 10.5)}}, "expected x=LOW:HIGH:CELLS"),
    ],
)
def test_a_grid_or_boundaries_given_as_dicts_are_checked_like_the_command_line(options, message):
    with pytest.raises(actionc.RunError, match=re.escape(message)):
        discretize(actionc.parse(OU), **options)


def test_the_generated_coefficients_are_loaded_through_the_kernel_caches_checks(monkeypatch, tmp_path):
    # one door for executing generated code: codegen/kernel.py checks the
    # cache's files (cache.sound) before importing, and rebuilds a broken file
    from actionc.codegen import cache

    checked = []
    sound = cache.sound
    monkeypatch.setattr(cache, "sound", lambda path: checked.append(path) or sound(path))
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(tmp_path))  # a fresh cache: nothing loaded yet
    problem = discretize(actionc.parse(OU.replace("model ou", "model ou_loaded")), grid={"x": (-2.0, 3.0, 20)})
    assert [path.read_text() for path in checked] == [problem.fields.source]


def test_mass_is_conserved_to_round_off_and_p_stays_positive_at_large_steps():
    # T = 0.05: walls steep on the grid scale, and steps far beyond the explicit limit h²/2D
    result = solve(actionc.parse(DOUBLE_WELL), grid="x=-2:2:400", params={"T": 0.05}, t_end=50.0, dt=0.5, save_every=1)
    assert np.abs(result.mass() - 1).max() < 1e-12
    assert result.p.min() >= 0


@pytest.mark.parametrize("drift", ["0", "1.5"])
def test_absorbing_walls_give_the_exact_slowest_rate_of_an_interval_at_second_order(drift):
    # dx = c dt + sqrt(2) dW on [0, 1], p = 0 at both walls: the slowest rate
    # is π²D/L² + c²/4D (the drift's e^{cx/2D} factor; Gardiner §5.2), D = 1
    model = actionc.parse(f"model walls\nstate x\ndx = {drift} dt + sqrt(2) dW\ninit x = 0.5\n")
    exact = np.pi**2 + float(drift) ** 2 / 4
    errors = []
    for cells in (25, 50, 100):
        problem = discretize(model, grid={"x": (0.0, 1.0, cells)}, boundary="x=absorbing")
        errors.append(slowest_eigenvalues(problem.operator(), 1)[0] - exact)
    orders = np.log2(np.abs(errors[:-1]) / np.abs(errors[1:]))
    assert np.all(np.abs(orders - 2) < 0.15) and abs(errors[-1]) < 1e-3 * exact, (errors, orders)


def test_absorbing_walls_lose_probability_and_periodic_ones_keep_it():
    model = actionc.parse(DOUBLE_WELL)
    absorbed = solve(model, grid="x=-1.2:1.2:120", boundary="x=absorbing", t_end=2.0, dt=0.01, save_every=50)
    assert np.all(np.diff(absorbed.mass()) < 0) and absorbed.mass()[-1] < 0.9
    assert absorbed.p.min() >= 0
    wrapped = solve(model, grid="x=-2:2:120", boundary="x=periodic", t_end=2.0, dt=0.01, save_every=50)
    assert np.abs(wrapped.mass() - 1).max() < 1e-12


def test_the_double_well_stationary_state_is_the_gibbs_density_exactly_at_the_cells():
    problem = discretize(actionc.parse(DOUBLE_WELL), grid={"x": (-2.2, 2.2, 300)})
    energy, temperature = problem.energy()
    exact = gibbs(energy, temperature, problem.grid.volume)
    L = problem.operator()
    assert np.abs(L @ exact).max() <= 1e-12 * np.abs(L).max() * exact.max()  # every face balances
    assert np.abs(stationary(L, problem.grid.volume) - exact).max() <= 1e-10 * exact.max()


def test_the_general_flux_is_not_exactly_gibbs_but_second_order_close():
    # negative control: the same drift as an SDE model goes through the
    # face-drift flux, which balances exp(−E/T) only up to O(h²)
    sde = "model dw_sde\nparam T = 0.3\nstate x\ndx = -4*x*(x^2 - 1) dt + sqrt(2*T) dW\ninit x = -1\n"
    errors = []
    for cells in (100, 200):
        problem = discretize(actionc.parse(sde), grid={"x": (-2.2, 2.2, cells)})
        x = problem.grid.axes[0].centres
        exact = gibbs((x**2 - 1) ** 2, 0.3, problem.grid.volume)
        errors.append(np.abs(stationary(problem.operator(), problem.grid.volume) - exact).max() / exact.max())
    assert errors[0] > 1e-5 and 3.5 < errors[0] / errors[1] < 4.5


def test_the_first_nonzero_eigenvalue_converges_at_second_order_to_a_fine_grid_reference():
    model = actionc.parse(DOUBLE_WELL)

    def rate(cells):
        problem = discretize(model, grid={"x": (-2.2, 2.2, cells)}, params={"T": 0.1})
        return slowest_eigenvalues(problem.operator(), 2)

    reference = rate(3200)[1]
    coarse, fine = rate(200), rate(400)
    assert abs(coarse[0]) < 1e-9 and abs(fine[0]) < 1e-9  # the stationary mode
    ratio = (coarse[1] - reference) / (fine[1] - reference)
    assert 3.5 < ratio < 4.5 and abs(fine[1] / reference - 1) < 2e-3


@pytest.mark.parametrize("T", [0.1, 0.05])
def test_the_double_well_relaxation_rate_is_twice_eyring_kramers_with_its_first_correction(T):
    # λ₁ = k(−1 → 1) + k(1 → −1) = 2k for the symmetric well, and for E = (x² − 1)²
    # the Laplace expansions of the mean first-passage time (Gardiner §5.5) give
    # k = k_EK (1 − 3T/8 + O(T²)): well and saddle each contribute
    # T(5E'''²/24E''³ − E''''/8E''²) = 3T/16 at x = ±1 and at x = 0
    model = actionc.parse(DOUBLE_WELL)
    problem = discretize(model, grid={"x": (-2.0, 2.0, 800)}, params={"T": T})
    rate = slowest_eigenvalues(problem.operator(), 2)[1]
    compiled = actionc.compile(model)
    points = landscape.critical_points(compiled, -2.0, 2.0, params={"T": T})
    minimum = next(p for p in points if p.index == 0)
    saddle = next(p for p in points if p.index == 1)
    kramers = landscape.kramers_rate(minimum, saddle, T, 1.0)
    ratio = rate / (2 * kramers)
    assert abs(ratio - (1 - 3 * T / 8)) < T**2, ratio
    assert abs(ratio - 1) > 2 * T**2  # the correction is needed: without it the test fails


def test_a_rotational_drift_reaches_its_known_non_gibbs_flux_stationary_density():
    model = actionc.parse(SWIRL)
    T = 0.9**2 / 2
    errors = []
    for cells in (32, 64):
        problem = discretize(model, grid={"x": (-2.5, 2.5, cells), "y": (-3.0, 3.0, cells)})
        points = problem.grid.points().reshape(-1, 2)
        exact = gibbs(points[:, 0] ** 4 / 4 + points[:, 1] ** 2 / 2, T, problem.grid.volume)
        errors.append(np.abs(stationary(problem.operator(), problem.grid.volume) - exact).sum() * problem.grid.volume)
    assert errors[1] < 0.02 and errors[0] / errors[1] > 3.5, errors
    result = solve(model, grid={"x": (-2.5, 2.5, 64), "y": (-3.0, 3.0, 64)}, t_end=20.0, dt=0.1, save_every=200)
    assert np.abs(result.p[-1].ravel() - exact).sum() * problem.grid.volume < 1.5 * errors[1]
    assert result.p.min() >= 0


def test_the_free_energy_decreases_at_every_step_to_its_equilibrium_value():
    result = solve(actionc.parse(DOUBLE_WELL), grid="x=-2.2:2.2:300", t_end=150.0, dt=0.25, save_every=1)
    assert np.all(np.diff(result.free_energy) < 0)
    assert result.relative_entropy[0] > 1 and 0 <= result.relative_entropy[-1] < 1e-3
    x = result.centres("x")
    Z = np.exp(-((x**2 - 1) ** 2) / 0.3).sum() * result.grid.volume
    assert abs(result.free_energy[-1] - (-0.3 * np.log(Z))) < 1e-3  # F_eq = −T log Z


def chi_square_pvalue(result, sample, save, bins_of=10):
    """Pearson's χ² of a particle sample against the density's cell masses,
    aggregated in bins of `bins_of` cells (bins expecting fewer than 5 pooled)."""
    masses = result.p[save] * result.grid.volume
    expected = masses.reshape(-1, bins_of).sum(axis=1) * len(sample)
    edges = result.grid.axes[0].edges[::bins_of]
    observed = np.histogram(sample, bins=edges)[0]
    keep = expected >= 5
    expected = np.r_[expected[keep], expected[~keep].sum()]
    observed = np.r_[observed[keep], observed[~keep].sum()]
    statistic = ((observed - expected) ** 2 / expected).sum()
    return stats.chi2.sf(statistic, len(expected) - 1)


def test_the_density_is_the_histogram_of_particles_run_with_the_same_model():
    model = actionc.parse(DOUBLE_WELL)
    density = solve(model, grid="x=-2.5:2.5:500", t_end=1.0, dt=0.001, save_every=500)
    run = actionc.compile(model, "euler-maruyama").run(dt=0.001, steps=1000, particles=20000, seed=7, save_every=500)
    sample = run["x"][-1]
    # 20000 particles, ~30 bins: χ² p-value of a correct density is uniform;
    # the Euler–Maruyama and implicit Euler biases (dt = 1e-3) are far below the noise
    assert chi_square_pvalue(density, sample, -1) > 1e-3
    # negative control: the density at t = 0.5 is rejected by the same sample
    assert chi_square_pvalue(density, sample, 1) < 1e-6


def test_state_and_time_dependent_noise_follows_its_exact_widening_gaussian():
    # widening_noise.act: p_t = N(0, 1 + t) with D = (1 + x²)/2 and a drift
    # depending on t: the divergence form ∂(D p) needs no derivative of D,
    # and the operator is rebuilt at every step
    model = actionc.load(str(EXAMPLE_DIR / "widening_noise.act"))
    errors = []
    for cells in (100, 200):
        edges = np.linspace(-8.0, 8.0, cells + 1)
        start = np.diff(ndtr(edges))  # N(0, 1) as cell masses
        result = solve(model, grid=f"x=-8:8:{cells}", t_end=1.0, dt=1e-3, save_every=1000, initial=start)
        exact = np.diff(ndtr(edges / np.sqrt(2))) / result.grid.volume
        errors.append(np.abs(result.p[-1] - exact).sum() * result.grid.volume)
    assert result.meta["time_dependent"]
    assert errors[1] < 5e-4 and errors[0] / errors[1] > 3, errors


def test_correlated_noise_reaches_its_exact_gaussian_at_second_order():
    # dx = −x dt + dW₁, dy = −y dt + c dW₁ + dW₂: off-diagonal D, stationary
    # covariance Σ = g gᵀ/2 (the Lyapunov equation with drift −I)
    model = actionc.parse("model corr\nparam c = 0.8\nstate x, y\ndx = -x dt + dW1\ndy = -y dt + c dW1 + dW2\n")
    inverse = np.linalg.inv(np.array([[1.0, 0.8], [0.8, 1.64]]) / 2)
    errors = []
    for cells in (24, 48):
        problem = discretize(model, grid={"x": (-4.0, 4.0, cells), "y": (-5.0, 5.0, cells)})
        points = problem.grid.points().reshape(-1, 2)
        exact = np.exp(-0.5 * np.einsum("ni,ij,nj->n", points, inverse, points))
        exact /= exact.sum() * problem.grid.volume
        errors.append(np.abs(stationary(problem.operator(), problem.grid.volume) - exact).sum() * problem.grid.volume)
    assert errors[1] < 0.02 and errors[0] / errors[1] > 3.3, errors


@pytest.mark.parametrize("calculus, growth", [("ito", 0.0), ("stratonovich", 0.5**2 / 2)])
def test_multiplicative_noise_moves_the_mean_only_in_stratonovich_calculus(calculus, growth):
    # dS = σ S dW: E[S(t)] = 1 in Itô calculus, exp(σ²t/2) in Stratonovich
    # (the Itô drift σ²S/2 the System carries)
    text = f"model gbm\nparam sigma = 0.5\nstate S\nnoise {calculus}\ndS = 0 dt + sigma*S dW\ninit S = 1\n"
    result = solve(actionc.parse(text), grid="S=0:6:600", t_end=1.0, dt=1e-3, save_every=1000)
    mean = (result.p[-1] * result.centres("S")).sum() * result.grid.volume
    assert mean == pytest.approx(np.exp(growth), abs=1e-3)


def risken_tilted(x, F, T):
    """dx = (F − sin x) dt + sqrt(2T) dW on a circle: the steady state with a
    current, p(x) ∝ e^{−Φ(x)/T} ∫_x^{x+2π} e^{Φ(y)/T} dy, Φ = −cos x − F x
    (Risken, The Fokker–Planck Equation, §11.2), normalized on the cells x."""
    from scipy.integrate import quad

    def phi(y):
        return -np.cos(y) - F * y

    exact = np.array([np.exp(-phi(c) / T) * quad(lambda y: np.exp(phi(y) / T), c, c + 2 * np.pi)[0] for c in x])
    return exact / (exact.sum() * (x[1] - x[0]))


TILTED_SDE = "model tilted\nparam F = 0.6, T = 0.4\nstate x\ndx = (F - sin(x)) dt + sqrt(2*T) dW\n"
# the same dynamics as an energy model: E = −cos x − F x is not periodic, so
# no Gibbs state exists on the circle and the wrap face must take the general flux
TILTED_ENERGY = "model tilted_energy\nparam F = 0.6, T = 0.4\nstate x\nenergy = -cos(x) - F*x\ntemperature = T\n"


@pytest.mark.parametrize("text", [TILTED_SDE, TILTED_ENERGY])
def test_a_tilted_periodic_potential_reaches_riskens_current_carrying_stationary_density(text):
    model = actionc.parse(text)
    errors = []
    for cells in (50, 100):
        problem = discretize(model, grid={"x": (-np.pi, np.pi, cells)}, boundary="x=periodic")
        axis = problem.grid.axes[0]
        exact = risken_tilted(axis.centres, 0.6, 0.4)
        errors.append(np.abs(stationary(problem.operator(), axis.spacing) - exact).sum() * axis.spacing)
    assert errors[1] < 5e-4 and 3.5 < errors[0] / errors[1] < 4.5, errors


def test_a_periodic_energy_keeps_its_exact_gibbs_state_and_a_tilted_one_has_none():
    periodic = discretize(
        actionc.parse(TILTED_ENERGY), grid={"x": (-np.pi, np.pi, 60)}, boundary="x=periodic", params={"F": 0.0}
    )
    energy, temperature = periodic.energy()
    exact = gibbs(energy, temperature, periodic.grid.volume)
    assert periodic.gibbs_exact
    assert np.abs(stationary(periodic.operator(), periodic.grid.volume) - exact).max() <= 1e-10 * exact.max()
    tilted = solve(actionc.parse(TILTED_ENERGY), grid="x=-3.14159:3.14159:60", boundary="x=periodic", t_end=1.0)
    assert not tilted.meta["scheme"] == "gibbs" and tilted.relative_entropy is None  # no Gibbs density to compare to


def test_three_dimensional_linear_drift_has_its_gaussian_exactly_at_the_cells():
    # with a linear drift and constant noise the fitted flux balances the
    # Gaussian exactly across every face: z = h f(face)/D = −h x_face/σ²
    model = actionc.parse(
        "model ou3\nstate x, y, z\ndx = -x dt + dW1\ndy = -2*y dt + dW2\ndz = -(z - 1) dt + 0.5 dW3\n"
    )
    problem = discretize(model, grid={"x": (-3.0, 3.0, 14), "y": (-2.0, 2.0, 12), "z": (-0.5, 2.5, 10)})
    points = problem.grid.points().reshape(-1, 3) - np.array([0.0, 0.0, 1.0])
    exact = np.exp(-0.5 * (points**2 / np.array([0.5, 0.25, 0.125])).sum(axis=1))
    exact /= exact.sum() * problem.grid.volume
    assert np.abs(stationary(problem.operator(), problem.grid.volume) - exact).max() < 1e-12 * exact.max()


def test_a_density_result_round_trips_through_npz_and_xarray(tmp_path):
    from actionc.run.density import DensityResult

    result = solve(actionc.parse(DOUBLE_WELL), grid="x=-2:2:40", t_end=1.0, dt=0.1, save_every=5, eigenvalues=2)
    result.save(tmp_path / "dw.npz")
    loaded = DensityResult.load(tmp_path / "dw.npz")
    assert np.array_equal(loaded.p, result.p) and np.array_equal(loaded.rates, result.rates)
    assert loaded.grid == result.grid and loaded.meta == result.meta
    xarray = pytest.importorskip("xarray")
    dataset = loaded.to_xarray()
    assert isinstance(dataset, xarray.Dataset) and dataset["p"].dims == ("time", "x")
    assert float(dataset["p"].sel(time=1.0).integrate("x")) == pytest.approx(1, abs=1e-3)
