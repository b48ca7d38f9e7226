"""HMC and NUTS on indexed Systems: the scalar kernels' draws (hmc.py,
nuts.py) and Stan's warm-up (warmup.py), the same source, called with the
model's data and over the particle's own arrays.

The state x is the particle's row, updated in place; the control array c
is its row of the ensemble's control, which persists from chunk to chunk
(warm-up, mass matrix, the kept U and ∇U) and whose length is affine in
the state's (warmup.control_length); the trajectory's vectors are rows of
`work`, allocated once per block of steps.
"""

from actionc.codegen.integrators import hmc, nuts, warmup

MODEL = "t, p, data"  # the arguments of an indexed model's functions

_POTENTIAL = '''
@jit_call
def potential(q, t, p, data, temperature, gradient):
    """U = E/T at q, with ∇U written into gradient."""
    u = energy_and_gradient(q, t, p, data, gradient) / temperature
    for i in range(len(gradient)):
        gradient[i] = gradient[i] / temperature
    return u
'''


def _advance(draw: str, doc: str) -> str:
    return f'''
@jit
def prepare(x, t, p, data, work):
    """Nothing: a chain keeps U and ∇U at its state in its control array."""
    return


@jit
def advance(x, t, dt, p, data, s, c, counts, work):
    """{doc}"""
    s, counts, draw = {draw}(x, t, p, data, dt, s, c, counts, work)
    copy(x, draw)
    return s, c, counts, 0
'''


_DRAWS = {"hmc": hmc.draw_source, "nuts": nuts.draw_source}


def source(sampler: str, system) -> str:
    """The source of `sampler` (hmc or nuts) over an indexed model's arrays."""
    doc = f"One {sampler.upper()} draw; in warm-up, one adaptation step."
    return warmup.source(MODEL) + _POTENTIAL + _DRAWS[sampler](MODEL) + _advance(f"{sampler}_draw", doc)
