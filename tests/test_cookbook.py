"""docs/cookbook.md runs as written: every model shown is the file in
examples/cookbook/, every command is run, every line it shows is printed,
and each recipe's numbers agree with their exact answers."""

import contextlib
import io
import math
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, special
from scipy.stats import multivariate_normal

from actionc.cli import main

ROOT = Path(__file__).parents[1]
PAGE = (ROOT / "docs" / "cookbook.md").read_text()


def _sections() -> dict[str, str]:
    parts = re.split(r"^## (.+)$", PAGE, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


SECTIONS = _sections()


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.M | re.S)


def _steps(section: str) -> list[tuple[str, list[str]]]:
    """(command, the lines shown after it) of the section's console blocks."""
    steps = []
    for block in _blocks(SECTIONS[section], "console"):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
    return steps


@pytest.fixture
def kitchen(tmp_path, monkeypatch):
    """A folder with examples/ in it, where the recipes run."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(command: str, capsys) -> str:
    argv = shlex.split(command)
    if argv[0] == "actionc":
        assert main(argv[1:]) == 0, command
        captured = capsys.readouterr()
        return captured.out + captured.err
    if argv[0] == "python":
        argv[0] = sys.executable
    elif argv[0] == "gcc" and shutil.which("gcc") is None:
        pytest.skip("no C compiler")
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return done.stdout + done.stderr


def cook(section: str, capsys) -> list[str]:
    """Run the section's commands; check each shown line is printed; return the outputs."""
    outputs = []
    for command, shown in _steps(section):
        output = _run(command, capsys)
        printed = [line.rstrip() for line in output.splitlines()]
        for line in shown:
            assert line.rstrip() in printed, f"{command}\n  shows {line!r}\n  prints:\n{output}"
        outputs.append(output)
    return outputs


def mean_of(output: str, name: str, group: str | None = None) -> float:
    """The mean of `name` in a summary (in the group whose label starts with `group`)."""
    if group is not None:
        output = output[output.index(f"  {group} (") :]
    return float(re.search(rf"^\s+{re.escape(name)}\s+(\S+)", output, flags=re.M).group(1))


def test_every_model_on_the_page_is_its_example_file():
    shown = _blocks(PAGE, "act")
    files = {path.read_text() for path in (ROOT / "examples" / "cookbook").glob("*.act")}
    assert len(shown) == len(files) == 8
    assert set(shown) == files


def test_every_recipe_is_tested():
    tested = {name[len("test_recipe_") :] for name in globals() if name.startswith("test_recipe_")}
    assert len(SECTIONS) == 9 == len(tested)


def test_recipe_heavy_ball(kitchen, capsys):
    flow, ball = cook("Heavy ball against gradient flow on Rosenbrock", capsys)

    def f(x, y):
        return (1 - x) ** 2 + 100 * (y - x**2) ** 2

    assert f(mean_of(flow, "x"), mean_of(flow, "y")) > 1e-2  # still in the valley
    assert abs(mean_of(ball, "x") - 1) < 1e-9 and abs(mean_of(ball, "y") - 1) < 1e-9  # the minimum


def test_recipe_nesterov(kitchen, capsys):
    (out,) = cook("Nesterov's ODE, from t0 > 0", capsys)
    t = 10.001
    assert mean_of(out, "x") == pytest.approx(2 * special.j1(t) / t, abs=1e-6)  # the start at 1e-3: 1e-7
    assert mean_of(out, "y") == pytest.approx(-2 * 2 * special.j1(t) / t, abs=1e-6)


def test_recipe_logistic_regression(kitchen, capsys):
    (out,) = cook("Bayesian logistic regression with NUTS", capsys)

    def energy(w):
        return w**2 / 2 + sum(np.log1p(np.exp(-s * w)) for s in (1.5, 0.5, 0.3, -1.0, 2.0))

    z = integrate.quad(lambda w: np.exp(-energy(w)), -30, 30)[0]
    exact = integrate.quad(lambda w: w * np.exp(-energy(w)), -30, 30)[0] / z
    row = re.search(r"^  w\s+(\S+)\s+(\S+)\s+(\S+)", out.split("diagnostics")[1], flags=re.M)
    mean, mcse = float(row.group(1)), float(row.group(3))
    assert exact == pytest.approx(0.67761, abs=1e-5)
    assert abs(mean - exact) < 4 * mcse


def test_recipe_fpu(kitchen, capsys):
    (out,) = cook("The FPU chain, a parameter swept", capsys)
    shape = [math.sin(k * math.pi / 5) for k in (1, 2, 3, 4)]  # mode 1, back after one period
    for k, value in enumerate(shape, start=1):
        assert mean_of(out, f"q{k}", "alpha = 0") == pytest.approx(value, abs=1e-5)
    assert abs(mean_of(out, "q4", "alpha = 0.25") - shape[3]) > 1e-2  # the anharmonic chain is not
    assert float(re.search(r"\((\S+) relative\)", out).group(1)) < 1e-6


def test_recipe_kapitza(kitchen, capsys):
    (out,) = cook("Kapitza's pendulum, swept over the drive frequency", capsys)
    threshold = math.sqrt(2 * 9.81 * 1) / 0.05
    assert threshold == pytest.approx(88.6, abs=0.05)
    assert abs(mean_of(out, "th", "w = 50")) > 1  # below the threshold it falls over
    assert abs(mean_of(out, "th", "w = 100")) < 0.1 and abs(mean_of(out, "th", "w = 200")) < 0.1


def test_recipe_diffusion_likelihood(kitchen, capsys):
    _, out = cook("A 2-D diffusion model's likelihood", capsys)
    points = np.load(kitchen / "points.npy")
    mixture = 0.25 * multivariate_normal([-1, 0], 0.4**2).pdf(points)
    mixture += 0.75 * multivariate_normal([1, 1], 0.6**2).pdf(points)
    printed = [float(v) for v in re.findall(r"->\s+(\S+)", out)]
    assert printed == pytest.approx(np.log(mixture), abs=1e-6)


def test_recipe_stratonovich_gbm(kitchen, capsys):
    (out,) = cook("Stratonovich geometric Brownian motion", capsys)
    line = re.search(r"^  S\s+(\S+)\s+(\S+)", out, flags=re.M)
    mean, std = float(line.group(1)), float(line.group(2))
    error = std / math.sqrt(20_000)
    assert abs(mean - math.exp(0.05 + 0.4**2 / 2)) < 4 * error
    assert abs(mean - math.exp(0.05)) > 10 * error  # the Itô answer is far off: the test can fail


def test_recipe_underdamped_rates(kitchen, capsys):
    (out,) = cook("Escape rates of underdamped Langevin dynamics", capsys)
    (snippet,) = _blocks(SECTIONS["Escape rates of underdamped Langevin dynamics"], "python")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet, "cookbook.md", "exec"), {})  # our own page's code
    shown = re.search(r"# (.+)$", snippet.strip().splitlines()[-1]).group(1)
    assert printed.getvalue().strip() == shown
    rate = float(shown.split()[0])
    assert rate / 0.002368 == pytest.approx(1, abs=0.2) and rate / 0.006066 < 0.5


def test_recipe_embedding(kitchen, capsys):
    (program,) = _blocks(SECTIONS["Embedding a model in C"], "c")
    (kitchen / "heavy_ball.c").write_text(program)
    *_, out = cook("Embedding a model in C", capsys)
    x, y = (float(v) for v in re.findall(r"[xy] = ([-0-9.e]+)", out))
    assert abs(x - 1) < 1e-9 and abs(y - 1) < 1e-9
