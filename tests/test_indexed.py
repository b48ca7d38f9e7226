"""Indexed models: arrays, sums, neighbours, pairs and data, derived for
element i once and compiled as loops. The element calculus is checked
against the same model written out with scalars (SymPy differentiating the
unrolled expression), the kernels against the scalar model's kernels, and
the data path against NumPy."""

import math

import numpy as np
import pytest
import sympy
from hypothesis import given

import actionc
from actionc.derive import elements
from actionc.errors import ModelError, RunError
from actionc.lang import format_model, parse
from actionc.pipeline import compile_text
from actionc.testing import indexed as acti
from tests.conftest import EXAMPLE_DIR

FPUT = (EXAMPLE_DIR / "fput.act").read_text()


MODELS = {
    "fput": FPUT,
    "free ends": """
model free
param N = 5, k = 2
coord q[1..N]
lagrangian = sum(i in 1..N: q'[i]^2/2) - sum(i in 1..N-1: k*(q[i+1] - q[i])^2/2 + (q[i+1] - q[i])^4)
""",
    "periodic lattice": (EXAMPLE_DIR / "allen_cahn.act").read_text(),
    "pairs": """
model pairs
param N = 5
state x[1..N]
energy = sum(i < j in 1..N: 1/(1 + (x[i] - x[j])^2)) + sum(i in 1..N: x[i]^4/4 - x[1]*x[i])
""",
    "second neighbours": """
model second
param N = 6
state x[1..N]
boundary x[-1] = 0.5, x[0] = 0, x[N+1] = 0, x[N+2] = -1
energy = sum(i in 1..N: cos(x[i+2] - x[i]) + (x[i-2] - x[i+1])^2 * x[i])
""",
}


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("n", [2, 3, 4, 6])
def test_element_equations_equal_the_unrolled_model(name, n):
    model = parse(MODELS[name], f"{name}.act")
    assert acti.unrolled_difference(model, n, seed=n) < 1e-9


def test_the_comparison_can_fail():
    """Negative control: one neighbour term dropped from the derived
    equation is caught."""
    model = parse(FPUT, "fput.act")
    found = elements.element_equations(model)
    conjugate = next(e for e in found.equations if e.role == "conjugate")
    wrong = conjugate.rate.xreplace({sympy.IndexedBase("q")[found.index + 1]: 0})
    broken = elements.Equation(conjugate.variable, conjugate.array, wrong, "conjugate")
    original = elements.element_equations
    try:
        elements.element_equations = lambda m: elements.Elements(
            found.index, (found.equations[0], broken), found.invariants
        )
        assert acti.unrolled_difference(model, 4) > 1e-3
    finally:
        elements.element_equations = original


@given(acti.stencil_energies())
def test_random_stencils_equal_the_unrolled_model(text):
    assert acti.unrolled_difference(parse(text, "stencil.act"), 4) < 1e-8


@given(acti.pair_energies())
def test_random_pair_potentials_equal_the_unrolled_model(text):
    assert acti.unrolled_difference(parse(text, "pairs.act"), 4) < 1e-8


@given(acti.data_energies())
def test_random_data_sums_equal_the_unrolled_model(text):
    assert acti.unrolled_difference(parse(text, "data.act"), 3) < 1e-8


# ---- kernels ------------------------------------------------------------


def _scalar_fput(n: int) -> str:
    q = [f"q{i}" for i in range(1, n + 1)]
    padded = ["0", *q, "0"]
    springs = " + ".join(
        f"k*({padded[i + 1]} - {padded[i]})^2/2 + beta*({padded[i + 1]} - {padded[i]})^4/4" for i in range(n + 1)
    )
    kinetic = " + ".join(f"{x}'^2/2" for x in q)
    init = ", ".join(f"{x} = sin(pi*{i}/{n + 1})" for i, x in enumerate(q, start=1))
    return (
        f"model fput{n}\nparam k = 1, beta = 1\ncoord {', '.join(q)}\n"
        f"lagrangian = {kinetic} - ({springs})\ninit {init}\n"
    )


