"""`actionc derive`: every example in every format, and the JSON contract."""

import json

import pytest
import sympy

from actionc.cli import main
from actionc.symbols import symbol
from tests.conftest import EXAMPLES


@pytest.mark.parametrize("fmt", ["text", "latex", "json"])
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_derive_works_on_every_example_in_every_format(path, fmt, capsys):
    assert main(["derive", str(path), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert out.strip()
    if fmt == "json":
        document = json.loads(out)
        assert document["model"] == path.stem
        assert "state" in document


def run_json(capsys, *argv) -> dict:
    assert main(["derive", *argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def parse(text: str, names) -> sympy.Expr:
    # test-side parsing of actionc's own output, with known names only
    return sympy.parse_expr(text, local_dict={n: symbol(n) for n in names})


def test_json_of_a_lagrangian_model(capsys):
    document = run_json(capsys, str(EXAMPLES[0].parent / "pendulum.act"))
    assert document["kind"] == "lagrangian"
    assert document["state"] == ["th", "th_dot"]
    names = ["th", "th_dot", "th_ddot", "g", "l", "m", "p_th"]
    assert (
        sympy.simplify(
            parse(document["accelerations"]["th"], names) + symbol("g") * sympy.sin(symbol("th")) / symbol("l")
        )
        == 0
    )
    assert "th_ddot" in document["euler_lagrange"][0]
    assert set(document["hamilton_equations"]) == {"th", "p_th"}
    assert set(document["invariants"]) == {"energy"}
    assert document["momenta"] == {"th": "l**2*m*th_dot"}


def test_json_keys_for_a_stratonovich_sde(tmp_path, capsys):
    path = tmp_path / "gbm.act"
    path.write_text("model gbm\nparam mu = 1, s = 1\nstate S\nnoise stratonovich\ndS = mu*S dt + s*S dW\n")
    document = run_json(capsys, str(path))
    assert document["drift"] == ["S*mu"]
    assert (
        sympy.simplify(
            parse(document["ito_drift"][0], ["S", "mu", "s"]) - (symbol("mu") + symbol("s") ** 2 / 2) * symbol("S")
        )
        == 0
    )
    assert document["diffusion"] == [["S*s"]]
    assert "p(S, t)" in document["fokker_planck"] and "f(S, t)" in document["generator"]


def test_json_of_an_energy_model(capsys):
    document = run_json(capsys, str(EXAMPLES[0].parent / "double_well.act"))
    assert document["log_density"] == "(-y**2/2 - (x**2 - 1)**2)/T"
    assert len(document["score"]) == 2 and len(document["diffusion"]) == 2


def test_what_selects_derivations(capsys):
    document = run_json(capsys, str(EXAMPLES[0].parent / "kepler.act"), "--what", "invariants")
    assert set(document) == {"model", "kind", "invariants"}
    assert set(document["invariants"]) == {"energy", "L"}


def test_asking_for_a_derivation_that_does_not_apply_is_bad_usage(capsys):
    assert main(["derive", str(EXAMPLES[0].parent / "pendulum.act"), "--what", "score"]) == 2
    assert "does not apply" in capsys.readouterr().err


def test_a_degenerate_lagrangian_is_reported_like_a_parse_error(tmp_path, capsys):
    path = tmp_path / "deg.act"
    path.write_text("model deg\ncoord a, b\nlagrangian = a'^2/2 + b\n")
    assert main(["derive", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:3:1: error: the lagrangian is degenerate")
    assert "'b'" in err and "Traceback" not in err


def test_temperature_zero_derives_the_noise_free_gradient_flow_not_a_density(tmp_path, capsys):
    model = tmp_path / "cold.act"
    model.write_text("model cold\nstate x\nenergy = x^4/4\ntemperature = 0\n")
    document = run_json(capsys, str(model))
    assert "log_density" not in document and "score" not in document  # −E/T divided by zero
    assert sympy.simplify(parse(document["gradient_flow"][0], ["x"]) + symbol("x") ** 3) == 0
    assert main(["derive", str(model)]) == 0
    text = capsys.readouterr().out
    assert "Temperature 0: the noise-free gradient flow" in text and "zoo" not in text
    model.write_text("model warm\nstate x\nenergy = x^4/4\ntemperature = 1\n")  # the control: a density
    assert "log_density" in run_json(capsys, str(model))


def test_derive_text_writes_derivatives_with_partials_and_floats_to_fifteen_digits(tmp_path, capsys):
    model = tmp_path / "m.act"
    model.write_text("model m\nparam T = 1\nstate x, y\nenergy = 0.1*0.2*x^2 + y^2\ntemperature = T\n")
    assert main(["derive", str(model)]) == 0
    text = capsys.readouterr().out
    assert "T*∂²p/∂x²" in text and "∂p/∂y" in text and "Derivative" not in text and "p(x, y, t)" not in text
    assert "0.02*x^2" in text and "0.020000000000000004" not in text
    assert main(["derive", str(model), "--format", "latex"]) == 0
    latex = capsys.readouterr().out
    assert r"\frac{\partial^{2} p}{\partial x^{2}}" in latex and r"p{\left(" not in latex
    assert main(["fmt", str(model)]) == 0  # fmt keeps every digit: it must give back the same double
    assert "0.020000000000000004*x^2" in capsys.readouterr().out
