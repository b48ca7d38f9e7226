"""System + integrator → the source of one self-contained kernel module.

The module holds, in this order: a header saying what it is, the runtime
(jit wrapper, random streams, linear solver), META (what the loader needs
to know, as JSON), the model functions the integrator calls, the
integrator's advance(), the driver run_particles, and
NumPy versions of the model functions (for Python callers, and for the
invariants of saved states). Same System and method → byte-identical
source, so the file's hash is its cache key.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

import sympy

from actionc.codegen import events, printer
from actionc.codegen.integrators import FAILURES, Integrator
from actionc.codegen.integrators.base import kernel_names, tuple_of
from actionc.kinds import Calculus
from actionc.system import System
from actionc.version import __version__

SIGNATURE = "x, t, p"


INLINE_MAX_OPS = 60  # larger model functions are called, not inlined (compile time)
INLINE_MAX_DRAWS = 8  # a kernel with more state variables or noises calls normal() (compile time)


def _hot_decorator(expressions) -> str:
    return "jit" if sum(sympy.count_ops(e) for e in expressions) <= INLINE_MAX_OPS else "jit_call"


def _runtime_source() -> str:
    text = (resources.files("actionc.codegen") / "runtime.py").read_text(encoding="utf-8")
    marker = "# ---- runtime: copied into every generated module from here on ----\n"
    return text[text.index(marker) + len(marker) :]


class _Writer:
    def __init__(self, system: System, integrator: Integrator, label: str | None = None) -> None:
        self.system = system
        self.integrator = integrator
        self.method = label or integrator.name
        self.n = len(system.state)
        self.m = len(system.noises)
        self.names = kernel_names(system)
        self.names.update({a: f"sc[{i}]" for i, a in enumerate(system.external_score or ())})

    # ---- model functions: each returns a tuple of values ----

    def vector_function(self, name: str, expressions, doc: str) -> str:
        """A function of (x, t, p) returning the expressions, solving the
        mass matrix first if they use its unknowns."""
        expressions = list(expressions)
        decorator = _hot_decorator(expressions)
        implicit = self.system.mass_matrix
        if implicit is not None and any(e.free_symbols & set(implicit.unknowns) for e in expressions):
            return self.mass_matrix_function(name, expressions, doc)
        supplied = set(self.system.external_score or ())
        uses_score = any(e.free_symbols & supplied for e in expressions)
        prelude = ["sc = score(x, t, p)"] if uses_score else []  # the score supplied at run time, once
        return printer.function(name, SIGNATURE, expressions, self.names, doc, decorator, prelude=prelude)

    def mass_matrix_function(self, name: str, expressions, doc: str) -> str:
        implicit = self.system.mass_matrix
        k = len(implicit.unknowns)
        # the matrix, the forcing and the solve are its work too: inlined into every stage, they cost seconds
        decorator = _hot_decorator([*expressions, *(e for row in implicit.matrix for e in row), *implicit.forcing])
        names = {**self.names, **{a: f"forcing[{j}]" for j, a in enumerate(implicit.unknowns)}}
        matrix_targets = [f"matrix[{i}, {j}]" for i in range(k) for j in range(k)]
        matrix_values = [implicit.matrix[i][j] for i in range(k) for j in range(k)]
        body = [
            f"    matrix = np.empty(({k}, {k}))",
            f"    forcing = np.empty({k})",
            *printer.assignments(
                matrix_targets + [f"forcing[{j}]" for j in range(k)],
                matrix_values + list(implicit.forcing),
                self.names,
            ),
            f"    solve(matrix, forcing, {k})  # M(x, t) a = F(x, t)",
            *printer.body(expressions, names),
        ]
        return "\n".join([f"@{decorator}", f"def {name}({SIGNATURE}):", f'    """{doc}"""', *body]) + "\n"

    def drift(self) -> str:
        return self.vector_function("drift", self.system.drift, f"The drift f(x, t) ({self.system.calculus}).")

    def ito_drift(self) -> str:
        if self.system.calculus is Calculus.ITO:
            return "ito_drift = drift  # Itô model: the drift is the Itô drift\n"
        return self.vector_function("ito_drift", self.system.ito_drift, "The Itô drift f + ½ Σ g_jk ∂_j g_ik.")

    def diffusion(self) -> str:
        g = self.system.diffusion
        values = [g[i][k] for i in range(self.n) for k in range(self.m)]
        return self.vector_function("diffusion", values, "The diffusion g(x, t), row-major: g[i*m + k].")

    def diffusion_diagonal(self) -> str:
        values = [self.system.diffusion[i][i] for i in range(self.n)]
        return self.vector_function("diffusion_diagonal", values, "The diagonal of g(x, t): noise k drives state k.")

    def milstein(self) -> str:
        terms = self.system.noise.milstein
        values = [terms[i][j][k] for i in range(self.n) for j in range(self.m) for k in range(self.m)]
        return self.vector_function("milstein", values, "L^j g_ik = Σ_l g_lj ∂_l g_ik at [i*m*m + j*m + k].")

    def drift_positions(self) -> str:
        rows = self.system.separable.positions
        return self.vector_function("drift_positions", [self.system.drift[i] for i in rows], "q' (a function of p).")

    def drift_momenta(self) -> str:
        rows = self.system.separable.momenta
        return self.vector_function("drift_momenta", [self.system.drift[i] for i in rows], "p' (a function of q).")

    def jacobian(self) -> str:
        values = [e for row in self.system.jacobian for e in row]
        return self.vector_function("jacobian", values, "∂f_i/∂x_j at [i*n + j].")

    def score(self) -> str:
        if self.system.external_score is None:
            return self.vector_function("score", self.system.score, "The score ∇ log p (kernel time).")
        n = self.n
        horizon = printer.KernelPrinter(self.names).doprint(self.system.horizon)
        return f'''
user_score = None  # the score supplied at run time: actionc.run.sampling sets it before the first call


@jit_call
def score(x, t, p):
    """The supplied score at the model's time T − t: user_score(x, s, out) fills out."""
    point = np.empty({n})
    for i in range({n}):
        point[i] = x[i]
    out = np.empty({n})
    user_score(point, {horizon} - t, out)
    return {tuple_of("out[{k}]", n)}
