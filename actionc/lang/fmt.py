"""Model → .act text: the canonical form printed by `actionc fmt`.

Statements come in a fixed order (declarations, lets, dynamics, initial
values), the terms of sums in the order written (other factors in SymPy's
canonical order), and comments stay with the
statement they were written beside. A statement longer than WIDTH columns
is wrapped at its top-level + and − inside parentheses (an expression may
span lines there). Parsing the output gives back an equal
Model: parse(format_model(m)) == m.
"""

from __future__ import annotations

from typing import Mapping

import sympy
from sympy.printing.str import StrPrinter

from actionc import symbols
from actionc.model import Calculus, Initial, Kind, Model

WIDTH = 88  # columns, as black and ruff keep Python


class ActPrinter(StrPrinter):
    """SymPy expressions in .act syntax: `^` for powers, `q'` for velocities,
    floats with the shortest digits that give back the same double."""

    def __init__(self, primes: dict[str, str], order: Mapping | None = None) -> None:
        super().__init__({"order": "lex"})
        self.primes = primes  # symbol name -> the primed name it stands for
        self.written_order = order or {}  # sums -> their terms as written (Model.order)

    def _as_ordered_terms(self, expr, order=None):
        """The terms of a sum as the person wrote them, where known."""
        written = self.written_order.get(expr)
        return list(written) if written is not None else super()._as_ordered_terms(expr, order=order)

    def doprint(self, expr) -> str:
        return super().doprint(expr).replace("**", "^")

    def _print_Symbol(self, expr) -> str:
        return self.primes.get(expr.name, expr.name)

    def _print_Float(self, expr) -> str:
        return repr(float(expr))

    def _print_Exp1(self, expr) -> str:
        return "exp(1)"

    def _print_Pi(self, expr) -> str:
        return "pi"

    def _print_Abs(self, expr) -> str:
        return f"abs({self._print(expr.args[0])})"

    def _print_Mul(self, expr) -> str:
        """Never `-(a + b)*c`: the language reads it as (−(a + b))·c, and
        SymPy distributes that minus, so the model read back would differ.
        `-c*(a + b)` reads back as the same product."""
        text = super()._print_Mul(expr)
        coefficient, factors = expr.as_coeff_mul()
        sums = [f for f in factors if f.is_Add]
        if not (text.startswith("-(") and coefficient.is_negative and sums and len(factors) > 1):
            return text
        rest = sympy.Mul(coefficient, *(f for f in factors if f is not sums[0]))
        return f"{self._print(rest)}*({self._print(sums[0])})"

    # ---- indexed models ----

    def _print_Indexed(self, expr) -> str:
        base = expr.base.name
        return self.primes.get(base, base) + "[" + ", ".join(self._print(i) for i in expr.indices) + "]"

    def _print_Sum(self, expr) -> str:
        """sum(i in lo..hi, j in …: body); the pairs Σ_i Σ_{j=i+1} as `i < j in lo..hi`."""
        limits = list(reversed(expr.limits))  # SymPy keeps the innermost first
        binders = []
        while limits:
            (i, lo, hi), *limits = limits
            if limits and limits[0][1] == i + 1 and limits[0][2] == hi:
                binders.append(f"{i} < {limits[0][0]} in {self._print(lo)}..{self._print(hi)}")
                limits = limits[1:]
            else:
                binders.append(f"{i} in {self._print(lo)}..{self._print(hi)}")
        return f"sum({', '.join(binders)}: {self._print(expr.function)})"

    def _print_Piecewise(self, expr) -> str:
        """Reports only (not .act syntax): (a if condition else b)."""
        text = "0"
        for value, condition in reversed(expr.args):
            text = (
                self._print(value)
                if condition is sympy.true
                else f"({self._print(value)} if {self._print(condition)} else {text})"
            )
        return text


def format_model(model: Model) -> str:
    """The canonical .act text of `model`."""
    return _Formatter(model).text()


