"""System + integrator → the source of one self-contained kernel module.

The module holds, in this order: a header saying what it is, the runtime
(jit wrapper, random streams, linear solver), META (what the loader needs
to know, as JSON), the model functions the integrator calls, the
integrator's advance(), the drivers init_particles and run_particles, and
NumPy versions of the model functions (for Python callers, and for the
invariants of saved states). Same System and method → byte-identical
source, so the file's hash is its cache key.
"""

from __future__ import annotations

import json
from importlib import resources

import sympy

from actionc import __version__
from actionc.codegen import printer
from actionc.codegen.integrators import FAILURES, Integrator
from actionc.codegen.integrators.stochastic import is_diagonal_noise, milstein_terms
from actionc.system import System

SIGNATURE = "x, t, p, out"


INLINE_MAX_OPS = 60  # larger model functions are called, not inlined (compile time)


def _hot_decorator(expressions) -> str:
    return "jit" if sum(sympy.count_ops(e) for e in expressions) <= INLINE_MAX_OPS else "jit_call"


def _runtime_source() -> str:
    text = (resources.files("actionc.codegen") / "runtime.py").read_text(encoding="utf-8")
    marker = "# ---- runtime: copied into every generated module from here on ----\n"
    return text[text.index(marker) + len(marker) :]


