"""Readable pure-NumPy reference steps of the integrators, straight from the
textbooks, to check the compiled kernels against (one particle at a time).

Stream gives the kernel's own draws of a particle's stream, so a reference
step can use the very normals and uniforms the kernel used."""

import math

import numpy as np


def rk4(f, x, t, dt):
    k1 = f(x, t)
    k2 = f(x + dt / 2 * k1, t + dt / 2)
    k3 = f(x + dt / 2 * k2, t + dt / 2)
    k4 = f(x + dt * k3, t + dt)
    return x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def leapfrog(f, x, t, dt, half):
    """Kick-drift-kick in x = (q, p): f's first half is q', second p'."""
    x = x.copy()
    x[half:] += dt / 2 * f(x, t)[half:]
    x[:half] += dt * f(x, t)[:half]
    x[half:] += dt / 2 * f(x, t)[half:]
    return x


def euler_maruyama(f, g, x, t, dt, dw):
    return x + f(x, t) * dt + g(x, t) @ dw


def sra1(f, g, x, t, dt, dw, chi):
    """Rößler's SRA1 for additive noise; chi = I_(1,0)/dt per noise."""
    h2 = x + 0.75 * dt * f(x, t) + 1.5 * g(x, t + dt) @ chi
    return x + dt * (f(x, t) / 3 + 2 * f(h2, t + 0.75 * dt) / 3) + g(x, t + dt) @ (dw - chi) + g(x, t) @ chi


def baoab(force, gamma, sigma, x, dt, xi):
    """force(q) = −M⁻¹∇V; gamma, sigma per coordinate; xi the normals."""
    n = len(gamma)
    q, v = x[:n].copy(), x[n:].copy()
    v += dt / 2 * force(q)
    q += dt / 2 * v
    decay = np.exp(-gamma * dt)
    v = decay * v + sigma * np.sqrt(1 - decay**2) * xi
    q += dt / 2 * v
    v += dt / 2 * force(q)
    return np.concatenate([q, v])


def mala(energy, grad, x, dt, temperature, friction, xi, u):
    step = dt / friction
    y = x - step * grad(x) + math.sqrt(2 * temperature * step) * xi
    forward = np.sum((y - x + step * grad(x)) ** 2)
    backward = np.sum((x - y + step * grad(y)) ** 2)
    log_ratio = -(energy(y) - energy(x)) / temperature - (backward - forward) / (4 * temperature * step)
    return (y, True) if log_ratio >= 0 or u < math.exp(log_ratio) else (x, False)


def hmc(potential, grad, q, step, n_steps, r, u):
    """One HMC draw with identity mass (Neal 2011, Fig. 2): leapfrog on
    U(q) + |r|²/2, accept the end with probability min(1, exp(H0 − H1))."""
    q0, h0 = q, potential(q) + r @ r / 2
    for _ in range(n_steps):
        r = r - step / 2 * grad(q)
        q = q + step * r
        r = r - step / 2 * grad(q)
    accept = min(1.0, math.exp(h0 - potential(q) - r @ r / 2))
    return (q, accept) if u < accept else (q0, accept)


class Stream:
    """The kernel's own random stream of one particle, drawn from Python."""

    def __init__(self, compiled, seed: int, particle: int) -> None:
        self.module = compiled.kernel.module
        self.state = self._words(self.module.seed_stream(np.uint64(seed), particle))

    @staticmethod
    def _words(state) -> tuple:
        return tuple(np.uint64(word) for word in state)  # Python ints would type as int64

    def normal(self) -> float:
        value, state = self.module.normal(self.state)
        self.state = self._words(state)
        return value

    def uniform(self) -> float:
        value, state = self.module.uniform(self.state)
        self.state = self._words(state)
        return value

    def replay_initial_draws(self, model) -> None:
        """Consume the draws the kernel made for the model's initial values."""
        for initial in model.init:
            if initial.distribution == "normal":
                self.normal()
            elif initial.distribution == "uniform":
                self.uniform()


def tempering(energy, grad, replicas, dt, temperatures, friction, stream, parity):
    """One replica-exchange step (Earl & Deem 2005): a MALA move of every
    replica at its temperature, then Metropolis swaps of the neighbour pairs
    (k, k+1) with k of the step's parity. Draws from `stream` in the
    kernel's order; returns the replicas and the list of swapped pairs."""
    replicas = [q.copy() for q in replicas]
    for k, temperature in enumerate(temperatures):
        xi = np.array([stream.normal() for _ in replicas[k]])
        replicas[k], _ = mala(energy, grad, replicas[k], dt, temperature, friction, xi, stream.uniform())
    swapped = []
    for k in range(parity, len(replicas) - 1, 2):
        beta_gap = 1 / temperatures[k] - 1 / temperatures[k + 1]
        if stream.uniform() < math.exp(min(0.0, beta_gap * (energy(replicas[k]) - energy(replicas[k + 1])))):
            replicas[k], replicas[k + 1] = replicas[k + 1], replicas[k]
            swapped.append(k)
    return replicas, swapped