@pytest.mark.parametrize("method", ["rk4", "leapfrog", "dopri5"])
def test_indexed_kernel_equals_the_scalar_model(method):
    # dopri5: its error norm is a sum over the elements, in another order: steps equal to rounding
    options = dict(rtol=1e-8, atol=1e-10) if method == "dopri5" else {}
    indexed_run = compile_text(FPUT, method).run(dt=0.05, steps=200, save_every=50, params={"N": 4}, **options)
    scalar_run = compile_text(_scalar_fput(4), method).run(dt=0.05, steps=200, save_every=50, **options)
    assert indexed_run.names == [f"q[{i}]" for i in range(1, 5)] + [f"q_dot[{i}]" for i in range(1, 5)]
    np.testing.assert_allclose(indexed_run.x, scalar_run.x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(indexed_run.invariants, scalar_run.invariants, rtol=1e-12)
    assert np.array_equal(indexed_run.counters, scalar_run.counters)  # the same steps accepted and rejected


def test_sizes_change_without_recompiling():
    compiled = compile_text(FPUT, "leapfrog")
    small = compiled.run(dt=0.02, steps=100, save_every=100, params={"N": 16})
    large = compiled.run(dt=0.02, steps=100, save_every=100, params={"N": 4096})
    assert small.x.shape[-1] == 32 and large.x.shape[-1] == 8192
    for result in (small, large):
        energy = result.invariants[:, 0, 0]
        assert abs(energy[-1] - energy[0]) < 1e-5 * abs(energy[0])  # leapfrog: O(dt²) ≈ 2e-6 here, bounded


def test_compiled_source_does_not_grow_with_the_size():
    small = compile_text(FPUT.replace("N = 32", "N = 16"), "leapfrog").source
    large = compile_text(FPUT.replace("N = 32", "N = 16384"), "leapfrog").source

    def without_meta(source):
        return [line for line in source.splitlines() if not line.startswith("META =")]

    assert without_meta(small) == without_meta(large)


def test_pleiades_matches_the_reference_solution():
    """Hairer, Nørsett & Wanner's Pleiades at t = 3 (their reference
    solution), energy and angular momentum conserved."""
    compiled = actionc.compile(EXAMPLE_DIR / "pleiades.act", "yoshida4")
    result = compiled.run(dt=1e-4, steps=30000, save_every=30000)
    x = result.x[-1, 0]
    np.testing.assert_allclose(x[0:2], [0.3706139143970502, 3.237284092057233], atol=1e-4)
    np.testing.assert_allclose(x[7:9], [-3.943437585517392, -3.271380973972550], atol=1e-4)
    energy = result.invariants[:, 0, 0]
    assert abs(energy[-1] - energy[0]) < 1e-8 * abs(energy[0])
    m = np.arange(1, 8)
    states = result.x[:, 0]
    momentum = (m * (states[:, 0:7] * states[:, 21:28] - states[:, 7:14] * states[:, 14:21])).sum(axis=1)
    assert abs(momentum[-1] - momentum[0]) < 1e-9 * abs(momentum[0])


@pytest.mark.parametrize("method", ["euler-maruyama", "mala"])
def test_indexed_runs_are_bit_identical_across_threads_and_chunks(method):
    compiled = actionc.compile(EXAMPLE_DIR / "allen_cahn.act", method)
    options = dict(dt=0.01, steps=60, particles=7, seed=3, save_every=20, params={"N": 33})
    one = compiled.run(threads=1, chunk_steps=60, **options)
    many = compiled.run(threads=3, chunk_steps=7, **options)
    assert np.array_equal(one.x, many.x)
    assert np.isfinite(one.x).all()


def test_lattice_samples_its_gibbs_marginal():
    """MALA on a 2-site periodic lattice samples exp(−E/T): the mean of φ²
    against quadrature of the same density, within Monte Carlo error;
    negative control at the wrong temperature."""
    compiled = actionc.compile(EXAMPLE_DIR / "allen_cahn.act", "mala")
    result = compiled.run(dt=0.05, steps=20000, particles=16, seed=1, save_every=10, params={"N": 2, "T": 0.5})
    draws = result.x[200:, :, :]
    measured = (draws**2).mean()
    per_chain = (draws**2).mean(axis=(0, 2))
    error = per_chain.std(ddof=1) / math.sqrt(len(per_chain))
    mean_square = lambda a, b: (a**2 + b**2) / 2  # noqa: E731
    assert abs(measured - lattice_expectation(mean_square, 0.5)) < 4 * error + 1e-3
    assert abs(measured - lattice_expectation(mean_square, 0.8)) > 4 * error


def lattice_expectation(f, temperature: float) -> float:
    """E[f(φ₁, φ₂)] on allen_cahn.act's 2-site periodic lattice (κ = 1) at
    this temperature, by quadrature of exp(−E/T) on a grid."""
    grid = np.linspace(-4, 4, 801)
    a, b = np.meshgrid(grid, grid)
    energy = 2 * (b - a) ** 2 / 2 + ((a**2 - 1) ** 2 + (b**2 - 1) ** 2) / 4  # two bonds between two sites
    weight = np.exp(-energy / temperature)
    return float((weight * f(a, b)).sum() / weight.sum())


# ---- data -----------------------------------------------------------------

LOGISTIC = EXAMPLE_DIR / "logistic_regression.act"


def _breast_cancer():
    table = np.loadtxt(EXAMPLE_DIR / "data" / "breast_cancer.csv", delimiter=",", skiprows=1)
    return table[:, :30], table[:, 30]


def _numpy_gradient(w, b, X, y, s=2.5):
    z = y * (X @ w + b)
    r = -y / (1 + np.exp(z))  # d/dz log(1 + exp(-y z)) = -y σ(-y z)
    return np.append(X.T @ r + w / s**2, r.sum() + b / s**2)


def test_data_gradient_equals_numpy():
    compiled = actionc.compile(LOGISTIC, "mala")
    X, y = _breast_cancer()
    data, sizes = compiled.data()
    assert sizes == {"n": 569, "d": 30}
    rng = np.random.default_rng(0)
    state = rng.standard_normal(31) * 0.3
    p = np.array([569.0, 30.0, 2.5])
    ours = compiled.kernel.module.np_gradient(state, 0.0, p, data)
    np.testing.assert_allclose(ours, _numpy_gradient(state[:30], state[30], X, y), rtol=1e-12, atol=1e-12)


def _newton_map(X, y, s=2.5):
    A = np.hstack([X, np.ones((len(y), 1))])
    theta = np.zeros(A.shape[1])
    for _ in range(50):
        z = y * (A @ theta)
        sig = 1 / (1 + np.exp(z))
        gradient = -A.T @ (y * sig) + theta / s**2
        hessian = (A * (sig * (1 - sig))[:, None]).T @ A + np.eye(A.shape[1]) / s**2
        theta -= np.linalg.solve(hessian, gradient)
    return theta, np.linalg.inv(hessian)


@pytest.mark.slow
def test_logistic_posterior_mean_is_near_the_map():
    """MALA's posterior mean (8 chains) lies near the MAP found by Newton's
    method in NumPy: within 5 Monte Carlo standard errors (from the spread
    of the chains' means) plus a quarter of the Laplace standard deviation
    (the mean of a slightly skewed posterior is not its mode). Negative
    control: the MAP under a narrower prior (s = 1) is out of reach."""
    compiled = actionc.compile(LOGISTIC, "mala")
    result = compiled.run(dt=0.002, steps=20000, particles=8, seed=2, save_every=10)
    assert result.meta["stats"]["acceptance_rate"] > 0.9
    chains = result.x[500:].mean(axis=0)  # (chains, 31)
    mean, mcse = chains.mean(axis=0), chains.std(axis=0, ddof=1) / math.sqrt(len(chains))
    theta, covariance = _newton_map(*_breast_cancer())
    allowed = 5 * mcse + 0.25 * np.sqrt(np.diag(covariance))
    assert np.all(np.abs(mean - theta) < allowed)
    narrower, _ = _newton_map(*_breast_cancer(), s=1.0)
    assert not np.all(np.abs(mean - narrower) < allowed)


def test_data_errors(tmp_path):
    compiled = actionc.compile(LOGISTIC, "mala")
    with pytest.raises(RunError, match=r"declared X\[n, d\].*shape \(3,\)"):
        compiled.data({"X": np.zeros(3), "y": np.zeros(569)})
    with pytest.raises(RunError, match="y = 4, but another input has n = 569|n = 4, but another input has n = 569"):
        compiled.data({"y": np.zeros(4)})
    bad = np.zeros((569, 30))
    bad[10, 2] = np.nan
    with pytest.raises(RunError, match=r"not finite at \[11, 3\]"):
        compiled.data({"X": bad})
    with pytest.raises(RunError, match="no such file"):
        compiled.data({"X": str(tmp_path / "missing.npy")})
    np.save(tmp_path / "X.npy", np.ones((5, 2)))
    with pytest.raises(RunError, match="n = 569|n = 5"):
        compiled.data({"X": str(tmp_path / "X.npy")})


# ---- errors in the model --------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("state x[1..N]\nenergy = sum(i in 1..N: x[i+1]^2)", r"x\[i \+ 1\] reaches x\[2\] … x\[N \+ 1\], outside 1..N"),
        ("state x[1..N]\nenergy = sum(i in 1..N: x[j])", "unknown name 'j'"),
        ("state x[1..N]\nenergy = x", "'x' is an array"),
        ("state x, y\nenergy = x[1]", "'x' is a state variable, not an array"),
        ("state x[1..N]\nenergy = sum(i in 1..N: x[2*i])", r"x\[2\*i\] reaches x\[2\] … x\[2\*N\]"),
        ("state x[1..N]\nboundary x[1] = 0\nenergy = x[1]", "inside the array's range"),
        ("state x[1..N]\nboundary x wrapped\nenergy = x[1]", "unknown boundary 'wrapped'"),
        ("param M = 2.5\nstate x[1..M]\nenergy = x[1]", "must be a whole number"),
        ("state x[1..N]\nenergy = sum(N in 1..N: x[N])", "the index 'N' is a parameter"),
        ("state x[1..N]\ninit x = 1\nenergy = x[1]", "'x' is an array"),
        ("state x[1..N]\nlet d[i in 1..N] = x[i]\nenergy = d[N+1]", r"d\[N \+ 1\] reaches d\[N \+ 1\]"),
        ("state x[1..N]\nlet d[i in 1..N] = x[i+1]\nenergy = d[1]", r"x\[i \+ 1\] reaches"),
        ("state x[1..N]\nlet d[i < j in 1..N] = x[i]\nenergy = d[1]", "indexed by ranges, not by pairs"),
        ("state x[1..N]\nlet d[N in 1..N] = x[N]\nenergy = d[1]", "the index 'N' is a parameter"),
        ("state x[1..N]\nlet d[i in 1..N] = x[i]\nenergy = d", "'d' is an array"),
        ("coord x[1..N]\nlet d[i in 1..N] = x[i]\nlagrangian = d'[1]^2", "velocity of 'd', an array of lets"),
    ],
)
def test_model_errors_point_at_the_mistake(text, message):
    with pytest.raises(ModelError, match=message) as caught:
        parse(f"model m\nparam N = 4\n{text}\n", "m.act")
    assert caught.value.span is not None and caught.value.hint


