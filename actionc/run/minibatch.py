"""Stochastic gradients of an energy that sums over a data set: the sum
over the n rows replaced by (n/B) times the sum over a minibatch of B rows.

The kernel is not changed for it. Its data are run-time inputs and its
sizes parameters, so the same compiled gradient evaluated on the batch's
rows (size n = B) gives ∇S_B + ∇R, S_B the batch's sum and R the terms
without data (a prior); on the batch's rows twice (n = 2B) it gives
2∇S_B + ∇R. Hence

    ∇Ê = (n/B) ∇S_B + ∇R = (n/B)(G₂ − G₁) + 2G₁ − G₂,

unbiased when the batch is a uniform draw of the rows. This needs an
energy of the form Σ_rows f_i + R (a data sum that is not inside a
nonlinear function, and no size used as a number, like a mean Σ/n): it is
checked once, numerically, by splitting the data in two unequal parts.

Batches: each particle draws a permutation of the rows per epoch and takes
its batches in order (sampling without replacement within an epoch), from
Philox keyed by (seed, particle) at the counter of the epoch — a pure
function of (seed, particle, step), whatever the threads.
"""

from __future__ import annotations

import numpy as np

from actionc.errors import RunError

BATCH_STREAM = 0xBA7C  # Philox keys of batches: (seed, BATCH_STREAM + particle)


class Minibatches:
    """The rows of each particle's batch at each step, and the data of a batch."""

    def __init__(self, meta, data: np.ndarray, params: np.ndarray, batch: int, seed: int) -> None:
        inputs = [(name, list(sizes)) for name, sizes, _ in meta.inputs]
        firsts = {sizes[0] for _, sizes in inputs}
        if not inputs:
            raise RunError("--batch needs a model with data: an 'input' statement and a sum over its rows")
        if len(firsts) != 1:
            raise RunError(
                "--batch needs every input to run over the same rows (the same first size), "
                f"not {', '.join(sorted(firsts))}"
            )
        (self.rows_size,) = firsts
        names = [name for name, _ in meta.params]
        self.size_index = names.index(self.rows_size)
        values = {name: int(params[k]) for k, name in enumerate(names) if name in meta.sizes}
        self.n = values[self.rows_size]
        if not isinstance(batch, (int, np.integer)) or not 1 <= batch <= self.n:
            raise RunError(f"--batch must be a whole number from 1 to the {self.n} rows, not {batch!r}")
        self.batch, self.seed = int(batch), int(seed)
        self.per_epoch = self.n // self.batch  # a last partial batch of an epoch is left out
        self.tables = []  # each input as (rows, row length)
        at = 0
        for _, sizes in inputs:
            width = int(np.prod([values[s] for s in sizes[1:]], dtype=np.int64))
            self.tables.append(data[at : at + self.n * width].reshape(self.n, width))
            at += self.n * width
        self._epoch: dict[int, tuple[int, np.ndarray]] = {}

    def rows(self, particle: int, step: int) -> np.ndarray:
        """The rows of `particle`'s batch at `step` (counting from 0)."""
        epoch, k = divmod(step, self.per_epoch)
        cached = self._epoch.get(particle)
        if cached is None or cached[0] != epoch:
            generator = np.random.Generator(
                np.random.Philox(key=[self.seed % 2**64, BATCH_STREAM + particle], counter=[epoch, 0, 0, 0])
            )
            cached = (epoch, generator.permutation(self.n))
            self._epoch[particle] = cached
        return cached[1][k * self.batch : (k + 1) * self.batch]

    def data(self, rows: np.ndarray, copies: int) -> np.ndarray:
        """The flat data of these rows, `copies` times over (the kernel's layout)."""
        taken = np.concatenate([rows] * copies)
        return np.concatenate([table[taken].ravel() for table in self.tables])


def stochastic_gradient(problem, batches: Minibatches, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """∇Ê at one point x (n,) from the batch `rows` (module doc)."""
    b = len(rows)
    once = problem.at(batches.data(rows, 1), batches.size_index, b).gradient(x[None, :])[0]
    twice = problem.at(batches.data(rows, 2), batches.size_index, 2 * b).gradient(x[None, :])[0]
    return (batches.n / b) * (twice - once) + 2 * once - twice


def check_data_sum(problem, batches: Minibatches, x: np.ndarray) -> None:
    """Refuse an energy that is not Σ_rows f_i + R: with the rows split in
    a third A and the rest C, E(A) + E(C) − R must be E(all rows), R = 2E(all) − E(all twice)
    (unequal parts: with halves a mean Σ/n would pass)."""
    everything = np.arange(batches.n)
    if batches.n < 2:
        return

    def energy(rows, copies):
        data = batches.data(rows, copies)
        return problem.at(data, batches.size_index, len(rows) * copies).energy(x[None, :])[0]

    third = max(1, batches.n // 3)
    whole, doubled = energy(everything, 1), energy(everything, 2)
    rest = 2 * whole - doubled
    split = energy(everything[:third], 1) + energy(everything[third:], 1) - rest
    if not np.isclose(split, whole, rtol=1e-9, atol=1e-9 * (1 + abs(whole))):
        raise RunError(
            "--batch needs an energy that is a sum over the data rows plus terms without data "
            f"(its value on the rows in two halves does not add up: {split:.10g} against {whole:.10g})",
            hint="a data sum inside a nonlinear function, or a size used as a number (a mean: Σ/n), has no "
            "unbiased minibatch estimate by rescaling",
        )
