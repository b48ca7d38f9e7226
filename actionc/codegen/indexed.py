"""Indexed System + method → the source of one kernel module, with loops.

The same module layout and driver contract as module.py (META,
run_particles, NumPy callables), but a particle's state is a row of the
ensemble array, updated in place, and model functions fill arrays
(codegen/loops.py prints their element loops). Sizes are parameters read at
run time, so `--set N=4096` runs the kernel compiled for N = 32.
"""

from __future__ import annotations

import json

import sympy

from actionc.codegen import loops
from actionc.codegen.integrators import FAILURES, Integrator
from actionc.codegen.integrators.arrays import ARRAY_METHODS
from actionc.codegen.integrators.base import tuple_of
from actionc.codegen.module import _runtime_source
from actionc.system import System
from actionc.version import __version__

ARGUMENTS = "x, t, p, data"


def _affine(expr) -> list:
    """An index bound as [[size name, coefficient], …, ["", constant]] (JSON)."""
    expr = sympy.expand(expr if isinstance(expr, sympy.Basic) else sympy.Integer(expr))
    terms = [[s.name, int(expr.coeff(s))] for s in sorted(expr.free_symbols, key=str)]
    constant = int(expr.xreplace({s: 0 for s in expr.free_symbols}))
    return [*terms, ["", constant]]


