"""Pictures: every plot kind renders to PNG; the lexer tokenizes every
example without error tokens; notebooks get LaTeX and HTML."""

import numpy as np
import pytest

import actionc
from actionc.cli import main
from actionc.errors import ResultFileError, RunError

pytest.importorskip("matplotlib")
from actionc.plot import plot  # noqa: E402
from tests.conftest import EXAMPLE_DIR, EXAMPLES

PNG = b"\x89PNG"


@pytest.fixture(scope="module")
def runs():
    def run(name, method=None, **options):
        settings = dict(dt=1e-2, steps=200, particles=50, save_every=10, seed=1)
        settings.update(options)
        return actionc.compile(EXAMPLES[0].parent / f"{name}.act", method).run(**settings)

    return {
        "henon_heiles": run("henon_heiles"),
        "double_well": run("double_well", "mala", dt=0.05),
        "stochastic_lorenz": run("stochastic_lorenz", dt=1e-3),
    }


@pytest.mark.parametrize(
    "name, kind",
    [
        ("henon_heiles", "phase"),
        ("henon_heiles", "trajectories"),
        ("henon_heiles", "invariants"),
        ("double_well", "histogram"),
        ("double_well", "auto"),
        ("stochastic_lorenz", "auto"),
        ("stochastic_lorenz", "samples"),
    ],
)
def test_each_plot_kind_renders_a_png(runs, name, kind, tmp_path):
    out = tmp_path / "figure.png"
    plot(runs[name], kind, out)
    assert out.read_bytes()[:4] == PNG


def test_invariants_of_a_model_without_any_is_a_clear_error(runs, tmp_path):
    with pytest.raises(RunError, match="no invariants"):
        plot(runs["stochastic_lorenz"], "invariants", tmp_path / "x.png")


def test_the_cli_plots_a_saved_run(tmp_path):
    out = tmp_path / "run.npz"
    model = str(EXAMPLES[0].parent / "pendulum.act")
    assert main(["run", model, "--dt", "0.01", "--steps", "100", "--particles", "3", "--out", str(out)]) == 0
    assert main(["plot", str(out)]) == 0
    assert (tmp_path / "run_phase.png").read_bytes()[:4] == PNG


def test_the_histogram_overlays_the_exact_gibbs_marginal(runs):
    figure = plot(runs["double_well"], "histogram")
    curves = [line for axis in figure.axes for line in axis.get_lines()]
    assert curves and all(np.isfinite(line.get_ydata()).all() for line in curves)
    x, density = curves[0].get_xdata(), curves[0].get_ydata()
    assert np.trapezoid(density, x) == pytest.approx(1.0, abs=0.02)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_lexer_tokenizes_every_example_without_errors(path):
    pygments = pytest.importorskip("pygments")
    from pygments.token import Error

    from actionc.highlight import ActLexer

    tokens = list(pygments.lex(path.read_text(), ActLexer()))
    assert not [value for token, value in tokens if token in Error]


def test_the_lexer_is_registered_for_pygments():
    lexers = pytest.importorskip("pygments.lexers")
    from importlib.metadata import entry_points

    if not [e for e in entry_points(group="pygments.lexers") if e.name == "act"]:
        pytest.skip("actionc is not installed (entry points come with the installed package)")
    assert lexers.get_lexer_by_name("act").name == "actionc"


def test_notebooks_render_models_as_latex_and_results_as_html(runs):
    latex = actionc.load(EXAMPLES[0].parent / "henon_heiles.act")._repr_latex_()
    assert latex.startswith("$") and "H &=" in latex
    html = runs["henon_heiles"]._repr_html_()
    assert "<table>" in html and "leapfrog" in html


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_examples_default_run_plots(path, tmp_path):
    result = actionc.compile(path).run(dt=1e-3, steps=40, particles=20, save_every=4)
    out = tmp_path / f"{path.stem}.png"
    plot(result, "auto", out)
    assert out.read_bytes()[:4] == PNG


