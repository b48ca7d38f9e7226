"""System → portable C99: a header and a source file, depending on libm only.

For a model NAME the files define, with x the state, p the parameters
(an array, in the order of NAME_PARAM_* in the header), t the time:

    void NAME_drift(const double *x, double t, const double *p, double *f);
    void NAME_diffusion(const double *x, double t, const double *p, double *g);   (SDEs: n × m, row-major)
    void NAME_invariants(const double *x, double t, const double *p, double *out); (if any)
    double NAME_energy(const double *x, double t, const double *p);               (energy models)
    void NAME_rk4_step(double *x, double t, double dt, const double *p);          (ODEs)
    void NAME_leapfrog_step(double *x, double t, double dt, const double *p);     (separable)
    void NAME_euler_maruyama_step(double *x, double t, double dt, const double *p,
                                  const double *normals);                         (SDEs; m standard normals)

The expressions are the ones the Numba kernels compute (same CSE, same
17-digit constants), so results agree to rounding.
"""

from __future__ import annotations

import sympy
from sympy.printing.c import C99CodePrinter

from actionc.codegen.printer import NumericLiterals, printed
from actionc.kinds import Calculus
from actionc.system import System
from actionc.version import __version__


class _CPrinter(NumericLiterals, C99CodePrinter):
    def __init__(self, names: dict[sympy.Symbol, str]) -> None:
        super().__init__()
        self.names = names

    def _print_Pow(self, expr) -> str:
        small = self._small_power(expr)
        return small if small is not None else super()._print_Pow(expr)

    def _print_Largest(self, expr) -> str:
        *rest, last = [self._print(a) for a in expr.args]
        return "".join(f"fmax({a}, " for a in rest) + last + ")" * len(rest)


def _body(expressions, names: dict, targets: list[str] | None) -> list[str]:
    """Statements assigning the expressions to the targets (None: return the one value)."""
    temporaries, values = printed(_CPrinter, expressions, names)
    lines = [f"    const double {name} = {text};" for name, text in temporaries]
    if targets is None:
        return lines + [f"    return {values[0]};"]
    return lines + [f"    {target} = {text};" for target, text in zip(targets, values)]


