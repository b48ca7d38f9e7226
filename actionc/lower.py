"""Model + derivations → System: the only way into the back end."""

from __future__ import annotations

import dataclasses

import sympy

from actionc import lower_indexed, symbols
from actionc.derive import calculus, diffusion, mechanics, reverse, stochastic, thermo, variational
from actionc.errors import ModelError
from actionc.methods import Direction
from actionc.model import Calculus, Kind, Model
from actionc.system import (
    DiscreteStep,
    Event,
    Gibbs,
    Initial,
    LangevinSplit,
    MassMatrix,
    Mixture,
    Noise,
    Parameter,
    Requirement,
    SeparableSplit,
    System,
)


def lower(
    model: Model,
    *,
    mass_matrix: bool | None = None,
    direction: Direction = Direction.FORWARD,
    external_score: bool = False,
    event: Event | None = None,
) -> System:
    """The first-order System of a model (with `event`, one the kernel
    watches for: a first passage or a Poincaré section).

    Lagrangian models with more than mechanics.SYMBOLIC_SOLVE_MAX
    coordinates keep their mass matrix, solved numerically by the kernel;
    `mass_matrix=True/False` forces the choice (the System means the same
    dynamics either way). `direction` other than forward (see actionc.methods)
    lowers an SDE model with a density p_t to its reverse-time SDE, its
    probability-flow ODE, or the flow with the integrated divergence;
    with `external_score` the score is not derived but supplied at run time
    (actionc.run.sampling), and the run starts from p_T of the data, or
    N(0, N(T)) of a linear forward SDE, or the model's init.
    """
    common = dict(
        name=model.name,
        kind=model.kind,
        params=tuple(Parameter(p.symbol, p.value) for p in model.params),
        time=symbols.time,
        init=_initial_values(model),
    )
    if model.is_indexed:
        if direction is not Direction.FORWARD or event is not None:
            what = (
                f"the {direction.value} direction (samplers, likelihoods)"
                if event is None
                else "events (--until, --section)"
            )
            raise ModelError(
                f"{what} is not supported for indexed models yet",
                None,
                hint="indexed models run forward: energy models with euler-maruyama or mala, mechanics with "
                "leapfrog, yoshida4 or rk4",
                filename=model.filename,
                source=model.source,
            )
        return lower_indexed.lower(model, common)
    if direction is not Direction.FORWARD:  # first: it says what sampling or a likelihood needs
        return _lower_sampler(model, direction, common, external_score)
    if event is not None:
        common["event"] = event
    if model.kind is Kind.LAGRANGIAN:
        return _lower_lagrangian(model, mass_matrix, common)
    if model.kind is Kind.HAMILTONIAN:
        return _lower_hamiltonian(model, common)
    if model.kind is Kind.ENERGY:
        return _lower_energy(model, common)
    return _lower_sde(model, common)


def _system(**fields) -> System:
    """A System with what follows from its fields computed once: the noise's
    structure, ∇·f of SDEs, the Lagrangian's derivatives."""
    state, diffusion_rows = fields["state"], fields.get("diffusion")
    if diffusion_rows is not None:
        n, m = len(state), len(fields["noises"])
        milstein = stochastic.milstein_terms(diffusion_rows, state)
        fields["noise"] = Noise(
            diagonal=stochastic.is_diagonal(diffusion_rows, n, m),
            additive=stochastic.is_additive(diffusion_rows, state),
            commutative=stochastic.is_commutative(milstein, n, m),
            milstein=milstein,
        )
        if fields.get("mass_matrix") is None:
            fields["divergence"] = calculus.divergence(fields["ito_drift"], state)
    if fields.get("lagrangian") is not None:
        fields["lagrangian_gradient"] = calculus.gradient(fields["lagrangian"], state)
        fields["lagrangian_hessian"] = calculus.symmetric_hessian(fields["lagrangian"], state)
    return System(**fields)


