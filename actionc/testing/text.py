"""Hypothesis strategies for .act text: well-formed models, and raw noise."""

from hypothesis import strategies as st

NUMBERS = st.one_of(st.integers(1, 12).map(str), st.sampled_from(["0.5", "2.5", "1e-3", "3.25", "0.1", "7e2"]))
FUNCTIONS_1 = ["sin", "cos", "exp", "tanh", "atan", "sqrt", "abs", "cosh", "log"]


def expressions(leaves: list[str], max_leaves: int = 8) -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(leaves), NUMBERS) if leaves else NUMBERS

    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, st.integers(2, 4)).map(lambda t: f"({t[0]})^{t[1]}"),
            inner.map(lambda e: f"-{e}"),
            st.tuples(st.sampled_from(FUNCTIONS_1), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"atan2({t[0]}, {t[1]})"),
        )

    return st.recursive(leaf, extend, max_leaves=max_leaves)


@st.composite
def models(draw) -> str:
    """The text of a random well-formed model of any kind (it may still be
    rejected for meaning, e.g. a parameter that is log(0))."""
    kind = draw(st.sampled_from(["energy", "sde", "lagrangian", "hamiltonian"]))
    params = [f"k{i}" for i in range(draw(st.integers(0, 3)))]
    lines = ["model generated" + draw(st.sampled_from(["", ' "a docstring"']))]
    for i, name in enumerate(params):
        lines.append(f"param {name} = {draw(expressions(params[:i], 3))}")
    if draw(st.booleans()):
        lines.insert(1, "# a comment")
    n = draw(st.integers(1, 3))
    if kind in ("energy", "sde"):
        variables = [f"x{i}" for i in range(n)]
        lines.append("state " + ", ".join(variables))
    else:
        variables = [f"q{i}" for i in range(n)]
        lines.append("coord " + ", ".join(variables))
    lets = []
    if kind != "sde" and draw(st.booleans()):
        lets.append("u")
        lines.append(f"let u = {draw(expressions(params + variables, 4))}")
    scope = params + variables + lets
    if kind == "energy":
        lines.append(f"energy = {draw(expressions(scope))}")
        if draw(st.booleans()):
            lines.append(f"temperature = {draw(expressions(params, 3))}")
        if draw(st.booleans()):
            lines.append(f"friction = {draw(expressions(params, 3))}")
    elif kind == "sde":
        if draw(st.booleans()):
            lines.append("noise " + draw(st.sampled_from(["ito", "stratonovich"])))
        for x in variables:
            drift = draw(expressions(scope, 5))
            noise = draw(st.sampled_from(["dW", "dW1", "dW2"]))
            coefficient = draw(expressions(scope, 3))
            lines.append(f"d{x} = {drift} dt + {coefficient} {noise}")
    elif kind == "lagrangian":
        primes = [f"{q}'" for q in variables] + [f"{u}'" for u in lets]
        lines.append(f"lagrangian = {draw(expressions(scope + primes))}")
        if draw(st.booleans()):
            lines.append(f"dissipation = {draw(expressions(params + [p for p in primes if p[:-1] in variables], 3))}")
        if draw(st.booleans()):
            lines.append(f"force {variables[0]} = {draw(expressions(scope + ['t'], 3))}")
    else:
        momenta = [f"p_{q}" for q in variables]
        lines.append(f"hamiltonian = {draw(expressions(scope + momenta))}")
    if draw(st.booleans()):
        target = variables[-1] + ("'" if kind == "lagrangian" and draw(st.booleans()) else "")
        value = draw(st.one_of(expressions(params, 3), st.just("normal(0, 1)"), st.just("uniform(-1, 2)")))
        lines.append(f"init {target} = {value}")
    return "\n".join(lines) + "\n"


TOKENS = [
    "model",
    "param",
    "coord",
    "momentum",
    "state",
    "let",
    "lagrangian",
    "hamiltonian",
    "energy",
    "dissipation",
    "temperature",
    "friction",
    "force",
    "noise",
    "init",
    "dt",
    "dW",
    "dW1",
    "x",
    "q",
    "q'",
    "t",
    "pi",
    "=",
    ",",
    "(",
    ")",
    "+",
    "-",
    "*",
    "/",
    "^",
    "**",
    "'",
    "\n",
    " ",
    "#",
    '"',
    "1",
    "0",
    "2.5e3",
    "sin",
    "normal",
    "atan2",
    "\\\n",
    "9^9",
    "1/0",
    "log(0)",
    "__",
    ".",
    "[",
]

raw_text = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join) | st.text(max_size=200)


def pendulum_chain(n: int) -> str:
    """The .act text of an n-link planar pendulum chain (point masses m on
    massless rods of length l), written with Cartesian lets."""
    lines = [
        f"model chain{n}",
        "param m = 1, l = 0.5, g = 9.81",
        "coord " + ", ".join(f"th{i}" for i in range(1, n + 1)),
    ]
    for i in range(1, n + 1):
        lines.append(f"let x{i} = " + (f"x{i - 1} + " if i > 1 else "") + f"l*sin(th{i})")
        lines.append(f"let y{i} = " + (f"y{i - 1} - " if i > 1 else "-") + f"l*cos(th{i})")
    kinetic = " + ".join(f"x{i}'^2 + y{i}'^2" for i in range(1, n + 1))
    potential = " + ".join(f"y{i}" for i in range(1, n + 1))
    lines.append(f"lagrangian = m*({kinetic})/2 - m*g*({potential})")
    return "\n".join(lines) + "\n"