class _CWriter:
    def __init__(self, system: System, bake_params: bool) -> None:
        self.system = system
        self.prefix = system.name
        self.n, self.m = len(system.state), len(system.noises)
        self.names = {x: f"x[{i}]" for i, x in enumerate(system.state)}
        for k, p in enumerate(system.params):
            self.names[p.symbol] = repr(float(p.default)) if bake_params else f"p[{k}]"
        self.names[system.time] = "t"
        self.bake = bake_params

    def signature(self, name: str, tail: str = "double *out") -> str:
        return f"void {self.prefix}_{name}(const double *x, double t, const double *p, {tail})"

    def functions(self) -> list[tuple[str, str]]:
        """(declaration, definition) pairs."""
        system, items = self.system, []
        items.append(self.drift())
        if system.diffusion is not None:
            flat = [e for row in system.diffusion for e in row]
            items.append(self.vector("diffusion", flat, "g(x, t): n × m, row-major (g[i*m + k])", "g"))
        if system.invariants:
            values = [e for _, e in system.invariants]
            names = ", ".join(name for name, _ in system.invariants)
            items.append(self.vector("invariants", values, f"the invariants ({names})", "out"))
        if system.gibbs is not None:
            decl = f"double {self.prefix}_energy(const double *x, double t, const double *p)"
            body = _body([system.gibbs.energy], self.names, None)
            items.append(
                (f"/* E(x): the energy */\n{decl};", decl + "\n{\n    (void)t; (void)p;\n" + "\n".join(body) + "\n}")
            )
        if not system.is_stochastic:
            items.append(self.rk4())
            if system.separable is not None:
                items.append(self.leapfrog())
        else:
            items.append(self.euler_maruyama())
        return items

    def vector(self, name: str, expressions, doc: str, target: str) -> tuple[str, str]:
        """void NAME_name(const double *x, double t, const double *p, double *target)"""
        decl = self.signature(name, f"double *{target}")
        body = _body(expressions, self.names, [f"{target}[{j}]" for j in range(len(expressions))])
        return f"/* {doc} */\n{decl};", decl + "\n{\n    (void)x; (void)t; (void)p;\n" + "\n".join(body) + "\n}"

    def drift(self) -> tuple[str, str]:
        implicit = self.system.mass_matrix
        if implicit is None:
            return self.vector("drift", self.system.drift, "f(x, t): the right-hand side", "f")
        k = len(implicit.unknowns)
        names = {**self.names, **{a: f"forcing[{j}]" for j, a in enumerate(implicit.unknowns)}}
        decl = self.signature("drift", "double *f")
        body = [f"    double matrix[{k * k}], forcing[{k}];"]
        body += _body(
            [implicit.matrix[i][j] for i in range(k) for j in range(k)] + list(implicit.forcing),
            self.names,
            [f"matrix[{i * k + j}]" for i in range(k) for j in range(k)] + [f"forcing[{j}]" for j in range(k)],
        )
        body.append(f"    {self.prefix}_solve(matrix, forcing, {k});  /* M(x, t) a = F(x, t) */")
        body += _body(self.system.drift, names, [f"f[{j}]" for j in range(self.n)])
        doc = "f(x, t): the right-hand side, solving the mass matrix for the accelerations"
        return f"/* {doc} */\n{decl};", decl + "\n{\n    (void)t; (void)p;\n" + "\n".join(body) + "\n}"

    def rk4(self) -> tuple[str, str]:
        n, name = self.n, self.prefix
        decl = f"void {name}_rk4_step(double *x, double t, double dt, const double *p)"
        body = f"""{{
    double k1[{n}], k2[{n}], k3[{n}], k4[{n}], y[{n}];
    int i;
    {name}_drift(x, t, p, k1);
    for (i = 0; i < {n}; i++) y[i] = x[i] + 0.5 * dt * k1[i];
    {name}_drift(y, t + 0.5 * dt, p, k2);
    for (i = 0; i < {n}; i++) y[i] = x[i] + 0.5 * dt * k2[i];
    {name}_drift(y, t + 0.5 * dt, p, k3);
    for (i = 0; i < {n}; i++) y[i] = x[i] + dt * k3[i];
    {name}_drift(y, t + dt, p, k4);
    for (i = 0; i < {n}; i++) x[i] += dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
}}"""
        return f"/* one classical Runge–Kutta step (order 4), x in place */\n{decl};", decl + "\n" + body

    def leapfrog(self) -> tuple[str, str]:
        n, name = self.n, self.prefix
        split = self.system.separable
        h = len(split.positions)
        assert split.positions == tuple(range(h)) and split.momenta == tuple(range(h, 2 * h)), "x = (q, p)"
        decl = f"void {name}_leapfrog_step(double *x, double t, double dt, const double *p)"
        body = f"""{{
    double f[{n}];
    int i;
    {name}_drift(x, t, p, f);
    for (i = 0; i < {h}; i++) x[{h} + i] += 0.5 * dt * f[{h} + i];
    {name}_drift(x, t, p, f);
    for (i = 0; i < {h}; i++) x[i] += dt * f[i];
    {name}_drift(x, t, p, f);
    for (i = 0; i < {h}; i++) x[{h} + i] += 0.5 * dt * f[{h} + i];
}}"""
        doc = "one Störmer–Verlet (leapfrog) step, kick-drift-kick, x = (q, p) in place"
        return f"/* {doc} */\n{decl};", decl + "\n" + body

    def euler_maruyama(self) -> tuple[str, str]:
        n, m, name = self.n, self.m, self.prefix
        decl = (
            f"void {name}_euler_maruyama_step(double *x, double t, double dt, const double *p, const double *normals)"
        )
        drift = "ito_drift" if self.system.calculus is Calculus.STRATONOVICH else "drift"
        body = f"""{{
    double f[{n}], g[{n * m}];
    const double root = sqrt(dt);
    int i, k;
    {name}_{drift}(x, t, p, f);
    {name}_diffusion(x, t, p, g);
    for (i = 0; i < {n}; i++) {{
        double total = f[i] * dt;
        for (k = 0; k < {m}; k++) total += g[i * {m} + k] * root * normals[k];
        x[i] += total;
    }}
}}"""
        doc = "one Euler–Maruyama step (Itô); normals: m standard normal draws supplied by the caller"
        return f"/* {doc} */\n{decl};", decl + "\n" + body

    def ito_drift(self) -> tuple[str, str]:
        return self.vector("ito_drift", self.system.ito_drift, "the Itô drift f + ½ Σ g_jk ∂_j g_ik", "f")

    def files(self) -> tuple[str, str]:
        system, name = self.system, self.prefix
        guard = f"ACTIONC_{name.upper()}_H"
        items = self.functions()
        if system.calculus is Calculus.STRATONOVICH and system.is_stochastic:
            items.insert(1, self.ito_drift())
        params = ", ".join(f"{p.name} = {p.default!r}" for p in system.params) or "none"
        usage = "\n".join(
            f" *   {line}"
            for line in [
                f"double x[{name.upper()}_N_STATE] = {{...}};   (the state: {', '.join(system.names)})",
                f"double p[{name.upper()}_N_PARAMS];   (copy {name}_default_params, change any)",
                f"{name}_{'rk4_step' if not system.is_stochastic else 'euler_maruyama_step'}"
                + ("(x, t, dt, p);" if not system.is_stochastic else "(x, t, dt, p, normals);"),
            ]
        )
        header = [
            f"/* {name}.h — generated by actionc {__version__} from model '{name}' ({system.kind}).",
            " * Portable C99, needs only libm. State x: " + ", ".join(system.names) + ".",
            f" * Parameters p (defaults): {params}" + ("  [baked into the code]" if self.bake else "") + ".",
            " * Usage:",
            usage,
            " */",
            f"#ifndef {guard}",
            f"#define {guard}",
            "",
            f"#define {name.upper()}_N_STATE {self.n}",
            f"#define {name.upper()}_N_PARAMS {len(system.params)}",
            f"#define {name.upper()}_N_NOISE {self.m}",
        ]
        # the model's own spelling: a1 and A1 are different parameters
        header += [f"#define {name.upper()}_PARAM_{p.name} {k}" for k, p in enumerate(system.params)]
        header += [f"#define {name.upper()}_STATE_{x} {i}" for i, x in enumerate(system.names)]
        header += ["", f"/* the parameters' default values, in the order of {name.upper()}_PARAM_* */"]
        header += [f"extern const double {name}_default_params[{max(1, len(system.params))}];", ""]
        header += [declaration + "\n" for declaration, _ in items]
        header += [f"#endif /* {guard} */", ""]
        defaults = ", ".join(repr(float(p.default)) for p in system.params) or "0.0"
        source = [
            f"/* {name}.c — generated by actionc {__version__} from model '{name}' ({system.kind}); see {name}.h. */",
            "#include <math.h>",
            f'#include "{name}.h"',
            "",
            f"const double {name}_default_params[{max(1, len(system.params))}] = {{{defaults}}};",
            "",
        ]
        if system.mass_matrix is not None:
            source += [_SOLVE.format(name=name), ""]
        source += [definition + "\n" for _, definition in items]
        return "\n".join(header), "\n".join(source)


