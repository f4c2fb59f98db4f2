"""Binomial checkpointing of long loops (issue 19): the schedule, and gradients reversed from snapshots.

The schedule (s2sad/runtime/checkpointing.py) is checked on its own: it runs as few iterations
again as any schedule can (against a brute-force minimum over every split, and the closed form),
turns every iteration once, last to first, and never holds more snapshots than it is given.
Gradients with ``checkpoints=K`` must equal the gradients of the whole tape (to 1e-12: the same
arithmetic) and central finite differences, for scalar and array states, arrays updated in place,
branches and nested loops, K = 1, K >= n, and loops of 0 and 1 iterations. Then the comment
directive, the CLI flag, and the refusals.
"""

from __future__ import annotations

import functools
import math
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

import s2sad
from s2sad.runtime import Checkpoints, forward_steps, revolve
from tests.support import numeric_vjp, write_module

MODELS = """
import numpy as np


def ode(theta, y0, n):
    y = y0
    total = 0.0
    for i in range(n):
        dy = -theta[0] * y + theta[1] * np.sin(y)
        y = y + 0.01 * dy
        total = total + (y - 1.0) ** 2
    return total


def stencil(u0, k, n):
    u = u0.copy()
    for i in range(n):
        lap = u[2:] - 2 * u[1:-1] + u[:-2]
        u[1:-1] = u[1:-1] + k * lap
    return np.sum(u ** 2)


def stencil_rebound(u0, k, n):
    u = u0 * 1.0
    for i in range(n):
        u_new = u.copy()
        u_new[1:-1] = u[1:-1] + k * (u[2:] - 2 * u[1:-1] + u[:-2])
        u = u_new
    return np.sum(u ** 3)


def branchy(a, y0, n):
    y = y0
    for i in range(n):
        if y > 0.5:
            y = y * a
        else:
            y = np.sin(y) + a
    return y


def nested(W, h0, n):
    h = h0
    total = 0.0
    for t in range(n):  # s2sad: checkpoints=2
        for j in range(3):
            h = np.tanh(W @ h) + 0.1 * h
        total = total + np.sum(h * h)
    return total


def nested_inner(W, h0, n):
    h = h0
    total = 0.0
    for t in range(n):
        for j in range(n):  # s2sad: checkpoints=2
            h = np.tanh(W @ h)
        total = total + np.sum(h * h)
    return total


def before_loop(x, n):
    t = x * x
    y = np.sin(t)
    for i in range(n):
        t = y * 2.0
        y = t + np.cos(y)
    return y * t


def rows(x, xs):
    total = 0.0
    for row in xs:
        total = total + np.sum(row * x)
        x = np.tanh(x)
    return total


def in_branch(x, n, flag):
    if flag > 0:
        for i in range(n):
            x = np.sin(x) * (i + 1) * 0.5 + x * 0.5
    else:
        x = x * 2.0
    return x * n


def through_a_view(u0, n):
    u = u0.copy()
    v = u[1:]
    total = 0.0
    for i in range(n):
        u[1:] = u[1:] * 0.9 + 0.1 * np.sin(u[:-1])
        total = total + np.sum(v * v)
    return total + np.sum(u)


def trajectory(y0, n):
    y = y0
    for i in range(n):
        y = y + 0.1 * np.sin(y)
    return y


def unchecked(x, n):
    for i in range(n):  # s2sad: checkpoints=0
        x = np.sin(x)
    return x


def converge(x, n):
    k = 0
    while k < n:
        x = np.sin(x) + 0.5 * x
        k = k + 1
    for i in range(n):
        x = x * 0.9 + 0.1
    return x
"""


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return write_module(tmp_path_factory.mktemp("checkpointing"), MODELS, "checkpointing_models")


# -- the schedule ---------------------------------------------------------------------------------


@functools.cache
def fewest(steps: int, snapshots: int) -> int:
    """The fewest iterations run again, over every schedule: the next snapshot at every place."""
    if steps <= 1:
        return 0
    if snapshots == 1:
        return steps * (steps - 1) // 2
    return min(m + fewest(steps - m, snapshots - 1) + fewest(m, snapshots) for m in range(1, steps))