class _Formatter:
    def __init__(self, model: Model) -> None:
        self.model = model
        primed = [q.name for q in model.coordinates]
        if model.kind is Kind.LAGRANGIAN:
            primed += [let.name for let in model.lets]
        self.printer = ActPrinter({symbols.velocity_name(n): f"{n}'" for n in primed}, model.order)
        self.sections: list[list[str]] = []

    def expr(self, expr: sympy.Expr) -> str:
        return self.printer.doprint(expr)

    def assigned(self, head: str, expr: sympy.Expr, indent: int = 0) -> str:
        """`head = expr`, wrapped inside parentheses at the top-level terms of
        a sum when longer than WIDTH (`indent`: columns before it on its line)."""
        text = f"{head} = {self.expr(expr)}"
        if indent + len(text) <= WIDTH or not expr.is_Add:
            return text
        terms = self.printer._as_ordered_terms(expr)  # the order the printer itself uses
        pieces = [self.expr(terms[0])]
        for term in terms[1:]:
            pieces.append(f"- {self.expr(-term)}" if term.could_extract_minus_sign() else f"+ {self.expr(term)}")
        lines, line = [], f"{head} = ({pieces[0]}"
        for piece in pieces[1:]:
            if indent + len(line) + 1 + len(piece) > WIDTH:
                lines.append(line)
                line = "    " + piece
            else:
                line += " " + piece
        return "\n".join([*lines, line + ")"])

    def text(self) -> str:
        m = self.model
        header = f"model {m.name}" + (f' "{m.doc}"' if m.doc is not None else "")
        self.section(self.group("", [("model", header)]))
        params = [p for p in m.params if p.symbol not in m.data_sizes]
        self.section(
            self.inputs()
            + self.group("param", [(f"param {p.name}", f"{p.name} = {self.expr(p.default)}") for p in params])
            + self.group("coord", [(f"coord {q.name}", self.declared(q)) for q in m.coordinates])
            + self.group(
                "momentum", [(f"momentum {p.name}", self.declared(p)) for p in m.momenta] if m.momenta_declared else []
            )
            + self.group("state", [(f"state {x.name}", self.declared(x)) for x in m.state])
            + self.boundaries()
        )
        self.section(
            [
                line
                for let in m.lets
                for line in self.group(
                    "let", [(f"let {let.name}", self.assigned(self.let_head(let), let.written, indent=4))]
                )
            ]
        )
        self.section(self.dynamics())
        self.section(self.group("init", [(self.init_key(i), self.init_item(i)) for i in m.init]))
        leading, _ = m.comments.get("end", ((), None))
        self.section(list(leading))
        return "\n\n".join("\n".join(lines) for lines in self.sections if lines) + "\n"

    def let_head(self, let) -> str:
        """`d`, or for an array of lets `d[i in 0..N]`."""
        if not let.over:
            return let.name
        ranges = ", ".join(f"{i} in {self.expr(lo)}..{self.expr(hi)}" for i, lo, hi in let.over)
        return f"{let.name}[{ranges}]"

    def declared(self, x) -> str:
        array = self.model.arrays.get(x.name)
        if array is None:
            return x.name
        ((lo, hi),) = array.bounds
        return f"{x.name}[{self.expr(lo)}..{self.expr(hi)}]"

    def boundaries(self) -> list[str]:
        items = []
        for q in (*self.model.coordinates, *self.model.state):
            array = self.model.arrays.get(q.name)
            if array is None:
                continue
            if array.periodic:
                items.append((f"boundary {q.name}", f"{q.name} periodic"))
            elif array.fixed:
                text = ", ".join(f"{q.name}[{self.expr(at)}] = {self.expr(v)}" for at, v in array.fixed)
                items.append((f"boundary {q.name}", text))
        return self.group("boundary", items)

    def inputs(self) -> list[str]:
        """`input X[n, d], y[n] from "file"`: one statement per file."""
        by_path: dict = {}
        for item in self.model.inputs:
            by_path.setdefault(item.path, []).append(item)
        lines = []
        for path, items in by_path.items():
            text = ", ".join(f"{i.name}[{', '.join(s.name for s in i.sizes)}]" for i in items)
            suffix = f' from "{path}"' if path is not None else ""
            leading, inline = self.model.comments.get(f"input {items[0].name}", ((), None))
            lines += [*leading, f"input {text}{suffix}" + (f"  {inline}" if inline else "")]
        return lines

    def section(self, lines: list[str]) -> None:
        self.sections.append(lines)

    def group(self, keyword: str, items: list[tuple[str, str]]) -> list[str]:
        """`keyword a, b, c` on as few lines as the comments and WIDTH allow: a
        comment line starts a new statement, and so does an item after an
        inline comment or one that would make the line too long."""
        lines: list[str] = []
        current: list[str] = []
        comment_after: str | None = None

        def flush() -> None:
            if current:
                prefix = f"{keyword} " if keyword else ""
                lines.append(prefix + ", ".join(current) + (f"  {comment_after}" if comment_after else ""))
                current.clear()

        for key, text in items:
            leading, inline = self.model.comments.get(key, ((), None))
            if leading or comment_after:
                flush()
                comment_after = None
            lines.extend(leading)
            if keyword and current and len(f"{keyword} " + ", ".join([*current, text])) > WIDTH:
                flush()  # a long list goes on as a new statement of the same keyword
            current.append(text)
            if inline:
                comment_after = inline
                flush()
        flush()
        return lines

    def dynamics(self) -> list[str]:
        m = self.model
        w = m.written
        lines: list[str] = []
        for key in ("lagrangian", "hamiltonian", "energy", "dissipation"):
            if key in w:
                lines += self.group("", [(key, self.assigned(key, w[key]))])
        for q, _ in m.forces:
            key = f"force {q.name}"
            lines += self.group("force", [(key, self.assigned(q.name, w[key], indent=6))])
        for key in ("temperature", "friction"):
            if key in w:
                lines += self.group("", [(key, self.assigned(key, w[key]))])
        if m.kind is Kind.SDE:
            if m.forward is not None:
                preset, settings = m.forward
                text = ", ".join([preset, *(f"{k} = {self.expr(v)}" for k, v in settings)])
                lines += self.group("forward", [("forward", text)])
            else:
                if m.calculus is not Calculus.ITO or "noise" in m.comments:
                    lines += self.group("noise", [("noise", m.calculus.value)])
                for x in m.state:
                    lines += self.group("", [(f"sde {x.name}", self.sde(x.name))])
            previous = None
            for k, component in enumerate(m.data, start=1):
                if component.over is not None and component.over is previous:
                    continue  # made by the same `data k in …:` line
                previous = component.over
                text = ", ".join(f"{key} = {self.array(value)}" for key, value in component.written)
                if component.over is not None:
                    index, lo, hi = component.over
                    text = f"{index} in {self.expr(lo)}..{self.expr(hi)}: {text}"
                lines += self.group("data", [(f"data {k}", text)])
            for key in ("density", "horizon"):
                if key in w:
                    lines += self.group("", [(key, self.assigned(key, w[key]))])
        return lines

    def array(self, value) -> str:
        if isinstance(value, tuple):
            return "[" + ", ".join(self.array(v) for v in value) + "]"
        return self.expr(value)

    def sde(self, name: str) -> str:
        w, m = self.model.written, self.model
        index = m.sde_indices[[x.name for x in m.state].index(name)] if m.sde_indices else None
        element = f"[{index}]" if index is not None else ""  # dx[i] = … dW[i]: every element
        terms = [(w[f"drift {name}"], "dt")] if f"drift {name}" in w else []
        terms += [(w[f"diffusion {name} {n}"], f"d{n}{element}") for n in m.noises if f"diffusion {name} {n}" in w]
        if not terms:
            return f"d{name}{element} = 0 dt"
        text = f"d{name}{element} ="
        for index, (coefficient, differential) in enumerate(terms):
            if index > 0:
                sign = "+"
                if coefficient.could_extract_minus_sign():
                    sign, coefficient = "-", -coefficient
                text += f" {sign}"
            if coefficient == 1:
                text += f" {differential}"
            else:
                # the coefficient is everything since the previous term; the
                # parentheses are for the reader
                printed = self.expr(coefficient)
                text += f" ({printed}) {differential}" if coefficient.is_Add else f" {printed} {differential}"
        return text

    def init_key(self, initial: Initial) -> str:
        name = self.printer.primes.get(initial.target.name, initial.target.name)
        return f"init {name}" + (f"[{self.expr(initial.index)}]" if initial.index is not None else "")

    def init_item(self, initial: Initial) -> str:
        target = self.init_key(initial)[len("init ") :]
        args = ", ".join(self.expr(a) for a in initial.args)
        value = args if initial.distribution == "value" else f"{initial.distribution}({args})"
        return f"{target} = {value}"
