"""The command line: output, exit codes (0 ok, 1 model error, 2 usage)."""

import subprocess
import sys

import pytest

from actionc.cli import main
from tests.conftest import EXAMPLE_DIR

PENDULUM = EXAMPLE_DIR / "pendulum.act"


def test_check_prints_one_summary_line_per_file_in_order(capsys):
    files = [str(EXAMPLE_DIR / "pendulum.act"), str(EXAMPLE_DIR / "double_well.act")]
    assert main(["check", *files]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{files[0]}: pendulum (lagrangian) coord th; param m=1, l=1, g=9.81",
        f"{files[1]}: double_well (energy) state x, y; param T=0.5",
    ]


def test_check_lists_every_example(capsys):
    files = sorted(str(p) for p in EXAMPLE_DIR.glob("*.act"))
    assert main(["check", *files]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == files


def test_check_reports_errors_and_still_checks_the_other_files(tmp_path, capsys):
    bad = tmp_path / "bad.act"
    bad.write_text("model bad\nstate x\nenergy = y\n")
    assert main(["check", str(bad), str(PENDULUM)]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(f"{bad}:3:10: error: unknown name 'y'\n")
    assert "Traceback" not in captured.err
    assert captured.out.startswith(f"{PENDULUM}: pendulum")


def test_a_missing_file_is_a_bad_request_not_a_traceback(tmp_path, capsys):
    missing = str(tmp_path / "nope.act")
    assert main(["check", missing]) == 2  # a bad request, not a bad model
    assert "cannot read file" in capsys.readouterr().err
    for argv in (["run", missing, "--dt", "0.1", "--steps", "1"], ["derive", missing], ["fmt", missing]):
        assert main(argv) == 2, argv
        assert "cannot read file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [[], ["frobnicate"], ["check"], ["check", "--bogus", "x.act"], ["fmt", "--check", "--write", "x.act"]],
)
def test_bad_usage_exits_2(argv):
    with pytest.raises(SystemExit) as raised:
        exit_code = main(argv)
        raise SystemExit(exit_code)
    assert raised.value.code == 2


def test_fmt_prints_the_canonical_form(capsys):
    assert main(["fmt", str(EXAMPLE_DIR / "ornstein_uhlenbeck.act")]) == 0
    out = capsys.readouterr().out
    assert "dx = theta*(mu - x) dt + sigma dW\n" in out
    assert out.startswith("# The Ornstein-Uhlenbeck process")


def test_fmt_check_and_write(tmp_path, capsys):
    path = tmp_path / "m.act"
    path.write_text("model m  # the model\nstate x\ndx=-x*dt+dW   # OU\n")
    assert main(["fmt", "--check", str(path)]) == 1
    assert "not in canonical form" in capsys.readouterr().err
    assert main(["fmt", "--write", str(path)]) == 0
    assert path.read_text() == "model m  # the model\n\nstate x\n\ndx = -x dt + dW  # OU\n"
    assert main(["fmt", "--check", str(path)]) == 0


def test_the_installed_console_script_runs():
    result = subprocess.run(
        [sys.executable, "-m", "actionc.cli", "check", str(PENDULUM)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{PENDULUM}: pendulum (lagrangian)")