def equip(system: System, requirements) -> System:
    """`system` with what an integrator needs beyond every System (its
    Requirements): the drift's Jacobian, or a discrete Lagrangian step."""
    supply = {
        Requirement.JACOBIAN: lambda: {"jacobian": calculus.jacobian(system.drift, system.state)},
        Requirement.MIDPOINT_STEP: lambda: {"discrete": _discrete_step(system, "midpoint")},
        Requirement.TRAPEZOID_STEP: lambda: {"discrete": _discrete_step(system, "trapezoid")},
    }
    added = {}
    for requirement in requirements:
        added.update(supply[requirement]())
    return dataclasses.replace(system, **added) if added else system


def _discrete_step(system: System, rule: str) -> DiscreteStep:
    coordinates = tuple(system.state[i] for i in system.coordinates)
    velocities = tuple(system.state[i] for i in system.conjugates)
    step = variational.discretize(system.lagrangian, coordinates, velocities, system.time, rule, system.forces)
    momentum = calculus.gradient(system.lagrangian, velocities)
    return DiscreteStep(
        rule=rule,
        start=step.start,
        end=step.end,
        step=step.step,
        start_momentum=step.start_momentum,
        end_momentum=step.end_momentum,
        start_jacobian=tuple(e for row in calculus.jacobian(step.start_momentum, step.end) for e in row),
        momentum=momentum,
        momentum_jacobian=tuple(e for row in calculus.jacobian(momentum, velocities) for e in row),
    )


def _initial_values(model: Model) -> tuple[Initial, ...]:
    index = {x: i for i, x in enumerate(model.variables)}
    return tuple(Initial(index[i.target], i.distribution, i.args) for i in model.init)


def _invariants(model: Model, form=None) -> tuple[tuple[str, sympy.Expr], ...]:
    return tuple(mechanics.invariants(model, form).items())


def _lower_lagrangian(model: Model, mass_matrix: bool | None, common: dict) -> System:
    n = len(model.coordinates)
    state = model.coordinates + model.velocities
    if model.temperature is not None:
        sde, split = thermo.underdamped_langevin(model)
        return _system(
            state=state,
            coordinates=tuple(range(n)),
            conjugates=tuple(range(n, 2 * n)),
            drift=tuple(sde.drift),
            ito_drift=tuple(sde.drift),
            diffusion=_rows(sde.diffusion),
            noises=sde.noises,
            langevin=_langevin(split, model.coordinates),
            invariants=_invariants(model),
            lagrangian=model.lagrangian,
            **common,
        )
    form = mechanics.mass_matrix_form(model)
    mechanics.check_regular(model, form)
    if mass_matrix is None:
        mass_matrix = n > mechanics.SYMBOLIC_SOLVE_MAX
    if mass_matrix:
        unknowns = tuple(symbols.acceleration(q) for q in model.coordinates)
        drift = (*model.velocities, *unknowns)
        implicit = MassMatrix(unknowns, _rows(form.matrix), tuple(form.forcing))
    else:
        drift = (*model.velocities, *mechanics.accelerations(model, form))
        implicit = None
    return _system(
        state=state,
        coordinates=tuple(range(n)),
        conjugates=tuple(range(n, 2 * n)),
        drift=drift,
        ito_drift=drift,
        mass_matrix=implicit,
        separable=_lagrangian_separable(model, form),
        invariants=_invariants(model, form),
        lagrangian=model.lagrangian,
        forces=_forces(model),
        **common,
    )


def _forces(model: Model) -> tuple[sympy.Expr, ...] | None:
    forces = tuple(mechanics.generalized_forces(model))
    return forces if any(Q != 0 for Q in forces) else None


def _lagrangian_separable(model: Model, form: mechanics.MassMatrixForm) -> SeparableSplit | None:
    found = mechanics.lagrangian_separable_split(model, form)
    if found is None:
        return None
    n = len(model.coordinates)  # the state is (q, q'): the velocities play the momenta
    return SeparableSplit(tuple(range(n)), tuple(range(n, 2 * n)), found.kinetic, found.potential)