def test_too_small_sizes_are_refused_at_run_time():
    compiled = actionc.compile(EXAMPLE_DIR / "pleiades.act", "rk4")
    with pytest.raises(RunError, match="N ≥"):
        compiled.run(dt=0.01, steps=1, params={"N": 5})


@pytest.mark.parametrize(
    "argv",
    [
        ["emit", "fput.act", "--target", "c"],
        ["critical", "allen_cahn.act"],
        ["density", "allen_cahn.act", "--stationary"],
        ["run", "allen_cahn.act", "--method", "reverse-em", "--steps", "10"],
        ["run", "fput.act", "--method", "heun", "--dt", "0.1", "--steps", "10"],
    ],
)
def test_what_indexed_models_cannot_do_yet_is_said_plainly(argv, capsys):
    from actionc.cli import main

    argv = [argv[0], str(EXAMPLE_DIR / argv[1]), *argv[2:]]
    assert main(argv) in (1, 2)
    error = capsys.readouterr().err
    assert "indexed models" in error and "Traceback" not in error


RING_WRITTEN_OUT = "\n".join(
    ["model gaussian_ring", "param r = 4, s = 0.3", "state x, y", "forward vp, beta_min = 0.1, beta_max = 20"]
    + [f"data mean = [r*cos({k}*pi/4), r*sin({k}*pi/4)], std = s" for k in range(8)]
)


