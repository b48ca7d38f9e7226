"""A Pygments lexer for .act files, registered as the entry point
`pygments.lexers: act`, so `pygmentize model.act` and Markdown code blocks
marked `act` are highlighted. Needs pygments (in the `plot` extra)."""

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

STATEMENTS = (
    "model", "param", "coord", "momentum", "state", "let", "lagrangian", "hamiltonian", "energy",
    "dissipation", "temperature", "friction", "force", "noise", "init",
    "data", "forward", "density", "horizon", "boundary", "input", "from",
)  # fmt: skip
FUNCTIONS = (
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
    "exp", "log", "sqrt", "abs", "normal", "uniform",
)  # fmt: skip


class ActLexer(RegexLexer):
    name = "actionc"
    aliases = ["act", "actionc"]
    filenames = ["*.act"]
    url = "https://github.com/actionc/actionc"

    tokens = {
        "root": [
            (r"[ \t\f]+", Whitespace),
            (r"\\\r?\n", Text),
            (r"\r?\n", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"[^"\n]*"', String.Doc),
            (words(STATEMENTS, suffix=r"\b"), Keyword),
            (words(("ito", "stratonovich", "vp", "subvp", "ve", "periodic"), suffix=r"\b"), Keyword.Constant),
            (words(("sum", "in"), suffix=r"\b"), Keyword.Reserved),
            (r"\b(dt|dW[A-Za-z0-9_]*)\b", Keyword.Pseudo),
            (words(FUNCTIONS, suffix=r"\b(?=\s*\()"), Name.Builtin),
            (r"\b(t|pi)\b", Name.Builtin.Pseudo),
            (r"([A-Za-z][A-Za-z0-9_]*)(')", bygroups(Name.Variable, Operator)),
            (r"[A-Za-z][A-Za-z0-9_]*", Name),
            (r"(\d+(\.(?!\.)\d*)?|\.\d+)([eE][+-]?\d+)?", Number.Float),
            (r"\.\.|\*\*|[-+*/^=<']", Operator),
            (r"[(),:\[\]]", Punctuation),
        ]
    }