def replayed(steps: int, snapshots: int) -> tuple[int, list[int], int]:
    """Run the schedule's actions on a counter: (iterations advanced, turns in order, most snapshots held)."""
    live, saved, turned, most, advanced = 0, set(), [], 0, 0
    for action, step in revolve(steps, snapshots):
        if action == "snapshot":
            assert live == step
            saved.add(step)
            most = max(most, len(saved))
        elif action == "advance":
            assert live == step
            live, advanced = step + 1, advanced + 1
        elif action == "turn":
            assert live == step
            turned.append(step)
            live = None
        elif action == "restore":
            assert step in saved
            live = step
        else:
            saved.remove(step)
    assert not saved
    return advanced, turned, most


@pytest.mark.parametrize("snapshots", [1, 2, 3, 4, 6])
def test_schedule_runs_the_fewest_iterations_again(snapshots):
    for steps in range(0, 70):
        advanced, turned, most = replayed(steps, snapshots)
        assert advanced == fewest(steps, snapshots) == forward_steps(steps, snapshots), (steps, snapshots)
        assert turned == list(range(steps - 1, -1, -1))
        assert most <= snapshots


def test_schedule_closed_form_for_long_loops():
    # r * n - C(K + r, r - 1), where C(K + r - 1, r - 1) < n <= C(K + r, r): r = 6 for n = 200,000, K = 20.
    assert forward_steps(200_000, 20) == 6 * 200_000 - math.comb(26, 5)
    advanced, turned, most = replayed(3000, 5)
    assert advanced == forward_steps(3000, 5) and len(turned) == 3000 and most <= 5


@pytest.mark.parametrize("steps, snapshots", [(0, 3), (1, 1), (2, 1), (7, 1), (7, 2), (5, 9), (200, 4), (1000, 20)])
def test_checkpoints_restore_each_iteration_state(steps, snapshots):
    """What generated code does: the forward sweep saves, the reverse sweep restores; the state carried
    here is the iteration number, so every restore must give back the iteration's own."""
    checkpoints = Checkpoints(range(steps), snapshots)
    for i in range(steps):
        assert checkpoints.state(i) == (i,)
    most, tape, turned = len(checkpoints.saved), ["before"], []
    for i, turn in checkpoints.steps(tape):
        if checkpoints.at_snapshot:
            assert checkpoints.state(i) == (i,)
        most = max(most, len(checkpoints.saved))
        tape.append(i)
        if turn:
            turned.append(tape.pop())
    assert turned == list(range(steps - 1, -1, -1)) and tape == ["before"]
    assert (
        not checkpoints.saved and most <= snapshots + 1
    )  # and the last iteration's state, held from the forward sweep
    # The forward sweep ran every iteration once: revolve's advances to the last are not run again.
    assert checkpoints.advanced == (forward_steps(steps, snapshots) - (steps - 1) if steps else 0)


def test_arrays_updated_in_place_are_copied_and_restored_into_the_same_array():
    u, view = np.zeros(3), None
    checkpoints = Checkpoints(range(3), 2)
    view = u[1:]
    for i in range(3):
        checkpoints.state(in_place=(u,))
        u += 1.0
    for i, turn in checkpoints.steps([]):
        if checkpoints.at_snapshot:
            checkpoints.state(in_place=(u,))
            assert np.all(u == i) and np.all(view == i)  # restored in place: the view sees it
        u += 1.0


# -- gradients ------------------------------------------------------------------------------------