def _lower_hamiltonian(model: Model, common: dict) -> System:
    equations = mechanics.hamilton_equations(model)
    state = model.coordinates + model.momenta
    drift = tuple(equations[x] for x in state)
    n = len(model.coordinates)
    split = None
    if not model.forces:
        found = mechanics.separable_split(model.hamiltonian, model.coordinates, model.momenta)
        if found is not None:
            split = SeparableSplit(tuple(range(n)), tuple(range(n, 2 * n)), found.kinetic, found.potential)
    return _system(
        state=state,
        coordinates=tuple(range(n)),
        conjugates=tuple(range(n, 2 * n)),
        drift=drift,
        ito_drift=drift,
        separable=split,
        invariants=_invariants(model),
        **common,
    )


def _lower_energy(model: Model, common: dict) -> System:
    sde = stochastic.sde_of(model)
    gradient = calculus.gradient(model.energy, model.state)
    hessian = calculus.jacobian(gradient, model.state)
    gibbs = Gibbs(model.energy, thermo.temperature(model), thermo.friction(model), gradient, hessian)
    return _system(
        state=model.state,
        drift=tuple(sde.drift),
        ito_drift=tuple(sde.drift),
        diffusion=_rows(sde.diffusion) if sde.diffusion is not None else None,
        noises=sde.noises,
        gibbs=gibbs,  # without a `temperature`, T = 1: optimizers and samplers read E all the same
        **common,
    )


def _lower_sde(model: Model, common: dict) -> System:
    ito = stochastic.sde_of(model)  # Itô form
    has_noise = bool(model.noises)
    if model.data:
        mixture = _mixture(diffusion.components(model), sympy.Integer(0))
        common = {**common, "mixture": mixture, "horizon": diffusion.horizon(model)}
    return _system(
        state=model.state,
        drift=tuple(model.drift),
        ito_drift=tuple(ito.drift),
        diffusion=model.diffusion if has_noise else None,
        noises=model.noises,
        calculus=model.calculus if has_noise else Calculus.ITO,
        **common,
    )


def _lower_sampler(model: Model, direction: Direction, common: dict, external_score: bool = False) -> System:
    """The reverse-time SDE, probability flow or likelihood flow of an SDE
    with a known density p_t (derive.reverse), its score in closed form."""
    if external_score:
        return _lower_external_score(model, direction, common)
    if not model.runs_backwards:
        what = "a likelihood" if direction is Direction.LIKELIHOOD else "sampling backwards"
        raise model.error(
            f"{what} needs an SDE model with noise and a density p_t (data, or 'density = …')",
            at=f"state {model.state[0].name}" if model.state else "model",
            hint="add data ('data mean = …, std = …') and a forward SDE, or 'density = …' for given SDE equations",
        )
    T = diffusion.horizon(model)
    sde = stochastic.sde_of(model)
    gaussians = diffusion.components(model) if model.data else []
    if gaussians:
        stable = diffusion.stable_score(gaussians, model.state)
        score, log_density = sympy.Matrix(stable.score), stable.log_density
    else:
        log_density = sympy.log(model.density)
        score = reverse.score(log_density, model.state)
    flow = reverse.flow_velocity(sde, score)
    if direction is Direction.LIKELIHOOD:
        if model.data:  # tr(D ∇s) in closed form keeps the responsibilities stable
            D, _ = reverse.noise_parts(sde)
            divergence_flow = (
                calculus.divergence(sde.drift, model.state) - diffusion.score_divergence(gaussians, model.state, D) / 2
            )
        else:
            divergence_flow = calculus.divergence(flow, model.state)
        drift = (*flow, divergence_flow)
        return _system(
            state=(*model.state, symbols.logp_change),
            drift=drift,
            ito_drift=drift,
            direction=direction,
            horizon=T,
            score=tuple(score),
            log_density=log_density,
            **common,
        )
    mixture = _mixture(gaussians, T) if gaussians else None
    common = {**common, "init": () if model.data else common["init"], "mixture": mixture, "horizon": T}
    return _backwards(model, sde, score, direction, common, log_density)


