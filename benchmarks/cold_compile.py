"""Where the seconds of a cold `actionc run` go, per example and stage, each
example in a fresh process with an empty kernel cache:

    python benchmarks/cold_compile.py [EXAMPLE[:METHOD] ...]   (default: every scalar example; or .act files)

  import    importing actionc's front end, SymPy and Numba
  parse     .act text → Model (Lark)
  derive    Model → System (SymPy: lower, equip)
  print     System → kernel source (printer, CSE)
  load      importing the kernel module (Numba's decorators)
  typing    Numba: bytecode → typed IR → LLVM IR (the first call, less LLVM)
  llvm      Numba: LLVM optimization and machine code (time under its LLVM lock)
  library   the shared library for warm runs (object code again, PIC; cc links it)
  total     the sum (the run itself, 10 steps, is negligible)
  wall      the process, start to end (Python's own start, and the run, too)
  CPU       the process's CPU seconds (user + system): less disturbed by a loaded machine
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
INDEXED = {"allen_cahn", "fput", "logistic_regression", "pleiades"}

PROBE = r"""
import json, sys, time
started = time.perf_counter()
import actionc, sympy, numba, lark
from numba.core import event
from actionc import pipeline
from actionc.codegen import kernel as kernels, module as modules
from actionc.codegen.integrators import choose
from actionc.lower import equip
from actionc.methods import decode
times = {"import": time.perf_counter() - started}
llvm = []

def stage(name, function, *args):
    start = time.perf_counter()
    value = function(*args)
    times[name] = time.perf_counter() - start
    return value

path, method = sys.argv[1], sys.argv[2] or None
model = stage("parse", actionc.load, path)
def derive():
    system = pipeline.system(model, decode(method))
    integrator = choose(system, decode(method).integrator)
    return equip(system, integrator.requires), integrator
system, integrator = stage("derive", derive)
source = stage("print", modules.generate, system, integrator, decode(method).label)
kernel = stage("load", lambda: kernels.build(source))
kernel.module  # imported by build
from actionc.codegen import library
built = library.build
library.build = lambda *a: None  # timed below, on its own
compiled = pipeline.Compiled(kernel)
with event.install_timer("numba:llvm_lock", llvm.append):
    stage("compile", lambda: compiled.run(dt=1e-3, steps=10, particles=1, threads=1))
times["llvm"] = sum(llvm)
times["typing"] = times.pop("compile") - times["llvm"]
stage("library", built, kernel.path, kernel.module.run_particles)
times["states"] = len(kernel.meta.state)
times["source_lines"] = source.count("\n")
print(json.dumps(times))
"""

COLUMNS = ("import", "parse", "derive", "print", "load", "typing", "llvm", "library")


def measure(example: str, method: str | None) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ACTIONC_CACHE_DIR": cache}
        path = example if example.endswith(".act") else str(EXAMPLES / f"{example}.act")
        command = [sys.executable, "-c", PROBE, path, method or ""]
        out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {**json.loads(out.splitlines()[-1]), "cpu": cpu}


def main() -> None:
    wanted = sys.argv[1:] or sorted(p.stem for p in EXAMPLES.glob("*.act") if p.stem not in INDEXED)
    print("| model (method) | states | lines | " + " | ".join(COLUMNS) + " | total | wall | CPU |")
    print("|---|--:|--:|" + "--:|" * (len(COLUMNS) + 3))
    for item in wanted:
        example, _, method = item.partition(":")
        start = time.perf_counter()
        times = measure(example, method or None)
        wall = time.perf_counter() - start
        cells = " | ".join(f"{times[c]:.2f}" for c in COLUMNS)
        total = sum(times[c] for c in COLUMNS)
        label = f"{example} ({method})" if method else example
        size = f"{times['states']} | {times['source_lines']}"
        print(f"| {label} | {size} | {cells} | {total:.2f} | {wall:.2f} | {times['cpu']:.2f} |")
    print(f"\n(python {' '.join(sys.argv)})")


if __name__ == "__main__":
    main()