RNG = np.random.default_rng(19)
W = RNG.normal(size=(3, 3)) * 0.5
H0 = RNG.normal(size=3)
U0 = RNG.uniform(0.0, 1.0, 9)
CASES = {
    # name: (arguments given the number of iterations, wrt, snapshots tried)
    "ode": (lambda n: (np.array([0.8, 0.3]), 0.4, n), (0, 1), (1, 3, 40)),
    "stencil": (lambda n: (U0, 0.2, n), (0, 1), (1, 3, 40)),
    "stencil_rebound": (lambda n: (U0, 0.2, n), (0, 1), (2,)),
    "branchy": (lambda n: (1.1, 0.3, n), (0, 1), (1, 4)),
    "nested": (lambda n: (W, H0, n), (0, 1), (None,)),  # the comment checkpoints the outer loop
    "nested_inner": (lambda n: (W, H0, n), (0, 1), (None, 3)),  # the inner loop; the option, the outer one
    "before_loop": (lambda n: (0.7, n), (0,), (2,)),
    "rows": (lambda n: (H0, RNG.normal(size=(n, 3))), (0,), (2,)),
    "in_branch": (lambda n: (0.4, n, 1.0 if n % 2 else -1.0), (0,), (2,)),
    "through_a_view": (lambda n: (U0, n), (0,), (2,)),  # taped whole: the docstring says why
}


@pytest.mark.parametrize("name", list(CASES))
def test_checkpointed_gradients_equal_the_whole_tape_and_finite_differences(models, name):
    arguments, wrt, tried = CASES[name]
    function = getattr(models, name)
    whole = s2sad.grad(function, wrt=wrt)
    for snapshots in tried:
        checkpointed = s2sad.grad(function, wrt=wrt, checkpoints=snapshots)
        for n in (0, 1, 2, 7):
            args = arguments(n)
            expected = whole(*args)
            for _ in range(2):  # the derivative for any arguments, then the one specialized to their forms
                for got, want in zip(checkpointed(*args), expected, strict=True):
                    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
                    assert type(got) is type(want) and np.shape(got) == np.shape(want)
            if snapshots == tried[0]:
                numeric = numeric_vjp(function, args, wrt, 1.0)
                for got, want in zip(expected, numeric, strict=True):
                    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_float32_state_stays_float32(models):
    u0 = U0.astype(np.float32)
    d_u, d_k = s2sad.grad(models.stencil, wrt=(0, 1), checkpoints=3)(u0, 0.2, 6)
    whole_u, whole_k = s2sad.grad(models.stencil, wrt=(0, 1))(u0, 0.2, 6)
    assert d_u.dtype == np.float32
    np.testing.assert_allclose(d_u, whole_u, rtol=1e-6)
    np.testing.assert_allclose(d_k, whole_k, rtol=1e-6)


def test_value_and_grad_vjp_and_the_decorator(models):
    args = (np.array([0.8, 0.3]), 0.4, 9)
    value, gradient = s2sad.value_and_grad(models.ode, checkpoints=2)(*args)
    assert value == models.ode(*args)  # the loop's state, run again in the reverse sweep, is not what is returned
    np.testing.assert_allclose(gradient, s2sad.grad(models.ode)(*args), rtol=1e-12)
    d_out = 0.7
    pulled = s2sad.vjp(models.trajectory, checkpoints=2)(0.3, 8, d_out)
    np.testing.assert_allclose(pulled, numeric_vjp(models.trajectory, (0.3, 8), (0,), d_out)[0], rtol=1e-5)
    decorated = s2sad.differentiable(models.trajectory, checkpoints=2)
    assert "_rt.Checkpoints(" in decorated.source
    np.testing.assert_allclose(decorated.grad(0.3, 8), s2sad.grad(models.trajectory)(0.3, 8), rtol=1e-12)


def test_tape_memory_does_not_grow_with_the_iterations(models):
    """The gradient's peak memory: with 4 snapshots, the same for 1,000 and 4,000 iterations (a few
    states); with the whole tape, some entries per iteration. benchmarks/checkpointing.py measures 200,000."""

    def peak(gradient, n: int) -> int:
        # The second call makes the derivative specialized to the arguments' forms; the third fills the
        # schedule's small caches for n (a hundred numbers), which a first call of each n would count.
        for steps in (3, 3, n):
            gradient(np.array([0.8, 0.3]), 0.4, steps)
        tracemalloc.start()
        try:
            gradient(np.array([0.8, 0.3]), 0.4, n)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    checkpointed = s2sad.grad(models.ode, checkpoints=4)
    assert peak(checkpointed, 4000) < 1.5 * peak(checkpointed, 1000)
    assert peak(checkpointed, 4000) * 20 < peak(s2sad.grad(models.ode), 4000)