_SOLVE = """/* Solve a x = b in place (x in b), Gaussian elimination with partial pivoting. */
static void {name}_solve(double *a, double *b, int n)
{{
    int i, j, k;
    for (k = 0; k < n; k++) {{
        int pivot = k;
        for (i = k + 1; i < n; i++)
            if (fabs(a[i * n + k]) > fabs(a[pivot * n + k])) pivot = i;
        if (pivot != k) {{
            double swap;
            for (j = 0; j < n; j++) {{ swap = a[k * n + j]; a[k * n + j] = a[pivot * n + j]; a[pivot * n + j] = swap; }}
            swap = b[k]; b[k] = b[pivot]; b[pivot] = swap;
        }}
        for (i = k + 1; i < n; i++) {{
            double factor = a[i * n + k] / a[k * n + k];
            for (j = k; j < n; j++) a[i * n + j] -= factor * a[k * n + j];
            b[i] -= factor * b[k];
        }}
    }}
    for (k = n - 1; k >= 0; k--) {{
        double total = b[k];
        for (j = k + 1; j < n; j++) total -= a[k * n + j] * b[j];
        b[k] = total / a[k * n + k];
    }}
}}"""


def emit_c(system: System, bake_params: bool = False) -> tuple[str, str]:
    """The header and the source of the C99 embedding of `system`."""
    return _CWriter(system, bake_params).files()
