"""Loading grammar/actionc.lark and turning text into a Lark tree.

The grammar ships inside the wheel as ``actionc/grammar/actionc.lark``; in a
source checkout it is read from ``grammar/actionc.lark`` at the repository
root, its one true home. Syntax errors leave this module as ModelError, in
words a person knows ("a name", "end of line"), never as terminal names.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterator

import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from actionc.errors import ModelError, Span, did_you_mean
from actionc.lang.syntax import Comment

KEYWORDS = frozenset(
    "model param coord momentum state let lagrangian hamiltonian energy dissipation"
    " temperature friction force noise init dt boundary input from sum in".split()
)

# What each terminal is called in "expected …" hints, in the order they are listed.
_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "DOCSTRING": "a docstring in double quotes",
    "DT": "'dt'",
    "NOISE": "a noise 'dW'",
    "PRIME": "a prime (')",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "EQUAL": "'='",
    "MODEL": "'model'",
}
MAX_NESTING = 100
_EXPRESSION_STARTS = {"NAME", "NUMBER", "LPAR", "MINUS", "PLUS"}
_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "POW"}
# tokens that can end a coefficient: only after one of them may `*` stand before `dt`/`dW`
_OPERAND_ENDS = {"NAME", "NUMBER", "RPAR", "RSQB", "PRIME"}


def _grammar_text() -> str:
    packaged = resources.files("actionc") / "grammar" / "actionc.lark"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parents[2] / "grammar" / "actionc.lark"
    return checkout.read_text(encoding="utf-8")


class _PostLexer:
    """Drops newlines inside parentheses and brackets, drops a `*` between a coefficient
    and `dt`/`dW`, lets a docstring stand on the line after `model NAME`, and collects
    comments (which live inside newline tokens) for the formatter."""

    always_accept = ("_NL",)

    def __init__(self) -> None:
        self.text = ""
        self.comments: list[Comment] = []
        self.open_parens: list[lark.Token] = []

    def process(self, stream: Iterator[lark.Token]) -> Iterator[lark.Token]:
        self.open_parens = []
        star = None
        previous = None  # the type of the last token passed on
        header = 0  # tokens of the `model NAME` line passed on so far
        newline = None  # a newline right after it, held back: a docstring may follow
        for token in stream:
            if token.type == "_NL":
                self._collect_comments(token)
                if self.open_parens:
                    continue
            if newline is not None:
                if token.type != "DOCSTRING":
                    yield newline
                newline = None
            if header == 2 and token.type == "_NL":
                header, newline = 3, token
                continue
            if star is not None:
                if token.type not in ("DT", "NOISE"):
                    yield star
                star = None
            if token.type == "STAR" and previous in _OPERAND_ENDS:  # `2*dt`: the `*` is dropped
                star = token
                continue
            header += header < 2 and token.type != "_NL"
            previous = token.type
            if token.type in ("LPAR", "LSQB"):
                self.open_parens.append(token)
                if len(self.open_parens) > MAX_NESTING:
                    raise ModelError(
                        f"parentheses nested more than {MAX_NESTING} deep",
                        Span(token.line, token.column),
                        hint="split the expression with 'let'",
                    )
            elif token.type in ("RPAR", "RSQB") and self.open_parens:
                self.open_parens.pop()
            yield token
        if star is not None:
            yield star
        if newline is not None:
            yield newline

    def _collect_comments(self, token: lark.Token) -> None:
        for match in re.finditer(r"#[^\n]*", token.value):
            pos = token.start_pos + match.start()
            line_start = self.text.rfind("\n", 0, pos) + 1
            inline = self.text[line_start:pos].strip() != ""
            line = token.line + token.value.count("\n", 0, match.start())
            self.comments.append(Comment(match.group().rstrip(), line, inline))


@lru_cache(maxsize=1)
def _parser() -> lark.Lark:
    return lark.Lark(
        _grammar_text(),
        parser="lalr",
        lexer="basic",
        propagate_positions=True,
        maybe_placeholders=True,
        postlex=_PostLexer(),
    )


def parse_tree(text: str) -> tuple[lark.Tree, tuple[Comment, ...]]:
    """Parse .act text into a Lark tree and its comments (ModelError on bad syntax)."""
    parser = _parser()
    postlex: _PostLexer = parser.options.postlex
    postlex.text, postlex.comments = text, []
    try:
        tree = parser.parse(text)
    except UnexpectedInput as error:
        raise _syntax_error(error, text) from None
    return tree, tuple(postlex.comments)


def _syntax_error(error: UnexpectedInput, text: str) -> ModelError:
    if isinstance(error, UnexpectedCharacters):
        char = text[error.pos_in_stream]
        return ModelError(
            f"unexpected character {char!r}",
            Span(error.line, error.column),
            hint=_character_hint(char),
        )
    unclosed = _unclosed_paren()
    unclosed_hint = unclosed and f"the '(' on line {unclosed.line}, column {unclosed.column} is never closed"
    if isinstance(error, UnexpectedEOF):
        return ModelError("unexpected end of file", _end_span(text), hint=unclosed_hint or _expected(error.expected))
    assert isinstance(error, UnexpectedToken)
    token = error.token
    expected = set(error.accepts or error.expected)
    if token.type == "$END":
        return ModelError("unexpected end of file", _end_span(text), hint=unclosed_hint or _expected(expected))
    if token.type == "_NL":
        line = token.line
        column = len(text.splitlines()[line - 1].rstrip()) + 1 if token.line else 1
        return ModelError("unexpected end of line", Span(line, column), hint=_expected(expected))
    span = Span(token.line, token.column, len(token.value))
    if unclosed is not None and token.value in KEYWORDS:
        return ModelError(f"unexpected '{token.value}' inside parentheses", span, hint=unclosed_hint)
    if token.value in KEYWORDS and "NAME" in expected:
        return ModelError(
            f"'{token.value}' is a reserved word and cannot be used as a name",
            span,
            hint="choose another name",
        )
    if token.type == "NOISE" and "NAME" in expected:
        return ModelError(
            f"'{token.value}' is a noise and cannot be used as a name",
            span,
            hint="names beginning with 'dW' are noises of SDE equations; choose another name",
        )
    if "MODEL" in expected:
        return ModelError(f"unexpected '{token.value}'", span, hint="an .act file begins with 'model NAME'")
    if token.type == "RSQB" and "IN" in expected:
        return ModelError(
            f"unexpected '{token.value}'", span, hint="an array of lets gives its range: let d[i in 1..N] = …"
        )
    if token.type in ("LSQB", "RSQB") and "LSQB" not in expected:
        return ModelError(
            f"unexpected '{token.value}'",
            span,
            hint="brackets index arrays in expressions (q[i+1]), declare them (coord q[1..N]) and give the "
            "ranges of arrays of lets (let d[i in 0..N] = …); equations and parameters of arrays are not in the "
            "language yet (docs/indexed.md)",
        )
    if token.type == "DOCSTRING":
        return ModelError("unexpected text in double quotes", span, hint=_character_hint('"'))
    misspelt = _misspelt_statement(text, token)
    if misspelt:
        return ModelError(f"unexpected '{token.value}'", span, hint=misspelt)
    hint = _expected(expected)
    if hint and "an operator" in hint and token.type in ("NAME", "NUMBER", "LPAR"):
        hint += "; to multiply, write '*'"
    return ModelError(f"unexpected '{token.value}'", span, hint=hint)


_STATEMENTS = KEYWORDS - {"model", "dt"} | {"density", "horizon", "data", "forward"}


def _misspelt_statement(text: str, token: lark.Token) -> str | None:
    """'did you mean 'param'?' when the word before the token begins its
    line and is spelt like a statement keyword (parm g = 9.81)."""
    line = text.splitlines()[token.line - 1] if token.line else ""
    words = re.findall(r"[A-Za-z_]\w*", line[: token.column - 1])
    if len(words) != 1 or not line.lstrip().startswith(words[0]) or words[0] in _STATEMENTS:
        return None
    return did_you_mean(words[0], _STATEMENTS)


def _unclosed_paren() -> lark.Token | None:
    """The innermost '(' still open where the lexer stopped, if any."""
    open_parens = _parser().options.postlex.open_parens
    return open_parens[-1] if open_parens else None


def _expected(terminals: set[str] | frozenset[str]) -> str | None:
    names = set(terminals)
    if "DT" in names and "NOISE" in names:
        return "an SDE equation reads 'dx = drift dt + coefficient dW'; to name an expression write 'let NAME = …'"
    words = []
    if _EXPRESSION_STARTS <= names:
        words.append("an expression")
        names -= _EXPRESSION_STARTS
    if _OPERATORS <= names:
        words.append("an operator")
        names -= _OPERATORS
    words += [word for name, word in _WORDS.items() if name in names]
    if names & {"_NL", "$END"}:
        words.append("end of line")
    if not words:
        return None
    return "expected " + ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1]


def _character_hint(char: str) -> str | None:
    if char == '"':
        return "text in double quotes is only allowed as the docstring right after 'model NAME'"
    if char == "_":
        return "names start with a letter"
    if char in ".{}":
        return "expressions are arithmetic on names, numbers and functions; there is no attribute access or indexing"
    if char in ":;=<>!&|@$%?`~\\":
        return "expressions use + - * / ^ and parentheses"
    return None


def _end_span(text: str) -> Span:
    lines = text.splitlines() or [""]
    return Span(len(lines), len(lines[-1].rstrip()) + 1)