class _IndexedWriter:
    def __init__(self, system: System, integrator: Integrator, label: str | None = None) -> None:
        self.system = system
        self.integrator = integrator
        self.method = ARRAY_METHODS[integrator.name]
        self.label = label or integrator.name
        self.layout = loops.Layout(system)
        # parameters are read into locals once per call: loads from p inside a
        # loop that stores to `out` cannot be hoisted (p and out might alias)
        names = {p.symbol: f"p_{p.name}" for p in system.params if p.symbol not in system.sizes}
        names[system.time] = "t"
        names.update(
            {b.symbol: f"x[uint64(at_{b.name})]" for b in system.blocks if b.array is None}
        )  # scalars in the state
        self.names = names
        self.emitter = loops.Emitter(self.layout, names)

    def prelude(self) -> list[str]:
        return [f"    {line}" for line in self.layout.prelude()] + self.parameters()

    def parameters(self) -> list[str]:
        return [
            f"    p_{p.name} = p[{k}]" for k, p in enumerate(self.system.params) if p.symbol not in self.system.sizes
        ]

    def function(self, name: str, doc: str, blocks, target: str = "out[{at}]", decorator: str = "jit_call") -> str:
        """A model function filling `out` with one expression per element of `blocks` ((block, expr) pairs)."""
        lines = [f"@{decorator}", f"def {name}({ARGUMENTS}, out):", f'    """{doc}"""', *self.prelude()]
        lines += self.emitter.fill(blocks, target)
        return "\n".join(lines) + "\n"

    def scalar_function(self, name: str, doc: str, exprs, arguments: str = ARGUMENTS) -> str:
        prelude = (
            self.prelude()
            if arguments == ARGUMENTS
            else [f"    {line}" for line in self.layout.prelude(False)] + self.parameters()
        )
        lines = ["@jit_call", f"def {name}({arguments}):", f'    """{doc}"""', *prelude]
        values = []
        for expr in exprs:
            body, text = self.emitter.value(expr, {}, "    ")
            lines += body
            values.append(text)
        lines.append(f"    return {values[0]}" if len(values) == 1 else f"    return ({', '.join(values)},)")
        return "\n".join(lines) + "\n"

    # ---- model functions ----

    def drift(self) -> str:
        blocks = [(b, b.drift) for b in self.system.blocks]
        return self.function("drift", "The drift f(x, t) into out, element by element.", blocks)

    def move_positions(self) -> str:
        """q += step · q'(conjugates) in place: positions do not read
        positions, and one pass does what a rate array and an update did."""
        blocks = [(self.system.blocks[k], self.system.blocks[k].drift) for k in self.system.coordinates]
        lines = [
            "@jit_call",
            f"def move_positions({ARGUMENTS}, step):",
            '    """The positions moved by step times their rates (functions of the conjugates)."""',
            *self.prelude(),
        ]
        lines += self.emitter.fill(blocks, "x[{at}]", scale="step")
        return "\n".join(lines) + "\n"

    def drift_momenta(self) -> str:
        blocks = [(self.system.blocks[k], self.system.blocks[k].drift) for k in self.system.conjugates]
        return self.function("drift_momenta", "The conjugates' rates (functions of q) into out.", blocks)

    def langevin_force(self) -> str:
        blocks = [(self.system.blocks[k], self.system.blocks[k].langevin[0]) for k in self.system.conjugates]
        return self.function(
            "langevin_force", "The velocities' conservative accelerations (functions of q) into out.", blocks
        )

    def langevin_constants(self) -> str:
        """γ[i] into out[0] and √(T/m[i]) into out[1], at each velocity's place."""
        conjugates = [self.system.blocks[k] for k in self.system.conjugates]
        lines = [
            "@jit_call",
            f"def langevin_constants({ARGUMENTS}, out):",
            '    """The friction rate γ and thermal speed √(T/m) of each velocity into out[0] and out[1]."""',
            *self.prelude(),
        ]
        for row in (0, 1):
            lines += self.emitter.fill([(b, b.langevin[row + 1]) for b in conjugates], f"out[{row}, {{at}}]")
        return "\n".join(lines) + "\n"

    def energy(self) -> str:
        return self.scalar_function("energy", "E(x).", [self.system.gibbs.energy])

    def grad_energy(self) -> str:
        blocks = [(b, b.gradient) for b in self.system.blocks]
        return self.function("grad_energy", "∇E(x) into out.", blocks)

    def energy_and_gradient(self) -> str:
        """E(x), with ∇E(x) into out, in one pass where they share sums over data rows."""
        blocks = [(b, b.gradient) for b in self.system.blocks]
        lines = [
            "@jit_call",
            f"def energy_and_gradient({ARGUMENTS}, out):",
            '    """E(x), returned, and ∇E(x) into out: a sum over rows they share is one pass."""',
            *self.prelude(),
        ]
        body, text = self.emitter.fill_and_value(blocks, "out[{at}]", self.system.gibbs.energy)
        return "\n".join([*lines, *body, f"    return {text}"]) + "\n"

    def gibbs_constants(self) -> str:
        gibbs = self.system.gibbs
        return self.scalar_function(
            "gibbs_constants", "Temperature T, friction γ.", [gibbs.temperature, gibbs.friction], "p"
        )

    def noise(self) -> str:
        """noise_scale(p), where every element has the same additive noise
        (an energy's √(2T/γ)); else diffusion(…, out), g of each element."""
        if self.system.uniform_noise:
            (noise,) = {b.noise for b in self.system.blocks}
            return self.scalar_function("noise_scale", "The additive noise g of every element.", [noise], "p")
        blocks = [(b, b.noise if b.noise is not None else sympy.Integer(0)) for b in self.system.blocks]
        noisy = [(b, sympy.Integer(int(b.noise is not None))) for b in self.system.blocks]
        return "\n".join(
            [
                self.function("diffusion", "The noise g of each element (dx[i] = … + g[i] dW_i) into out.", blocks),
                self.function("noisy_entries", "1 where an entry's block has a noise, else 0, into out.", noisy),
            ]
        )

    def invariants(self) -> str:
        exprs = [e for _, e in self.system.invariants]
        lines = [
            "@jit_call",
            f"def invariants({ARGUMENTS}, out):",
            '    """The invariants into out."""',
            *self.prelude(),
        ]
        for k, expr in enumerate(exprs):
            body, text = self.emitter.value(expr, {}, "    ")
            lines += body + [f"    out[{k}] = {text}"]
        return "\n".join(lines) + "\n"

    def initial_state(self) -> str:
        lines = [
            "@jit_cold",
            "def initial_state(x, p, data, s):",
            '    """The default initial state (unset: 0) into x; returns the stream."""',
            *self.prelude(),
            "    for k in range(x.shape[0]):",
            "        x[k] = 0.0",
        ]
        for initial in self.system.init:
            block = self.system.blocks[initial.index]
            draw = {"value": "", "normal": "z, s = normal(s)", "uniform": "u, s = uniform(s)"}[initial.distribution]
            args = initial.args
            if initial.distribution == "value":
                value = args[0]
            elif initial.distribution == "normal":
                value = args[0] + args[1] * sympy.Symbol("z", real=True)
            else:
                value = args[0] + (args[1] - args[0]) * sympy.Symbol("u", real=True)
            names = {**self.names, sympy.Symbol("z", real=True): "z", sympy.Symbol("u", real=True): "u"}
            emitter = loops.Emitter(self.layout, names)
            emitter.counter = self.emitter.counter
            if block.array is None or initial.element == block.index:
                loop = emitter.element_loop(block, value, "x[{at}]")
                if draw:  # one draw per element, in order, before the element's value
                    head = next(k for k, line in enumerate(loop) if "for i_" in line or "x[" in line)
                    if "for i_" in loop[head]:
                        loop.insert(head + 1, f"        {draw}")
                    else:
                        loop.insert(head, f"    {draw}")
                lines += loop
            else:
                ((lo, _),) = block.array.bounds
                printer = loops.IndexPrinter(self.layout, names)
                body, text = emitter.value(value, {}, "    ")
                if draw:
                    lines.append(f"    {draw}")
                lines += body
                lines.append(f"    x[uint64(at_{block.name} + {printer.integer(initial.element - lo)})] = {text}")
        lines.append("    return s")
        return "\n".join(lines) + "\n"

    # ---- the module ----

    def meta(self) -> dict:
        system = self.system
        return {
            "model": system.name,
            "kind": system.kind,
            "method": self.label,
            "integrator": self.integrator.name,
            "state": [b.name for b in system.blocks],
            "params": [[p.name, p.default] for p in system.params],
            "noises": [],
            "calculus": system.calculus,
            "invariants": [name for name, _ in system.invariants],
            "forces": False,
            "direction": system.direction,
            "stats": list(self.method.stats),
            "control": self.method.control[0],
            "control_per_entry": self.method.control[1],
            "control_options": [list(option) for option in self.method.options],
            "control_reports": self.method.reports,
            "event": None,
            "failures": {str(code): list(words) for code, words in FAILURES.items()},
            "coordinates": [system.blocks[k].name for k in system.coordinates],
            "conjugates": [system.blocks[k].name for k in system.conjugates],
            "functions": self.functions(),
            "actionc": __version__,
            "blocks": [
                [b.name, None, None] if b.array is None else [b.name, *(_affine(e) for e in b.array.bounds[0])]
                for b in system.blocks
            ],
            "inputs": [[i.name, [s.name for s in i.sizes], i.path] for i in system.inputs],
            "sizes": [s.name for s in system.sizes],
            "size_requirements": [_affine(e) for e in system.size_requirements],
            "work": self.method.work,
        }

    def functions(self) -> list[str]:
        names = ["drift"]
        if self.system.invariants:
            names.append("invariants")
        if self.system.gibbs is not None:
            names += ["energy", "gradient"]
        return names

    def source(self) -> str:
        system = self.system
        needed = list(dict.fromkeys(["drift", *self.method.needs]))
        if system.gibbs is not None:
            wanted = ("energy", "grad_energy", "energy_and_gradient", "gibbs_constants")  # optimize and vi read them
            needed += [n for n in wanted if n not in needed]
        if system.invariants:
            needed.append("invariants")
        parts = [
            f"# Generated by actionc {__version__} from model '{system.name}' ({system.kind}), "
            f"method {self.label}.\n"
            "# Do not edit: it is rebuilt from the model. Read it to see exactly what runs.\n",
            "CACHED = True  # Numba caches the compiled code next to this file\n",
            # sums over elements and data rows are reductions: reassociation lets LLVM vectorize
            # them (as BLAS does); the code fixes the order, so a seed gives the same bits for
            # any number of threads or chunks
            'FASTMATH = {"contract", "nsz", "reassoc"}\n',
            _runtime_source(),
            f"\nMETA = {json.dumps(json.dumps(self.meta(), sort_keys=True))}\n",
            "\n# ---- the model: element loops; sizes are read from p at run time ----\n"
            f"# x = ({', '.join(b.name + ('[…]' if b.array is not None else '') for b in system.blocks)})\n"
            f"# p = ({', '.join(p.name for p in system.params)})\n",
        ]
        parts += [getattr(self, name)() for name in needed]
        parts += [self.initial_state()]
        parts += ["\n# ---- the integrator ----\n", self.method.source(system)]
        parts += ["\n# ---- the ensemble driver ----\n", _driver(self.method.work, len(self.method.stats))]
        parts += [
            "\n# ---- NumPy functions, for Python callers (not used by the kernel) ----\n",
            self.numpy_functions(),
        ]
        return "\n\n".join(part.strip("\n") for part in parts) + "\n"

    def numpy_functions(self) -> str:
        """Python callables over stacks of states, looping over the rows
        with the kernel's own functions: x (..., n), t, p (..., n_params)."""
        lines = [
            "import numpy",
            "",
            "",
            "@jit_cold",
            "def _rows(function_code, x, t, p, data, out):",
            "    for r in range(x.shape[0]):",
            "        if function_code == 0:",
            "            drift(x[r], t[r], p[r], data, out[r])",
        ]
        if self.system.invariants:
            lines += ["        elif function_code == 1:", "            invariants(x[r], t[r], p[r], data, out[r])"]
        if self.system.gibbs is not None:
            lines += [
                "        elif function_code == 2:",
                "            out[r, 0] = energy(x[r], t[r], p[r], data)",
                "        elif function_code == 3:",
                "            grad_energy(x[r], t[r], p[r], data, out[r])",
                "        elif function_code == 4:  # ∇E into out[r, :-1], E into out[r, -1]: one pass over data",
                "            out[r, -1] = energy_and_gradient(x[r], t[r], p[r], data, out[r, :-1])",
            ]
        lines += [
            "",
            "",
            "def _over_rows(function_code, width, x, t, p, data):",
            "    x = numpy.asarray(x, dtype=float)",
            "    p = numpy.asarray(p, dtype=float)",
            "    shape = numpy.broadcast_shapes(x.shape[:-1], p.shape[:-1], numpy.shape(t))",
            "    rows = int(numpy.prod(shape))",
            "    xs = numpy.ascontiguousarray(numpy.broadcast_to(x, shape + x.shape[-1:]).reshape(rows, -1))",
            "    ps = numpy.ascontiguousarray(numpy.broadcast_to(p, shape + p.shape[-1:]).reshape(rows, -1))",
            "    ts = numpy.ascontiguousarray(numpy.broadcast_to(numpy.asarray(t, dtype=float), shape).reshape(rows))",
            "    data = numpy.zeros(1) if data is None else numpy.ascontiguousarray(data, dtype=float)",
            "    out = numpy.zeros((rows, xs.shape[1] if width is None else width))",
            "    _rows(function_code, xs, ts, ps, data, out)",
            "    return out.reshape(shape + out.shape[1:])",
            "",
            "",
            "def np_drift(x, t, p, data=None):",
            '    """The drift f(x, t)."""',
            "    return _over_rows(0, None, x, t, p, data)",
        ]
        if self.system.invariants:
            k = len(self.system.invariants)
            lines += [
                "",
                "",
                "def np_invariants(x, t, p, data=None):",
                '    """The invariants."""',
                f"    return _over_rows(1, {k}, x, t, p, data)",
            ]
        if self.system.gibbs is not None:
            lines += [
                "",
                "",
                "def np_energy(x, t, p, data=None):",
                '    """The energy E(x)."""',
                "    return _over_rows(2, 1, x, t, p, data)[..., 0]",
                "",
                "",
                "def np_gradient(x, t, p, data=None):",
                '    """∇E(x)."""',
                "    return _over_rows(3, None, x, t, p, data)",
            ]
        return "\n".join(lines) + "\n"


