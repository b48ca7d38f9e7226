"""The samplers of a model with a density p_t: method -> (the direction
actionc.lower lowers the model in, the integrator that runs it). Here, not
in lower.py, so that the command line can tell a sampler without importing
SymPy."""

SAMPLERS = {
    "reverse-em": ("reverse", "euler-maruyama"),
    "pc": ("reverse", "pc"),
    "pf-rk4": ("flow", "rk4"),
    "pf-dopri5": ("flow", "dopri5"),
    "likelihood": ("likelihood", "dopri5"),
}
LOGP_CHANGE = "logp_change"  # the likelihood's last state variable: ∫ ∇·v ds
