"""What the language means: each statement resolves to the right SymPy object."""

import pytest
import sympy

import actionc
from actionc import Kind
from actionc.model import Calculus
from actionc.symbols import symbol, time

x, y, q, q_dot, a, b = (symbol(n) for n in ("x", "y", "q", "q_dot", "a", "b"))


def parse(body: str) -> actionc.Model:
    return actionc.parse("model m\n" + body)


def energy_of(expression: str, extra: str = "") -> sympy.Expr:
    return parse(f"param a = 2, b = 3\nstate x, y\n{extra}energy = {expression}\n").energy


@pytest.mark.parametrize(
    "text, expected",
    [
        ("-x^2", -(x**2)),
        ("x^2^3", x ** (2**3)),
        ("x**2", x**2),
        ("a - b - x", a - b - x),
        ("a/b/x", a / b / x),
        ("a*x + b*y", a * x + b * y),
        ("-a*x", -a * x),
        ("2^-1*x", x / 2),
        ("(a + b)*x", (a + b) * x),
        ("1.5e-3*x", sympy.Float(1.5e-3) * x),
        ("x*pi", sympy.pi * x),
        ("atan2(y, x) + abs(x)", sympy.atan2(y, x) + sympy.Abs(x)),
        ("sqrt(x^2 + y^2)", sympy.sqrt(x**2 + y**2)),
    ],
)
def test_expressions_follow_the_usual_precedence(text, expected):
    assert sympy.simplify(energy_of(text) - expected) == 0


def test_model_name_docstring_and_kind():
    model = actionc.parse('# a comment\nmodel osc "an oscillator"  # trailing\ncoord q\nlagrangian = q\'^2/2 - q^2/2\n')
    assert (model.name, model.doc, model.kind) == ("osc", "an oscillator", Kind.LAGRANGIAN)


def test_the_docstring_may_stand_on_the_line_after_model_name_as_in_python():
    model = actionc.parse('model osc  # a comment\n"an oscillator"\ncoord q\nlagrangian = q\'^2/2 - q^2/2\n')
    assert (model.name, model.doc) == ("osc", "an oscillator")
    assert actionc.format_model(model).startswith('model osc "an oscillator"')


def test_a_star_before_dt_or_dw_needs_a_coefficient_before_it():
    assert parse("state x\ndx = -x * dt + 2*dW").drift[0] == -symbol("x")
    with pytest.raises(actionc.ModelError, match="unexpected '\\*'"):
        parse("state x\ndx = -x dt + * dW")
    with pytest.raises(actionc.ModelError, match="unexpected '\\*'"):
        parse("state x\ndx = * dt")


@pytest.mark.parametrize(
    "body, kind",
    [
        ("coord q\nlagrangian = q'^2", Kind.LAGRANGIAN),
        ("coord q\nhamiltonian = p_q^2/2", Kind.HAMILTONIAN),
        ("state x\nenergy = x^2", Kind.ENERGY),
        ("state x\ndx = dW", Kind.SDE),
    ],
)
def test_the_kind_follows_from_what_the_model_declares(body, kind):
    assert parse(body).kind is kind


def test_parameters_may_use_earlier_parameters_and_pi():
    model = parse("param a = 1.5, b = 2*pi*a\nstate x\ndx = b dW\n")
    assert model.parameter_defaults == {"a": 1.5, "b": pytest.approx(3 * 3.141592653589793)}
    assert model.params[1].default == 2 * sympy.pi * a


def test_prime_of_a_coordinate_is_its_velocity():
    model = parse("coord q\nlagrangian = q'^2/2 - q^2/2\n")
    assert model.velocities == (q_dot,)
    assert model.lagrangian == q_dot**2 / 2 - q**2 / 2


def test_prime_of_a_let_is_its_total_time_derivative():
    th, th_dot, l = symbol("th"), symbol("th_dot"), symbol("l")
    model = parse("param l = 1\ncoord th\nlet x = l*sin(th) + t^2\nlagrangian = x'^2/2\n")
    assert sympy.simplify(model.lagrangian - (l * sympy.cos(th) * th_dot + 2 * time) ** 2 / 2) == 0