class _Writer:
    def __init__(self, system: System, integrator: Integrator) -> None:
        self.system = system
        self.integrator = integrator
        self.n = len(system.state)
        self.m = len(system.noises)
        self.names = {x: f"x[{i}]" for i, x in enumerate(system.state)}
        self.names.update({p.symbol: f"p[{k}]" for k, p in enumerate(system.params)})
        self.names[system.time] = "t"

    # ---- model functions ----

    def vector_function(self, name: str, expressions, doc: str, cold: bool = False) -> str:
        """out[j] = expressions[j], solving the mass matrix first if the
        expressions use its unknowns."""
        expressions = list(expressions)
        decorator = "jit_cold" if cold else _hot_decorator(expressions)
        implicit = self.system.mass_matrix
        if implicit is not None and any(e.free_symbols & set(implicit.unknowns) for e in expressions):
            return self.mass_matrix_function(name, expressions, doc, decorator)
        targets = [f"out[{j}]" for j in range(len(expressions))]
        return printer.function(name, SIGNATURE, targets, expressions, self.names, doc, decorator=decorator)

    def mass_matrix_function(self, name: str, expressions, doc: str, decorator: str) -> str:
        implicit = self.system.mass_matrix
        k = len(implicit.unknowns)
        names = {**self.names, **{a: f"forcing[{j}]" for j, a in enumerate(implicit.unknowns)}}
        matrix_targets = [f"matrix[{i}, {j}]" for i in range(k) for j in range(k)]
        matrix_values = [implicit.matrix[i][j] for i in range(k) for j in range(k)]
        body = [
            "    matrix = np.empty(({0}, {0}))".format(k),
            f"    forcing = np.empty({k})",
            *printer.assignments(
                matrix_targets + [f"forcing[{j}]" for j in range(k)],
                matrix_values + list(implicit.forcing),
                self.names,
            ),
            f"    solve(matrix, forcing, {k})  # M(x, t) a = F(x, t)",
            *printer.assignments([f"out[{j}]" for j in range(len(expressions))], expressions, names),
        ]
        return "\n".join([f"@{decorator}", f"def {name}({SIGNATURE}):", f'    """{doc}"""', *body]) + "\n"

    def drift(self) -> str:
        return self.vector_function("drift", self.system.drift, f"The drift f(x, t) ({self.system.calculus}).")

    def ito_drift(self) -> str:
        if self.system.calculus == "ito":
            return "ito_drift = drift  # Itô model: the drift is the Itô drift\n"
        return self.vector_function("ito_drift", self.system.ito_drift, "The Itô drift f + ½ Σ g_jk ∂_j g_ik.")

    def diffusion(self) -> str:
        g = self.system.diffusion
        targets = [f"out[{i}, {k}]" for i in range(self.n) for k in range(self.m)]
        values = [g[i][k] for i in range(self.n) for k in range(self.m)]
        return printer.function(
            "diffusion", SIGNATURE, targets, values, self.names, "The diffusion g(x, t): state × noise."
        )

    def diffusion_diagonal(self) -> str:
        values = [self.system.diffusion[i][i] for i in range(self.n)]
        return printer.function(
            "diffusion_diagonal",
            SIGNATURE,
            [f"out[{i}]" for i in range(self.n)],
            values,
            self.names,
            "The diagonal of g(x, t): noise k drives state k alone.",
        )

    def milstein(self) -> str:
        terms = milstein_terms(self.system)
        targets, values = [], []
        for i in range(self.n):
            for j in range(self.m):
                for k in range(self.m):
                    targets.append(f"out[{i}, {j * self.m + k}]")
                    values.append(terms[i][j][k])
        return printer.function("milstein", SIGNATURE, targets, values, self.names, "L^j g_ik = Σ_l g_lj ∂_l g_ik.")

    def drift_positions(self) -> str:
        rows = self.system.separable.positions
        return self.vector_function("drift_positions", [self.system.drift[i] for i in rows], "q' as a function of p.")

    def drift_momenta(self) -> str:
        rows = self.system.separable.momenta
        return self.vector_function("drift_momenta", [self.system.drift[i] for i in rows], "p' as a function of q.")

    def jacobian(self) -> str:
        drift, state = self.system.drift, self.system.state
        targets = [f"out[{i}, {j}]" for i in range(self.n) for j in range(self.n)]
        values = [sympy.diff(drift[i], state[j]) for i in range(self.n) for j in range(self.n)]
        return printer.function("jacobian", SIGNATURE, targets, values, self.names, "∂f_i/∂x_j.")

    def energy(self) -> str:
        gibbs = self.system.gibbs
        return printer.function("energy", "x, t, p", ["energy"], [gibbs.energy], self.names, "E(x).", returns="energy")

    def grad_energy(self) -> str:
        gibbs = self.system.gibbs
        values = [sympy.diff(gibbs.energy, x) for x in self.system.state]
        return printer.function(
            "grad_energy", SIGNATURE, [f"out[{i}]" for i in range(self.n)], values, self.names, "∇E(x)."
        )

    def gibbs_constants(self) -> str:
        gibbs = self.system.gibbs
        return printer.function(
            "gibbs_constants",
            "p, out",
            ["out[0]", "out[1]"],
            [gibbs.temperature, gibbs.friction],
            self.names,
            "Temperature T and friction γ.",
        )

    def langevin_force(self) -> str:
        split = self.system.langevin
        values = [f / split.mass[i][i] for i, f in enumerate(split.force)]
        return printer.function(
            "langevin_force",
            SIGNATURE,
            [f"out[{i}]" for i in range(len(values))],
            values,
            self.names,
            "Acceleration −M⁻¹∇V(q) of the conservative force.",
        )

    def langevin_constants(self) -> str:
        split = self.system.langevin
        k = len(split.positions)
        gamma = [split.friction[i][i] / split.mass[i][i] for i in range(k)]
        sigma = [sympy.sqrt(split.temperature / split.mass[i][i]) for i in range(k)]
        return printer.function(
            "langevin_constants",
            "p, gamma, sigma",
            [f"gamma[{i}]" for i in range(k)] + [f"sigma[{i}]" for i in range(k)],
            gamma + sigma,
            self.names,
            "Friction rates γ_i = R_ii/M_ii and thermal velocities sqrt(T/M_ii).",
        )

    def invariants(self) -> str:
        values = [e for _, e in self.system.invariants]
        return self.vector_function("invariants", values, "The invariants, to monitor their drift.", cold=True)

    def initial_state(self) -> str:
        lines = [
            "@jit_cold",
            "def initial_state(x, p, s):",
            '    """The default initial state; unset variables are 0."""',
        ]
        lines.append(f"    for i in range({self.n}):\n        x[i] = 0.0")
        for initial in self.system.init:
            args = [printer.KernelPrinter(self.names).doprint(a) for a in initial.args]
            target = f"x[{initial.index}]"
            if initial.distribution == "value":
                lines.append(f"    {target} = {args[0]}")
            elif initial.distribution == "normal":
                lines.append(f"    {target} = {args[0]} + {args[1]} * normal(s)")
            else:
                lines.append(f"    {target} = {args[0]} + ({args[1]} - {args[0]}) * uniform(s)")
        return "\n".join(lines) + "\n"

    # ---- the module ----

    def needed(self) -> list[str]:
        needs = list(self.integrator.needs)
        if "ito_drift" in needs and self.system.calculus == "ito":
            needs.insert(needs.index("ito_drift"), "drift")
        if "diffusion" in needs and self.integrator.name == "euler-maruyama" and is_diagonal_noise(self.system):
            needs[needs.index("diffusion")] = "diffusion_diagonal"
        return list(dict.fromkeys(needs))

    def width(self) -> int:
        return max(self.n, self.m, self.m * self.m, 2)

    def meta(self) -> dict:
        system = self.system
        return {
            "model": system.name,
            "kind": system.kind,
            "method": self.integrator.name,
            "state": list(system.names),
            "params": [[p.name, p.default] for p in system.params],  # in the order of p[k]
            "noises": list(system.noises),
            "calculus": system.calculus,
            "invariants": [name for name, _ in system.invariants],
            "stats": list(self.integrator.stats),
            "control": self.integrator.control(system),
            "work": [self.integrator.work_rows(system), self.width()],
            "failures": {str(code): list(words) for code, words in FAILURES.items()},
            "actionc": __version__,
        }

    def source(self) -> str:
        system = self.system
        parts = [
            f"# Generated by actionc {__version__} from model '{system.name}' ({system.kind}), "
            f"method {self.integrator.name}.\n"
            "# Do not edit: it is rebuilt from the model. Read it to see exactly what runs.\n",
            _runtime_source(),
            f"\nMETA = {json.dumps(json.dumps(self.meta(), sort_keys=True))}\n",
            "\n# ---- the model ----\n"
            f"# x = ({', '.join(system.names)})\n"
            f"# p = ({', '.join(p.name for p in system.params)})\n",
        ]
        parts += [getattr(self, name)() for name in self.needed()]
        parts += [self.invariants(), self.initial_state()]
        parts += ["\n# ---- the integrator ----\n", self.integrator.source(system)]
        parts += ["\n# ---- the ensemble drivers ----\n", self.drivers()]
        parts += [
            "\n# ---- NumPy functions, for Python callers (not used by the kernel) ----\n",
            self.numpy_functions(),
        ]
        return "\n\n".join(part.strip("\n") for part in parts) + "\n"

    def numpy_functions(self) -> str:
        """Vectorized callables: x (..., n), t, p (..., n_params) broadcast."""
        system = self.system
        names = {x: f"x[..., {i}]" for i, x in enumerate(system.state)}
        names.update({p.symbol: f"p[..., {k}]" for k, p in enumerate(system.params)})
        names[system.time] = "t"
        parts = ["import numpy\n"]
        drift = system.drift
        if system.mass_matrix is None:
            parts.append(printer.array_function("np_drift", drift, names, "The drift f(x, t).", "vector"))
        else:
            parts.append(self.numpy_mass_matrix_drift(names))
        if system.calculus == "stratonovich":
            parts.append(printer.array_function("np_ito_drift", system.ito_drift, names, "The Itô drift.", "vector"))
        if system.diffusion is not None:
            flat = [e for row in system.diffusion for e in row]
            shape = f"matrix:{self.n}x{self.m}"
            parts.append(printer.array_function("np_diffusion", flat, names, "The diffusion g(x, t).", shape))
        if system.invariants:
            values = [e for _, e in system.invariants]
            parts.append(printer.array_function("np_invariants", values, names, "The invariants.", "vector"))
        if system.gibbs is not None:
            gibbs = system.gibbs
            parts.append(printer.array_function("np_energy", [gibbs.energy], names, "The energy E(x).", "scalar"))
            score = [-sympy.diff(gibbs.energy, x) / gibbs.temperature for x in system.state]
            parts.append(printer.array_function("np_score", score, names, "The score −∇E/T.", "vector"))
        return "\n\n".join(part.strip("\n") for part in parts) + "\n"

    def numpy_mass_matrix_drift(self, names) -> str:
        implicit = self.system.mass_matrix
        k = len(implicit.unknowns)
        flat = [implicit.matrix[i][j] for i in range(k) for j in range(k)]
        matrix = printer.array_function("_np_mass_matrix", flat, names, "M(x, t).", f"matrix:{k}x{k}")
        forcing = printer.array_function("_np_forcing", implicit.forcing, names, "F(x, t).", "vector")
        solved = {a: f"accelerations[..., {j}]" for j, a in enumerate(implicit.unknowns)}
        rest = printer.array_function("_np_drift_given", self.system.drift, {**names, **solved}, "f given a.", "vector")
        rest = rest.replace("def _np_drift_given(x, t, p):", "def _np_drift_given(x, t, p, accelerations):")
        return "\n\n".join(
            [
                matrix.strip("\n"),
                forcing.strip("\n"),
                rest.strip("\n"),
                "def np_drift(x, t, p):\n"
                '    """The drift f(x, t), solving M a = F for the accelerations."""\n'
                "    matrix, forcing = _np_mass_matrix(x, t, p), _np_forcing(x, t, p)\n"
                "    accelerations = numpy.linalg.solve(matrix, forcing[..., None])[..., 0]\n"
                "    return _np_drift_given(x, t, p, accelerations)\n",
            ]
        )

    def drivers(self) -> str:
        rows, width = self.integrator.work_rows(self.system), self.width()
        n = self.n
        return f'''
@jit_cold
def init_particles(x, p, p_stride, s, seed, first_particle, override, values):
    """Seed each particle's stream and draw its initial state; overridden
    variables still draw, so the noise is the same with or without them."""
    for i in range(x.shape[0]):
        seed_stream(s[i], seed, first_particle + i)
        initial_state(x[i], p[i * p_stride], s[i])
        for j in range({n}):
            if override[j]:
                x[i, j] = values[j]


@jit_cold
def run_particles(first, end, x, p, p_stride, s, c, stats, status, failed_at,
                  t0, dt, first_step, n_steps, save_every, saves):
    """Advance particles first..end-1 n_steps steps; saves[k] gets the state
    after local step (k + 1) * save_every. A particle that fails is frozen
    at its last finite state, with status and failed_at recorded. Runs
    without the GIL: the driver calls it from several threads, each with
    its own block of particles."""
    w = np.empty(({rows}, {width}))
    last = np.empty({n})
    for i in range(first, end):
        xi = x[i]
        if status[i] != 0:
            for k in range(saves.shape[0]):
                saves[k, i, :] = xi
            continue
        pi = p[i * p_stride]
        for j in range({n}):
            last[j] = xi[j]
        for k in range(n_steps):
            step = first_step + k
            code = advance(xi, t0 + step * dt, dt, pi, s[i], w, c[i], stats[i])
            if code == 0 and not all_finite(xi):
                code = 1
            if code != 0:
                for j in range({n}):
                    xi[j] = last[j]
                status[i] = code
                failed_at[i] = step + 1
                for j in range(k // save_every, saves.shape[0]):
                    saves[j, i, :] = xi
                break
            for j in range({n}):
                last[j] = xi[j]
            if (k + 1) % save_every == 0:
                saves[(k + 1) // save_every - 1, i, :] = xi
'''


def generate(system: System, integrator: Integrator) -> str:
    """The source of the kernel module for `system` advanced by `integrator`."""
    return _Writer(system, integrator).source()
