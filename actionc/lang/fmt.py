"""Model → .act text: the canonical form printed by `actionc fmt`.

Statements come in a fixed order (declarations, lets, dynamics, initial
values), expressions in SymPy's canonical order, and comments stay with the
statement they were written beside. A statement longer than WIDTH columns
is wrapped at its top-level + and − inside parentheses (an expression may
span lines there). Parsing the output gives back an equal
Model: parse(format_model(m)) == m.
"""

from __future__ import annotations

import sympy
from sympy.printing.str import StrPrinter

from actionc import symbols
from actionc.model import Calculus, Initial, Kind, Model

WIDTH = 88  # columns, as black and ruff keep Python


class ActPrinter(StrPrinter):
    """SymPy expressions in .act syntax: `^` for powers, `q'` for velocities,
    floats with the shortest digits that give back the same double."""

    def __init__(self, primes: dict[str, str]) -> None:
        super().__init__({"order": "lex"})
        self.primes = primes  # symbol name -> the primed name it stands for

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


def format_model(model: Model) -> str:
    """The canonical .act text of `model`."""
    return _Formatter(model).text()


class _Formatter:
    def __init__(self, model: Model) -> None:
        self.model = model
        primed = [q.name for q in model.coordinates]
        if model.kind is Kind.LAGRANGIAN:
            primed += [let.name for let in model.lets]
        self.printer = ActPrinter({symbols.velocity_name(n): f"{n}'" for n in primed})
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
        self.section(
            self.group("param", [(f"param {p.name}", f"{p.name} = {self.expr(p.default)}") for p in m.params])
            + self.group("coord", [(f"coord {q.name}", q.name) for q in m.coordinates])
            + self.group("momentum", [(f"momentum {p.name}", p.name) for p in m.momenta] if m.momenta_declared else [])
            + self.group("state", [(f"state {x.name}", x.name) for x in m.state])
        )
        self.section(
            [
                line
                for let in m.lets
                for line in self.group("let", [(f"let {let.name}", self.assigned(let.name, let.written, indent=4))])
            ]
        )
        self.section(self.dynamics())
        self.section(self.group("init", [(self.init_key(i), self.init_item(i)) for i in m.init]))
        leading, _ = m.comments.get("end", ((), None))
        self.section(list(leading))
        return "\n\n".join("\n".join(lines) for lines in self.sections if lines) + "\n"

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
            for k, component in enumerate(m.data, start=1):
                text = ", ".join(f"{key} = {self.array(value)}" for key, value in component.written)
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
        w = self.model.written
        terms = [(w[f"drift {name}"], "dt")] if f"drift {name}" in w else []
        terms += [(w[f"diffusion {name} {n}"], f"d{n}") for n in self.model.noises if f"diffusion {name} {n}" in w]
        if not terms:
            return f"d{name} = 0 dt"
        text = f"d{name} ="
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
        return f"init {self.printer.primes.get(initial.target.name, initial.target.name)}"

    def init_item(self, initial: Initial) -> str:
        target = self.init_key(initial)[len("init ") :]
        args = ", ".join(self.expr(a) for a in initial.args)
        value = args if initial.distribution == "value" else f"{initial.distribution}({args})"
        return f"{target} = {value}"