def test_an_indexed_data_line_is_the_components_written_out():
    indexed_ring = actionc.load(EXAMPLE_DIR / "gaussian_ring.act")
    scalar_ring = parse(RING_WRITTEN_OUT + "\n", "ring.act")
    assert len(indexed_ring.data) == 8 and indexed_ring.data == scalar_ring.data
    assert parse(RING_WRITTEN_OUT.replace("r*cos(7", "r*cos(6") + "\n", "ring.act").data != indexed_ring.data


def test_a_huge_size_is_refused_before_anything_is_allocated():
    compiled = actionc.compile(EXAMPLE_DIR / "allen_cahn.act", "euler-maruyama")
    with pytest.raises(RunError, match="more than 50,000,000 entries"):
        compiled.run(dt=0.01, steps=1, params={"N": 2_000_000_000})


def test_the_fokker_planck_operator_and_generator_are_printed_as_sums_over_elements():
    from actionc import report

    model = actionc.load(EXAMPLE_DIR / "allen_cahn.act")
    text = report.to_text(model, report.derive(model, ["fokker_planck", "generator"]))
    assert "∂p/∂t = sum(i in 1..N: ∂/∂phi[i] ((kappa*(" in text and "+ T*∂p/∂phi[i]))" in text
    assert "L f = sum(i in 1..N: (-(kappa*(" in text and "*∂f/∂phi[i] + T*∂²f/∂phi[i]²)" in text