def _driver(work: int, stats: int) -> str:
    """run_particles, with `work` rows of scratch space per particle and `stats` counters."""
    return f'''
@jit_cold
def run_particles(first, end, x, p, p_stride, s, c, stats, status, failed_at,
                  t0, dt, first_step, n_steps, save_every, saves, seed, override, values, data, events, n_events,
                  origin):
    """Advance particles first..end-1 n_steps steps, each in place in its
    row of x; saves[k] gets the state after local step (k + 1) * save_every.
    The state is checked to be finite at every save (and at the end): a
    particle that fails is frozen at its last saved state, with status and
    failed_at (the step of the check) recorded. Scratch space is allocated
    once per call, never per step. Runs without the GIL, one block of
    particles per thread. Called first with n_steps = 0 to seed each
    particle's stream and draw its initial state. Row i is particle
    origin + i of the ensemble. Indexed models record no events (events and
    n_events are the driver's common signature)."""
    n = x.shape[1]
    work = np.empty(({work}, n))
    last = np.empty(n)
    for i in range(first, end):
        pi = p[i * p_stride]
        if n_steps == 0:
            stream = initial_state(x[i], pi, data, seed_stream(seed, origin + i))
            for j in range(n):
                if override[j]:
                    x[i, j] = values[j]
            for j in range(4):
                s[i, j] = stream[j]
            continue
        if status[i] != 0:
            for k in range(saves.shape[0]):
                saves[k, i, :] = x[i]
            continue
        state = x[i]
        stream = (s[i, 0], s[i, 1], s[i, 2], s[i, 3])
        control = c[i]  # the particle's row, updated in place
        counts = {tuple_of("stats[i, {k}]", max(1, stats))}
        last[:] = state
        prepare(state, t0 + first_step * dt, pi, data, work)
        for k in range(n_steps):
            step = first_step + k
            stream, control, counts, code = advance(state, t0 + step * dt, dt, pi, data, stream, control, counts, work)
            check = code == 0 and ((k + 1) % save_every == 0 or k == n_steps - 1)
            if check:
                for j in range(n):
                    if not math.isfinite(state[j]):
                        code = 1
                        break
            if code != 0:
                status[i] = code
                failed_at[i] = step + 1
                state[:] = last
                for j in range(k // save_every, saves.shape[0]):
                    saves[j, i, :] = state
                break
            if (k + 1) % save_every == 0:
                saves[(k + 1) // save_every - 1, i, :] = state
                last[:] = state
        for j in range(4):
            s[i, j] = stream[j]
        for j in range(stats.shape[1]):
            stats[i, j] = counts[j]
'''


def generate(system: System, integrator: Integrator, label: str | None = None) -> str:
    """The source of the kernel module of an indexed System."""
    return _IndexedWriter(system, integrator, label).source()