def _backwards(model: Model, sde, score: sympy.Matrix, direction: Direction, common: dict, log_density=None) -> System:
    """The reverse-time SDE or the probability flow of `sde` given its score
    (at the model's time), in kernel time t: the model's time is T − t."""
    t = symbols.time
    backwards = {t: common["horizon"] - t}  # kernel time runs 0 → T while the model's runs T → 0
    noise = {}
    if direction is Direction.FLOW:
        field = reverse.flow_velocity(sde, score)
    else:
        field = reverse.reverse_drift(sde, score)
        noise = {"diffusion": _rows(sde.diffusion.xreplace(backwards)), "noises": model.noises}
    drift = tuple(-v.xreplace(backwards) for v in field)
    return _system(
        state=model.state,
        drift=drift,
        ito_drift=drift,
        direction=direction,
        score=tuple(e.xreplace(backwards) for e in score),
        log_density=None if log_density is None else log_density.xreplace(backwards),
        **noise,
        **common,
    )


def _lower_external_score(model: Model, direction: Direction, common: dict) -> System:
    if model.kind is not Kind.SDE or not model.noises or direction not in (Direction.REVERSE, Direction.FLOW):
        raise model.error(
            "a score supplied at run time drives the reverse-time SDE or the probability flow of an SDE model",
            at=f"state {model.state[0].name}" if model.state else "model",
            hint="use a model with a forward SDE ('forward vp', or SDE equations) and reverse-em, pc or pf-rk4",
        )
    t, T = symbols.time, diffusion.horizon(model)
    sde = stochastic.sde_of(model)
    score_symbols = tuple(symbols.symbol(f"score_{x.name}") for x in model.state)
    score = sympy.Matrix(score_symbols)  # ∇log p at the model's time, supplied by the caller
    if model.data:
        mixture = _mixture(diffusion.components(model), T)
    elif model.density is None and not model.init:
        try:
            noise = diffusion.marginal(model).noise.subs(t, T)
        except ModelError:
            raise model.error(
                "where to start sampling: this forward SDE is not linear, so p_T is unknown",
                at=f"sde {model.state[0].name}",
                hint="give the initial values at T with 'init'",
            ) from None
        n = len(model.state)
        mixture = Mixture((sympy.Integer(1),), ((sympy.Integer(0),) * n,), (_rows(noise),))
    else:
        mixture = None
    common = {**common, "mixture": mixture, "horizon": T, "external_score": score_symbols}
    return _backwards(model, sde, score, direction, common)


def _mixture(gaussians: list, at: sympy.Expr) -> Mixture:
    gaussians = diffusion.at_time(gaussians, at)
    return Mixture(
        tuple(g.weight for g in gaussians),
        tuple(tuple(g.mean) for g in gaussians),
        tuple(_rows(g.cov) for g in gaussians),
    )


def _langevin(split: thermo.LangevinSplit | None, coordinates) -> LangevinSplit | None:
    if split is None:
        return None
    n = len(coordinates)
    return LangevinSplit(
        positions=tuple(range(n)),
        velocities=tuple(range(n, 2 * n)),
        mass=_rows(split.mass),
        friction=_rows(split.friction),
        force=split.force,
        potential=split.potential,
        temperature=split.temperature,
        hessian=calculus.symmetric_hessian(split.potential, coordinates),
    )


def _rows(matrix: sympy.Matrix) -> tuple[tuple[sympy.Expr, ...], ...]:
    return tuple(tuple(matrix[i, j] for j in range(matrix.shape[1])) for i in range(matrix.shape[0]))