# -- asking for it: the option, the comment, the command line -----------------------------------------


def test_the_comment_checkpoints_its_loop_and_zero_tapes_it_whole(models):
    source = s2sad.source(s2sad.grad(models.nested))
    assert source.count("_rt.Checkpoints(") == 1 and "_rt.Checkpoints(_t" in source
    assert "_rt.Checkpoints(" not in s2sad.source(s2sad.grad(models.unchecked, checkpoints=5))
    assert "_rt.Checkpoints(" in s2sad.source(s2sad.grad(models.trajectory, checkpoints=5))
    assert "_rt.Checkpoints(" not in s2sad.source(s2sad.grad(models.trajectory))


def test_the_option_tapes_a_while_loop_whole_and_says_so(models):
    gradient = s2sad.grad(models.converge, checkpoints=3)
    assert "a while loop's number of iterations is unknown when it starts" in gradient.__doc__
    assert s2sad.source(gradient).count("_rt.Checkpoints(") == 1  # the for loop after it is checkpointed
    np.testing.assert_allclose(gradient(0.3, 6), numeric_vjp(models.converge, (0.3, 6), (0,), 1.0)[0], rtol=1e-5)


def test_command_line_flag(tmp_path):
    model = tmp_path / "model.py"
    model.write_text(MODELS)
    command = [sys.executable, "-m", "s2sad", "grad", f"{model}:ode", "--wrt", "theta,y0", "--checkpoints", "4"]
    printed = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert "_rt.Checkpoints(_t" in printed and ", 4)" in printed
    checked = subprocess.run(
        [*command, "--check", "--shapes", "theta=(2,),y0=float,n=30"], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    bad = subprocess.run([*command[:-1], "many"], capture_output=True, text=True)
    assert bad.returncode == 2 and "whole number of snapshots" in bad.stderr


REFUSED = """
import numpy as np


def on_while(x, n):
    k = 0
    while k < n:  # s2sad: checkpoints=3
        x = np.sin(x)
        k = k + 1
    return x


def on_break(x, n):
    for i in range(n):  # s2sad: checkpoints=3
        x = np.sin(x)
        if x < 0.1:
            break
    return x


def on_append(x, n):
    hs = []
    for i in range(n):  # s2sad: checkpoints=3
        x = np.sin(x)
        hs.append(x)
    return np.sum(np.stack(hs))


def misspelt(x, n):
    for i in range(n):  # s2sad: checkpoint=3
        x = np.sin(x)
    return x
"""


@pytest.mark.parametrize(
    "name, line, message",
    [
        ("on_while", 7, "cannot checkpoint this loop: a while loop's number of iterations is unknown"),
        ("on_break", 14, "cannot checkpoint this loop: a loop left early (break or return inside)"),
        ("on_append", 23, "cannot checkpoint this loop: it appends to a list"),
        ("misspelt", 30, "unknown s2sad comment '# s2sad: checkpoint=3'"),
    ],
)
def test_refused_where_the_loop_is(tmp_path, name, line, message):
    module = write_module(tmp_path, REFUSED)
    with pytest.raises(s2sad.S2SADError) as refused:
        s2sad.grad(getattr(module, name))
    assert refused.value.origin.line == line
    assert message in refused.value.message


def test_bad_options_refused(models):
    for bad in (-1, 2.5, True):
        with pytest.raises(s2sad.S2SADError, match="whole number of snapshots"):
            s2sad.grad(models.ode, checkpoints=bad)
    with pytest.raises(s2sad.S2SADError, match="does not checkpoint"):
        s2sad.grad(models.ode, target="numba", checkpoints=3)
