"""The lines an event adds to the tuple driver (codegen.module's
run_particles), kept here so the driver itself changes by three slots.

What they record is read by actionc.run.events: per particle, the time
and state of each crossing in `events[i, j]`, and their count in
`n_events[i]`.
"""

from __future__ import annotations

from actionc.system import Event


def driver_lines(event: Event | None, n: int) -> tuple[str, str, str]:
    """(stopped, watch, detect): the driver's lines for an event. `stopped`
    skips a particle whose first passage is done; `watch` evaluates g at the
    chunk's start (a first passage that holds at t0 hits there); `detect`,
    after each step, records a crossing of g where the `keep` values are
    positive, at the time and state interpolated linearly in g, and stops
    the particle at a first passage, frozen from that step on."""
    if event is None:
        return "", "", ""
    keep = len(event.keep)
    holds = " and ".join(["watch[0] > 0.0"] + [f"watch[{j + 1}] > 0.0" for j in range(keep)])
    crossed = "watch[0] <= 0.0 < seen[0]" + (" or seen[0] <= 0.0 < watch[0]" if event.two_sided else "")
    keeps = "".join(f" and seen[{j + 1}] > 0.0" for j in range(keep))
    stopped = " or n_events[i] > 0" if event.stop else ""
    at_start = f"""
        if first_step == 0 and {holds}:  # it holds at the start: hit at t0
            events[i, 0, 0] = t0
            for m in range({n}):
                events[i, 0, 1 + m] = state[m]
            n_events[i] = 1
            for k in range(saves.shape[0]):
                for m in range({n}):  # element by element, as the driver does (no slice that can raise)
                    saves[k, i, m] = x[i, m]
            continue"""
    watch = "\n        watch = event(state, t0 + first_step * dt, pi)" + (at_start if event.stop else "")
    stop = f"""
                state = new  # a first passage: the particle stops here, frozen in the saves to come
                for j in range(k // save_every, saves.shape[0]):
                    for m in range({n}):
                        saves[j, i, m] = state[m]
                break"""
    detect = f"""
            seen = event(new, t0 + (step + 1) * dt, pi)
            if ({crossed}){keeps}:
                theta = watch[0] / (watch[0] - seen[0])
                j = n_events[i]
                if j < events.shape[1]:
                    events[i, j, 0] = t0 + (step + theta) * dt
                    for m in range({n}):
                        events[i, j, 1 + m] = state[m] + theta * (new[m] - state[m])
                n_events[i] = j + 1{stop if event.stop else ""}
            watch = seen"""
    return stopped, watch, detect