'''

    def event(self) -> str:
        event = self.system.event
        return self.vector_function(
            "event", [event.crossing, *event.keep], f"g(x, t), then what must be > 0: {event.text}"
        )

    def energy(self) -> str:
        gibbs = self.system.gibbs
        return printer.function("energy", SIGNATURE, [gibbs.energy], self.names, "E(x).", scalar=True)

    def grad_energy(self) -> str:
        gibbs = self.system.gibbs
        return self.vector_function("grad_energy", gibbs.gradient, "∇E(x).")

    def gibbs_constants(self) -> str:
        gibbs = self.system.gibbs
        return printer.function(
            "gibbs_constants", "p", [gibbs.temperature, gibbs.friction], self.names, "Temperature T, friction γ."
        )

    def langevin_force(self) -> str:
        split = self.system.langevin
        values = [f / split.mass[i][i] for i, f in enumerate(split.force)]
        return self.vector_function("langevin_force", values, "Acceleration −M⁻¹∇V(q) of the conservative force.")

    def langevin_constants(self) -> str:
        split = self.system.langevin
        k = len(split.positions)
        gamma = [split.friction[i][i] / split.mass[i][i] for i in range(k)]
        sigma = [sympy.sqrt(split.temperature / split.mass[i][i]) for i in range(k)]
        return printer.function(
            "langevin_constants",
            "p",
            gamma + sigma,
            self.names,
            "Friction rates γ_i = R_ii/M_ii, then thermal velocities sqrt(T/M_ii).",
        )

    def initial_state(self) -> str:
        if self.system.mixture is not None:
            return self.mixture_initial_state()
        values = ["0.0"] * self.n
        lines = [
            "@jit_cold",
            "def initial_state(p, s):",
            '    """The default initial state (unset: 0), and the stream."""',
        ]
        kernel_printer = printer.KernelPrinter(self.names)
        for initial in self.system.init:
            args = [kernel_printer.doprint(a) for a in initial.args]
            name = f"x{initial.index}"
            if initial.distribution == "value":
                lines.append(f"    {name} = {args[0]}")
            elif initial.distribution == "normal":
                lines.append(f"    z, s = normal(s)\n    {name} = {args[0]} + {args[1]} * z")
            else:
                lines.append(f"    u, s = uniform(s)\n    {name} = {args[0]} + ({args[1]} - {args[0]}) * u")
            values[initial.index] = name
        lines.append(f"    return ({', '.join(values)},), s")
        return "\n".join(lines) + "\n"

    def mixture_initial_state(self) -> str:
        """Draw a component by its weight, then its Gaussian: m + L z with
        L L^T = C (Cholesky at run time; the draws are the same whichever
        component is picked, so a seed fixes the stream)."""
        mixture, n = self.system.mixture, self.n
        kernel_printer = printer.KernelPrinter(self.names)
        lines = [
            "@jit_cold",
            "def initial_state(p, s):",
            '    """A draw from the Gaussian mixture the run starts from."""',
            "    u, s = uniform(s)",
            f"    z = np.empty({n})",
            f"    matrix = np.empty(({n}, {n}))",
            f"    for i in range({n}):",
            "        z[i], s = normal(s)",
            "    cumulative = 0.0",
        ]
        last = len(mixture.weights) - 1
        for k, (weight, mean, cov) in enumerate(zip(mixture.weights, mixture.means, mixture.covs)):
            lines.append(f"    cumulative += {kernel_printer.doprint(weight)}")
            lines.append(f"    if u < cumulative or {k} == {last}:")
            lines += printer.assignments(
                [f"matrix[{i}, {j}]" for i in range(n) for j in range(n)] + [f"mean{i}" for i in range(n)],
                [cov[i][j] for i in range(n) for j in range(n)] + list(mean),
                self.names,
                indent="        ",
            )
            lines.append(f"        correlate(matrix, z, {n})")
            lines.append(f"        return {tuple_of('mean{k} + z[{k}]', n)}, s")
        lines.append(f"    return {tuple_of('z[{k}]', n)}, s")
        return "\n".join(lines) + "\n"

    # ---- the module ----

    def needed(self) -> list[str]:
        # the drift is always there (for c_drift and for embedding); Numba
        # compiles a function only when something calls it
        needs = ["drift", *self.integrator.needs]
        if self.system.external_score is not None:
            needs.insert(0, "score")
        if "ito_drift" in needs and self.system.calculus is Calculus.ITO:
            needs.insert(needs.index("ito_drift"), "drift")
        if "diffusion" in needs and self.integrator.name == "euler-maruyama" and self.system.noise.diagonal:
            needs[needs.index("diffusion")] = "diffusion_diagonal"
        if self.system.event is not None:
            needs.append("event")
        return list(dict.fromkeys(needs))

    def meta(self) -> dict:
        system = self.system
        return {
            "model": system.name,
            "kind": system.kind,
            "method": self.method,
            "integrator": self.integrator.name,
            "state": list(system.names),
            "params": [[p.name, p.default] for p in system.params],  # in the order of p[k]
            "noises": list(system.noises),
            "calculus": system.calculus,
            "invariants": [name for name, _ in system.invariants],
            "forces": system.forces is not None,  # non-conservative: no action principle
            "direction": system.direction,
            "stats": list(self.integrator.stats),
            "control": self.integrator.control(system),
            "control_options": [list(option) for option in self.integrator.options],
            "control_reports": self.integrator.reports(system),
            "failures": {str(code): list(words) for code, words in FAILURES.items()},
            "coordinates": list(system.coordinate_names),
            "conjugates": list(system.conjugate_names),
            "functions": list(self.numpy_functions),
            "event": None if system.event is None else {"stop": system.event.stop, "text": system.event.text},
            "actionc": __version__,
        }

    def source(self) -> str:
        system = self.system
        parts = [
            f"# Generated by actionc {__version__} from model '{system.name}' ({system.kind}), "
            f"method {self.method}.\n"
            "# Do not edit: it is rebuilt from the model. Read it to see exactly what runs.\n",
            "CACHED = True  # Numba caches the compiled code next to this file\n"
            if system.external_score is None
            else "CACHED = False  # it calls a score supplied at run time: compiled in each process\n",
            'FASTMATH = {"contract", "nsz"}  # no reassociation: sums are added in the order written\n',
            _runtime_source(),
            f"\nMETA = {json.dumps(json.dumps(self.meta(), sort_keys=True))}\n",
            "\n# ---- the model ----\n"
            f"# x = ({', '.join(system.names)})\n"
            f"# p = ({', '.join(p.name for p in system.params)})\n",
        ]
        parts += [getattr(self, name)() for name in self.needed()]
        parts += [self.initial_state()]
        parts += ["\n# ---- the integrator ----\n", *self.called_normal(), self.integrator.source(system)]
        parts += ["\n# ---- the ensemble drivers ----\n", self.drivers()]
        parts += [
            "\n# ---- NumPy functions, for Python callers (not used by the kernel) ----\n",
            "\n\n".join(["import numpy", *(f.strip("\n") for f in self.numpy_functions.values())]) + "\n",
        ]
        parts += ["\n# ---- C-callable wrappers, compiled on demand (actionc.run.embed) ----\n", self.c_wrappers()]
        return "\n\n".join(part.strip("\n") for part in parts) + "\n"

    def called_normal(self) -> list[str]:
        """Above INLINE_MAX_DRAWS normal draws a step, normal() is called
        rather than inlined at each draw: Numba copies and types an inlined
        function once per call site (30 draws cost a minute to compile)."""
        if max(self.n, self.m) <= INLINE_MAX_DRAWS:
            return []
        return ["normal = jit_call(normal.py_func)  # many draws a step: called, not inlined at each (compile time)\n"]

    def c_wrappers(self) -> str:
        """Plain Python functions over raw pointers; actionc.run.embed turns
        them into Numba cfuncs (addresses for ctypes, C and LowLevelCallable)
        only when asked, so importing a kernel never compiles them."""
        n, k = self.n, max(1, len(self.system.params))
        state = tuple_of("x[{k}]", n)
        store = "\n".join(f"    x[{i}] = new[{i}]" for i in range(n))
        control = self.integrator.control(self.system)
        counts = max(1, len(self.integrator.stats))
        return f'''