def test_lets_are_inlined_and_may_use_earlier_lets():
    model = parse("state x\nlet u = x^2\nlet w = u + 1\nenergy = w^2\n")
    assert model.energy == (x**2 + 1) ** 2
    assert model.written["energy"] == symbol("w") ** 2


def test_momenta_pair_with_coordinates_in_order_and_default_to_p_q():
    named = parse("coord q1, q2\nmomentum p1, p2\nhamiltonian = p1^2/2 + p2^2/2\n")
    assert [p.name for p in named.momenta] == ["p1", "p2"]
    default = parse("coord q1, q2\nhamiltonian = p_q1^2/2 + p_q2^2/2\n")
    assert [p.name for p in default.momenta] == ["p_q1", "p_q2"]
    assert [v.name for v in default.variables] == ["q1", "q2", "p_q1", "p_q2"]


def test_sde_terms_collect_into_drift_and_diffusion():
    model = parse("param theta = 1, sigma = 2\nstate x, y\ndx = theta*(1 - x) dt + sigma dW1 - x dW2\ndy = x dt\n")
    assert model.noises == ("W1", "W2")
    assert model.drift == (symbol("theta") * (1 - x), x)
    assert model.diffusion == ((symbol("sigma"), -x), (0, 0))
    assert model.calculus is Calculus.ITO


def test_a_star_before_dt_or_dW_is_allowed_and_a_bare_dW_has_coefficient_one():
    model = parse("state x\ndx = -x*dt + 2*dW + dWb\n")
    assert model.drift == (-x,)
    assert model.diffusion == ((2, 1),)


def test_repeated_terms_of_one_differential_add_up():
    model = parse("state x\ndx = x dt + 1 dt + dW - 3 dW\n")
    assert model.drift == (x + 1,)
    assert model.diffusion == ((-2,),)


def test_noise_stratonovich_switches_the_calculus():
    model = parse("state x\nnoise stratonovich\ndx = x dW\n")
    assert model.calculus is Calculus.STRATONOVICH


def test_expressions_may_span_lines_inside_parentheses():
    model = parse("state x\nenergy = (x^2\n   + 1)  # comment\n")
    assert model.energy == x**2 + 1


def test_init_values_and_distributions():
    model = parse("param s = 2\ncoord q\nlagrangian = q'^2\ninit q' = normal(0, s), q = uniform(-1, 1)\n")
    by_target = {i.target.name: i for i in model.init}
    assert by_target["q_dot"].distribution == "normal"
    assert by_target["q_dot"].args == (0, symbol("s"))
    assert by_target["q"].args == (-1, 1)
    # stored in state order: coordinates, then velocities
    assert [i.target.name for i in model.init] == ["q", "q_dot"]


def test_forces_dissipation_and_temperature():
    model = parse(
        "param c = 0.1, T = 1\ncoord q\nlagrangian = q'^2/2\n"
        "dissipation = c*q'^2/2\nforce q = sin(t)\ntemperature = T\n"
    )
    assert model.force_map == {q: sympy.sin(time)}
    assert model.dissipation == symbol("c") * q_dot**2 / 2
    assert model.temperature == symbol("T")


def test_backslash_continues_a_line():
    model = parse("state x\nenergy = x^2 + \\\n  x\n")
    assert model.energy == x**2 + x


def test_parse_errors_carry_the_filename():
    with pytest.raises(actionc.ModelError) as raised:
        actionc.parse("model m\nstate x\n", filename="here.act")
    assert str(raised.value).startswith("here.act:")


def test_load_reports_a_missing_file_as_a_model_error(tmp_path):
    with pytest.raises(actionc.ModelError, match="cannot read file"):
        actionc.load(tmp_path / "missing.act")


def test_a_noise_written_with_a_zero_coefficient_survives_fmt():
    # found by the fuzz test: the term was dropped, so the formatted model had no noise W1
    model = actionc.parse("model m\nparam k = 2\nstate x\ndx = 5 dt + -(k - k) dW1\n")
    again = actionc.parse(actionc.format_model(model))
    assert model.noises == again.noises == ("W1",)
    assert again.diffusion == model.diffusion
