"""The integrators, in one explicit table, and the default for each model."""

from actionc.codegen.integrators.arrays import ARRAY_METHODS, default_array_method
from actionc.codegen.integrators.base import FAILURES, Integrator
from actionc.codegen.integrators.dopri5 import DOPRI5
from actionc.codegen.integrators.explicit import EULER, RK4
from actionc.codegen.integrators.hmc import HMC
from actionc.codegen.integrators.implicit import IMPLICIT_MIDPOINT
from actionc.codegen.integrators.langevin import BAOAB, MALA
from actionc.codegen.integrators.nuts import NUTS
from actionc.codegen.integrators.stochastic import EULER_MARUYAMA, HEUN, MILSTEIN, PREDICTOR_CORRECTOR, SRA1
from actionc.codegen.integrators.symplectic import LEAPFROG, YOSHIDA4
from actionc.codegen.integrators.tempering import TEMPERING
from actionc.codegen.integrators.variational import VARIATIONAL, VARIATIONAL_TRAPEZOID
from actionc.errors import MethodError
from actionc.kinds import Kind
from actionc.system import System

INTEGRATORS: dict[str, Integrator] = {
    i.name: i
    for i in (
        EULER,
        RK4,
        DOPRI5,
        LEAPFROG,
        YOSHIDA4,
        IMPLICIT_MIDPOINT,
        VARIATIONAL,
        VARIATIONAL_TRAPEZOID,
        EULER_MARUYAMA,
        MILSTEIN,
        HEUN,
        SRA1,
        PREDICTOR_CORRECTOR,
        BAOAB,
        MALA,
        HMC,
        NUTS,
        TEMPERING,
    )
}


def default_method(system: System) -> str:
    """Symplectic for conservative mechanics, BAOAB for underdamped
    Langevin, Euler–Maruyama for SDEs and overdamped Langevin, RK4 else."""
    if system.indexed:
        return default_array_method(system)
    if system.langevin is not None and BAOAB.applies(system) is None:
        return "baoab"
    if system.is_stochastic:
        return "euler-maruyama"
    if system.separable is not None:
        return "leapfrog"
    if system.kind is Kind.HAMILTONIAN and system.mass_matrix is None:
        return "implicit-midpoint"
    return "rk4"


def fitting_methods(system: System) -> list[str]:
    if system.indexed:
        return [name for name, method in ARRAY_METHODS.items() if method.applies(system) is None]
    return [name for name, integrator in INTEGRATORS.items() if integrator.applies(system) is None]


def choose(system: System, method: str | None) -> Integrator:
    """The integrator for `method` (default: the model's), or a MethodError
    that says why it does not fit and names the methods that do."""
    if system.indexed:
        return _choose_array(system, method)
    name = method or default_method(system)
    integrator = INTEGRATORS.get(name)
    if integrator is None:
        raise MethodError(f"unknown method '{name}'; the methods are: {', '.join(INTEGRATORS)}")
    reason = integrator.applies(system)
    if reason is not None:
        raise MethodError(
            f"method '{name}' does not fit the {system.kind} model '{system.name}': {reason}; "
            f"methods that fit: {', '.join(fitting_methods(system))}"
        )
    return integrator


def _choose_array(system: System, method: str | None) -> Integrator:
    """The integrator of an indexed System: one that has an array template."""
    name = method or default_array_method(system)
    fitting = [n for n, m in ARRAY_METHODS.items() if m.applies(system) is None]
    if name not in ARRAY_METHODS:
        known = "unknown method" if name not in INTEGRATORS else "method"
        raise MethodError(
            f"{known} '{name}' is not available for indexed models (arrays) yet; methods that fit: {', '.join(fitting)}"
        )
    reason = ARRAY_METHODS[name].applies(system)
    if reason is not None:
        raise MethodError(
            f"method '{name}' does not fit the {system.kind} model '{system.name}': {reason}; "
            f"methods that fit: {', '.join(fitting)}"
        )
    return INTEGRATORS[name]


__all__ = ["INTEGRATORS", "FAILURES", "Integrator", "MethodError", "choose", "default_method", "fitting_methods"]
