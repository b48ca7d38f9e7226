"""Result.to_arviz(): a sampling run in ArviZ 1.x's layout (an xarray
DataTree, posterior and sample_stats, chains × draws), and our R-hat and
ESS against ArviZ's own on the same draws (skipped without ArviZ 1.x)."""

import numpy as np
import pytest

import actionc
from actionc.run import diagnostics
from actionc.run.result import Result
from tests.conftest import EXAMPLE_DIR

xarray = pytest.importorskip("xarray", minversion="2024.10")


@pytest.fixture(scope="module")
def nuts_run():
    compiled = actionc.compile(EXAMPLE_DIR / "double_well.act", "nuts")
    return compiled.run(dt=0.1, steps=400, particles=4, seed=3, save_every=1, warmup=200)


def test_the_posterior_holds_each_state_variable_as_chains_by_draws(nuts_run):
    tree = nuts_run.to_arviz()
    assert isinstance(tree, xarray.DataTree) and {"posterior", "sample_stats"} <= set(tree.children)
    posterior = tree["posterior"].to_dataset()
    assert list(posterior.data_vars) == ["x", "y"] and dict(posterior.sizes) == {"chain": 4, "draw": 400}
    np.testing.assert_array_equal(posterior["y"].values, nuts_run.x[1:, :, 1].T)  # draws after t = 0
    stats = tree["sample_stats"].to_dataset()
    assert stats["divergences"].values.tolist() == nuts_run.meta["divergences_per_chain"]
    rates = stats["acceptance_rate"].values
    assert rates.shape == (4,) and np.average(rates) == pytest.approx(nuts_run.meta["stats"]["acceptance_rate"])
    assert tree["posterior"].attrs["inference_library"] == "actionc"


def test_a_saved_run_converts_the_same(nuts_run, tmp_path):
    nuts_run.save(tmp_path / "run.npz")
    loaded = Result.load(tmp_path / "run.npz").to_arviz()
    assert loaded.identical(nuts_run.to_arviz())


def test_a_run_that_is_not_a_sampler_is_refused():
    result = actionc.compile(EXAMPLE_DIR / "double_well.act").run(dt=0.01, steps=10, particles=2)
    with pytest.raises(ValueError, match="needs the result of a sampler"):
        result.to_arviz()


def test_our_r_hat_and_ess_agree_with_arviz(nuts_run):
    arviz_stats = pytest.importorskip("arviz_stats", reason="ArviZ 1.x (Python ≥ 3.12)")
    tree = nuts_run.to_arviz()
    ours = {d.name: d for d in diagnostics.diagnose(nuts_run)}
    rhat = arviz_stats.rhat(tree, group="posterior")
    bulk = arviz_stats.ess(tree, group="posterior", method="bulk")
    # the paper's (and Stan's) tail ESS is at the 5% and 95% quantiles; ArviZ 1.x's default prob is its
    # ci_prob (0.89: the 11% and 89% quantiles), so it is asked for the paper's explicitly
    tail = arviz_stats.ess(tree, group="posterior", method="tail", prob=0.05)
    mcse = arviz_stats.mcse(tree, group="posterior", method="mean")
    for name in ("x", "y"):
        # the same formulas (Vehtari et al. 2021): equal to rounding
        assert float(rhat[name]) == pytest.approx(ours[name].rhat, rel=1e-9)
        assert float(bulk[name]) == pytest.approx(ours[name].ess_bulk, rel=1e-9)
        assert float(tail[name]) == pytest.approx(ours[name].ess_tail, rel=1e-9)
        assert float(mcse[name]) == pytest.approx(ours[name].mcse_mean, rel=1e-9)
    # negative control: the same comparison tells apart R-hat of the first half of the draws
    first_half = arviz_stats.rhat(tree.isel(draw=slice(0, 200)), group="posterior")
    assert float(first_half["x"]) != pytest.approx(ours["x"].rhat, rel=1e-9)