def test_a_result_whose_model_text_needs_a_huge_number_is_a_located_error_not_a_hang(runs, tmp_path):
    import dataclasses
    import time

    result = runs["double_well"]
    meta = dict(result.meta, source="model m\nstate x\nenergy = (2/3)^99999999\ntemperature = 1\n")
    crafted = dataclasses.replace(result, meta=meta)
    start = time.perf_counter()
    # a result file whose model text does not load is a bad result file, its model error quoted with the place
    with pytest.raises(ResultFileError, match="model text in its meta does not load") as raised:
        plot(crafted, "histogram", tmp_path / "x.png")
    assert time.perf_counter() - start < 30  # it did not end at all
    assert "<string>:3:10: error: this power is too small" in str(raised.value)


def test_a_path_picture_draws_the_configuration_plane(tmp_path):
    from actionc.plot import plot

    result = actionc.compile(EXAMPLE_DIR / "henon_heiles.act").run(dt=0.01, steps=200, particles=2)
    figure = plot(result, "path", tmp_path / "path.png")
    assert (tmp_path / "path.png").stat().st_size > 0
    axis = figure.axes[0]
    assert (axis.get_xlabel(), axis.get_ylabel()) == ("x", "y")  # the coordinates, not a momentum


def test_a_sampler_is_labelled_in_the_models_time(tmp_path):
    from actionc.plot import plot

    compiled = actionc.compile(EXAMPLE_DIR / "gaussian_ring.act", "pf-rk4")
    result = compiled.run(dt=0.01, steps=100, particles=50)
    assert result.meta["horizon"] == 1.0
    figure = plot(result, "samples")
    titles = [axis.get_title() for axis in figure.axes]
    assert titles == ["first save (t = 1, model time)", "last save (t = 0, model time)"]


def test_to_xarray_has_particle_and_swept_parameter_coordinates():
    xarray = pytest.importorskip("xarray")
    params = {"lam": np.array([0.5, 0.5, 1.0])}
    result = actionc.compile(EXAMPLE_DIR / "henon_heiles.act").run(dt=0.01, steps=10, particles=3, params=params)
    data = result.to_xarray()
    assert list(data["particle"].values) == [0, 1, 2] and list(data["lam"].values) == [0.5, 0.5, 1.0]
    assert isinstance(data, xarray.Dataset)


@pytest.fixture(scope="module")
def nuts_run():
    compiled = actionc.compile(EXAMPLES[0].parent / "two_wells.act", "nuts")
    return compiled.run(dt=0.1, steps=300, particles=4, save_every=1, seed=1, warmup=100)


@pytest.mark.parametrize("kind", ["trace", "pairs"])
def test_trace_and_pairs_plots_of_a_sampling_run_render(nuts_run, kind, tmp_path):
    figure = plot(nuts_run, kind, tmp_path / "figure.png")
    assert (tmp_path / "figure.png").read_bytes()[:4] == PNG
    if kind == "trace":  # one row per variable: the chains' draws, their histograms; R-hat in the label
        assert len(figure.axes) == 4 and "R-hat" in figure.axes[0].get_ylabel()
        assert len(figure.axes[0].lines) == 4  # a line per chain


def test_trace_and_pairs_need_draws(runs, tmp_path):
    with pytest.raises(RunError, match="need draws"):
        plot(runs["henon_heiles"], "trace", tmp_path / "x.png")


def test_the_cli_plots_the_trace_of_a_saved_sampling_run(tmp_path):
    out = tmp_path / "run.npz"
    model = str(EXAMPLES[0].parent / "two_wells.act")
    arguments = ["--method", "tempering", "--dt", "0.01", "--steps", "200", "--particles", "4", "--warmup", "50"]
    assert main(["run", model, *arguments, "--out", str(out)]) == 0
    assert main(["plot", str(out), "--kind", "pairs"]) == 0
    assert (tmp_path / "run_pairs.png").read_bytes()[:4] == PNG


def test_an_indexed_run_is_drawn_as_a_space_time_image_by_default(tmp_path):
    from actionc.plot import default_kind, plot

    result = actionc.compile(EXAMPLE_DIR / "allen_cahn.act").run(dt=0.01, steps=50, particles=2, params={"N": 16})
    assert default_kind(result) == "field"
    figure = plot(result, "auto", tmp_path / "field.png")
    assert (tmp_path / "field.png").stat().st_size > 0
    assert figure.axes[0].get_xlabel() == "element of phi" and figure.axes[0].images