def c_drift(x_pointer, t, p_pointer, out_pointer):
    """void drift(const double *x, double t, const double *p, double *out)"""
    x = numba.carray(x_pointer, ({n},))
    p = numba.carray(p_pointer, ({k},))
    out = numba.carray(out_pointer, ({n},))
    f = drift({state}, t, p)
    for i in range({n}):
        out[i] = f[i]


def c_step(x_pointer, t, dt, p_pointer, s_pointer, c_pointer):
    """int step(double *x, double t, double dt, const double *p, uint64_t *stream, double *control):
    one step of {self.integrator.name}; stream: 4 words; control: {control} doubles, zero at the start."""
    x = numba.carray(x_pointer, ({n},))
    p = numba.carray(p_pointer, ({k},))
    s = numba.carray(s_pointer, (4,))
    c = numba.carray(c_pointer, ({control},))
    new, stream, control, counts, code = advance(
        {state}, t, dt, p, (s[0], s[1], s[2], s[3]), {tuple_of("c[{k}]", control)}, {tuple_of("0.0", counts)}
    )
{store}
    for i in range(4):
        s[i] = stream[i]
    for i in range({control}):
        c[i] = control[i]
    return code
'''

    @functools.cached_property
    def numpy_functions(self) -> dict[str, str]:
        """Vectorized callables, by the name Compiled.function knows them:
        x (..., n), t, p (..., n_params) broadcast."""
        system = self.system
        names = {x: f"x[..., {i}]" for i, x in enumerate(system.state)}
        names.update({p.symbol: f"p[..., {k}]" for k, p in enumerate(system.params)})
        names[system.time] = "t"
        functions: dict[str, str] = {}

        def add(name: str, expressions, doc: str, shape: str) -> None:
            functions[name] = printer.array_function(f"np_{name}", expressions, names, doc, shape)

        if system.horizon is not None:
            add("horizon", [system.horizon], "The horizon T.", "scalar")
        if system.external_score is not None:  # the drift needs the supplied score: not a NumPy function
            return functions
        if system.mass_matrix is None:
            add("drift", system.drift, "The drift f(x, t).", "vector")
        else:
            functions["drift"] = self.numpy_mass_matrix_drift(names)
        if system.calculus is Calculus.STRATONOVICH:
            add("ito_drift", system.ito_drift, "The Itô drift.", "vector")
        if system.diffusion is not None:
            flat = [e for row in system.diffusion for e in row]
            add("diffusion", flat, "The diffusion g(x, t).", f"matrix:{self.n}x{self.m}")
        if system.invariants:
            add("invariants", [e for _, e in system.invariants], "The invariants.", "vector")
        if system.lagrangian is not None:
            add("lagrangian", [system.lagrangian], "L(x, t).", "scalar")
            add("lagrangian_gradient", system.lagrangian_gradient, "∂L/∂(q, q').", "vector")
            hessian = [e for row in system.lagrangian_hessian for e in row]
            add("lagrangian_hessian", hessian, "∂²L/∂(q, q')².", f"matrix:{self.n}x{self.n}")
        if system.divergence is not None:
            add("divergence", [system.divergence], "∇·f (Itô drift).", "scalar")
        if system.event is not None:
            add("event", [system.event.crossing, *system.event.keep], "g(x, t), then what must be > 0.", "vector")
        if system.score is not None and system.gibbs is None:
            add("score", system.score, "The score ∇ log p.", "vector")
        if system.log_density is not None:
            add("log_density", [system.log_density], "log p.", "scalar")
        if system.langevin is not None:  # underdamped: the landscape V(q), with M, R and T for its rates
            split, k = system.langevin, len(system.langevin.positions)
            add("potential", [split.potential], "V(q).", "scalar")
            add("potential_gradient", [-f for f in split.force], "∇V(q).", "vector")
            add("potential_hessian", [e for row in split.hessian for e in row], "∂²V/∂q².", f"matrix:{k}x{k}")
            add("mass", [e for row in split.mass for e in row], "M.", f"matrix:{k}x{k}")
            add("friction_matrix", [e for row in split.friction for e in row], "R.", f"matrix:{k}x{k}")
            add("temperature", [split.temperature], "The temperature T.", "scalar")
        if system.gibbs is not None:
            gibbs = system.gibbs
            add("energy", [gibbs.energy], "The energy E(x).", "scalar")
            if gibbs.temperature.is_zero is not True:  # T = 0: the gradient flow has no density, no score
                add("score", [-g / gibbs.temperature for g in gibbs.gradient], "The score −∇E/T.", "vector")
            add("temperature", [gibbs.temperature], "The temperature T.", "scalar")
            add("friction", [gibbs.friction], "The friction γ.", "scalar")
            add("gradient", gibbs.gradient, "∇E(x).", "vector")
            add("hessian", [e for row in gibbs.hessian for e in row], "The Hessian of E.", f"matrix:{self.n}x{self.n}")
        return functions

    def numpy_mass_matrix_drift(self, names) -> str:
        implicit = self.system.mass_matrix
        k = len(implicit.unknowns)
        flat = [implicit.matrix[i][j] for i in range(k) for j in range(k)]
        matrix = printer.array_function("_np_mass_matrix", flat, names, "M(x, t).", f"matrix:{k}x{k}")
        forcing = printer.array_function("_np_forcing", implicit.forcing, names, "F(x, t).", "vector")
        solved = {a: f"accelerations[..., {j}]" for j, a in enumerate(implicit.unknowns)}
        arguments = "x, t, p, accelerations"
        rest = printer.array_function(
            "_np_drift_given", self.system.drift, {**names, **solved}, "f given a.", "vector", arguments
        )
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
        n = self.n
        control = self.integrator.control(self.system)
        counts = max(1, len(self.integrator.stats))
        state = tuple_of("x[i, {k}]", n)
        finite = " and ".join(f"math.isfinite(new[{k}])" for k in range(n))

        def save(row: str, indent: str) -> str:
            return "\n".join(f"{indent}saves[{row}, i, {k}] = state[{k}]" for k in range(n))

        stopped, watch, detect = events.driver_lines(self.system.event, n)

        return f'''