# ---- arrays of lets ----------------------------------------------------------


def test_arrays_of_lets_are_put_in_place_element_by_element():
    fput = (EXAMPLE_DIR / "fput.act").read_text()
    with_let = fput.replace(
        "lagrangian = sum(i in 1..N: q'[i]^2/2) - sum(i in 0..N: k*(q[i+1] - q[i])^2/2 + beta*(q[i+1] - q[i])^4/4)",
        "let d[i in 0..N] = q[i+1] - q[i]\n"
        "lagrangian = sum(i in 1..N: q'[i]^2/2) - sum(i in 0..N: k*d[i]^2/2 + beta*d[i]^4/4)",
    )
    assert with_let != fput
    assert parse(with_let).lagrangian == parse(fput).lagrangian
    formatted = format_model(parse(with_let))
    assert "let d[i in 0..N] = q[i + 1] - q[i]\n" in formatted and parse(formatted) == parse(with_let)
    pleiades = (EXAMPLE_DIR / "pleiades.act").read_text()
    pairs = pleiades.replace(
        "i*j/sqrt((x[i] - x[j])^2 + (y[i] - y[j])^2))",
        "i*j/r[i, j])",
    ).replace("lagrangian =", "let r[i in 1..N, j in 1..N] = sqrt((x[i] - x[j])^2 + (y[i] - y[j])^2)\nlagrangian =")
    assert pairs != pleiades and parse(pairs).lagrangian == parse(pleiades).lagrangian


def test_a_let_without_its_range_is_told_how_to_give_it():
    with pytest.raises(ModelError, match="unexpected ']'") as caught:
        parse("model m\nstate x[1..4]\nlet r[i] = x[i]\nenergy = 1\n", "m.act")
    assert "let d[i in 1..N]" in caught.value.hint


def test_a_let_summing_over_the_index_of_the_sum_it_is_used_in_keeps_both():
    # c[j] = Σ_{j'≤j} x[j'] used inside Σ_j: the let's own index is renamed, not captured
    model = parse(
        "model m\nparam N = 4\nstate x[1..N]\nlet c[i in 1..N] = sum(j in 1..i: x[j])\n"
        "energy = sum(j in 1..N: c[j]^2)/2\ntemperature = 1\n"
    )
    written_out = parse(
        "model m\nparam N = 4\nstate x[1..N]\nenergy = sum(j in 1..N: sum(k in 1..j: x[k])^2)/2\ntemperature = 1\n"
    )
    x = sympy.IndexedBase("x")
    values = {x[k]: k * 0.5 - 1 for k in range(1, 5)}

    def energy(m):
        size = next(s for s in m.energy.free_symbols if s.name == "N")
        return float(m.energy.subs(size, 4).doit().xreplace(values))

    assert energy(model) == pytest.approx(energy(written_out)) and energy(model) != 0