@jit_cold
def run_particles(first, end, x, p, p_stride, s, c, stats, status, failed_at,
                  t0, dt, first_step, n_steps, save_every, saves, seed, override, values, data, events, n_events,
                  origin):
    """Advance particles first..end-1 n_steps steps; saves[k] gets the state
    after local step (k + 1) * save_every. A particle that fails is frozen
    at its last finite state, with status and failed_at recorded. Runs
    without the GIL: the driver calls it from several threads, each with
    its own block of particles. Each particle's state, stream and control
    live in local tuples during its run (registers, not memory).

    Called once first with n_steps = 0 to initialize: seed each particle's
    stream and draw its initial state (overridden variables still draw, so
    the noise is the same with or without them). Row i of the arrays is
    particle origin + i of the ensemble, whose stream it gets: a range of
    particles run elsewhere (a Dask task) draws what a whole run does.
    One entry point compiles and loads faster than two. `data` (the arrays
    of indexed models) is not read here. events, n_events: what the model's
    event records (times and states, and how many per particle), if it has one."""
    for i in range(first, end):
        if n_steps == 0:
            state, stream = initial_state(p[i * p_stride], seed_stream(seed, origin + i))
            for j in range({n}):
                x[i, j] = values[j] if override[j] else state[j]
            for j in range(4):
                s[i, j] = stream[j]
            continue
        if status[i] != 0{stopped}:
            for k in range(saves.shape[0]):
                for j in range({n}):  # element by element: a slice assignment can raise, which a library cannot
                    saves[k, i, j] = x[i, j]
            continue
        pi = p[i * p_stride]
        state = {state}
        stream = {tuple_of("s[i, {k}]", 4)}
        control = {tuple_of("c[i, {k}]", control)}
        counts = {tuple_of("stats[i, {k}]", counts)}{watch}
        for k in range(n_steps):
            step = first_step + k
            new, stream, control, counts, code = advance(state, t0 + step * dt, dt, pi, stream, control, counts)
            if code == 0 and not ({finite}):
                code = 1
            if code != 0:
                status[i] = code
                failed_at[i] = step + 1
                for j in range(k // save_every, saves.shape[0]):
{save("j", " " * 20)}
                break{detect}
            state = new
            if (k + 1) % save_every == 0:
{save("(k + 1) // save_every - 1", " " * 16)}
        for j in range({n}):
            x[i, j] = state[j]
        for j in range(4):
            s[i, j] = stream[j]
        for j in range({control}):
            c[i, j] = control[j]
        for j in range({counts}):
            stats[i, j] = counts[j]
'''


def generate(system: System, integrator: Integrator, label: str | None = None) -> str:
    """The source of the kernel module for `system` advanced by `integrator`
    (`label`: the method's name where it is more than the integrator's).
    The System carries what the integrator requires (actionc.lower.equip)."""
    for requirement in integrator.requires:
        if not requirement.met_by(system):
            raise ValueError(f"{integrator.name} needs {requirement.value} on the System: lower.equip() it first")
    return _Writer(system, integrator, label).source()
