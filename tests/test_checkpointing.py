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
from s2sad.runtime import Checkpoints, OnlineCheckpoints, forward_steps, online_forward_steps, online_revolve, revolve
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


def ode_until(theta, y0, t_end):
    y = y0
    t = 0.0
    total = 0.0
    while t < t_end:
        dy = -theta[0] * y + theta[1] * np.sin(y) * (1.0 + t)
        y = y + 0.01 * dy
        total = total + (y - 1.0) ** 2
        t = t + 0.01
    return total


def newton_sqrt(a, x0):
    x = x0
    while np.abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x * x0


def decay(k, y0):
    y = y0
    total = 0.0
    while y > 0.1:
        y = y - 0.05 * k * y
        total = total + y * y
    return total


def heat_steps(u0, k, n):
    u = u0.copy()
    i = 0
    while i < n:
        u[1:-1] = u[1:-1] + k * (u[2:] - 2 * u[1:-1] + u[:-2])
        i = i + 1
    return np.sum(u**2)


def first_small(x, n):
    for i in range(n):
        x = np.sin(x) * 1.1 + 0.01 * i
        if x < 0.2:
            break
    return x * x


def until_return(x, n):
    k = 0
    while k < n:
        x = np.cos(x) + 0.3 * x
        if x > 0.95:
            return x * 3.0
        k = k + 1
    return x * 2.0


def while_in_for(W, h0, n):
    h = h0
    total = 0.0
    for t in range(n):
        j = 0
        while j < 3:  # s2sad: checkpoints=2
            h = np.tanh(W @ h) + 0.1 * h
            j = j + 1
        total = total + np.sum(h * h)
    return total


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


def replayed(actions) -> tuple[int, list[int], int]:
    """Run a schedule's actions on a counter: (iterations advanced, turns in order, most snapshots held)."""
    live, saved, turned, most, advanced = 0, set(), [], 0, 0
    for action, step in actions:
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
        advanced, turned, most = replayed(revolve(steps, snapshots))
        assert advanced == fewest(steps, snapshots) == forward_steps(steps, snapshots), (steps, snapshots)
        assert turned == list(range(steps - 1, -1, -1))
        assert most <= snapshots


def test_schedule_closed_form_for_long_loops():
    # r * n - C(K + r, r - 1), where C(K + r - 1, r - 1) < n <= C(K + r, r): r = 6 for n = 200,000, K = 20.
    assert forward_steps(200_000, 20) == 6 * 200_000 - math.comb(26, 5)
    advanced, turned, most = replayed(revolve(3000, 5))
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


@pytest.mark.parametrize("snapshots", [1, 2, 3, 5, 20])
def test_online_schedule_turns_each_iteration_once_within_its_snapshots(snapshots):
    for steps in range(0, 150):
        advanced, turned, most = replayed(online_revolve(steps, snapshots))
        assert turned == list(range(steps - 1, -1, -1)) and most <= snapshots, steps
        # The forward sweep runs each iteration once; the reverse sweep runs again at most what revolve,
        # knowing the number of iterations from the start, runs in all.
        assert advanced == steps + online_forward_steps(steps, snapshots)
        assert online_forward_steps(steps, snapshots) <= forward_steps(steps, snapshots)


@pytest.mark.parametrize("steps, snapshots", [(1000, 5), (3000, 2), (3000, 5), (3000, 20), (5000, 20)])
def test_online_schedule_on_long_loops_runs_a_few_percent_more_than_revolve(steps, snapshots):
    """Iterations run in all, the forward sweep's included: online, and by revolve knowing their number
    from the start (``forward_steps + 1``): 6772 against 6285 for n = 1000, K = 5; 10196 against 9977
    for n = 3000, K = 20."""
    advanced, turned, most = replayed(online_revolve(steps, snapshots))
    assert len(turned) == steps and most <= snapshots
    assert advanced == steps + online_forward_steps(steps, snapshots)
    assert advanced <= 1.08 * (forward_steps(steps, snapshots) + 1)


@pytest.mark.parametrize("steps, snapshots", [(0, 3), (1, 1), (2, 1), (7, 1), (7, 2), (5, 9), (200, 4), (1000, 20)])
def test_online_checkpoints_restore_each_iteration_state(steps, snapshots):
    """As above, the number of iterations unknown until the loop ends: never more than K snapshots."""
    checkpoints, most = OnlineCheckpoints(snapshots, iterations=range(100, 100 + steps + 5)), 0
    for i in range(100, 100 + steps):  # a loop left after ``steps`` iterations
        assert checkpoints.state(i) == (i,)
        most = max(most, len(checkpoints.saved))
    tape, turned = ["before"], []
    for i, turn in checkpoints.steps(tape):
        if checkpoints.at_snapshot:
            assert checkpoints.state(i) == (i,)
        most = max(most, len(checkpoints.saved))
        tape.append(i)
        if turn:
            turned.append(tape.pop())
    assert turned == list(range(100 + steps - 1, 99, -1)) and tape == ["before"]
    assert not checkpoints.saved and most <= snapshots
    assert checkpoints.advanced == online_forward_steps(steps, snapshots)


def test_online_checkpoints_number_the_iterations_of_a_while_loop_and_restore_arrays_in_place():
    u = np.zeros(3)
    view = u[1:]
    checkpoints = OnlineCheckpoints(2)
    while u[0] < 5.0:
        checkpoints.state(in_place=(u,))
        u += 1.0
    turned = []
    for step, turn in checkpoints.steps([]):
        if checkpoints.at_snapshot:
            checkpoints.state(in_place=(u,))
            assert np.all(u == step) and np.all(view == step)  # restored in place: the view sees it
        u += 1.0
        if turn:
            turned.append(step)
    assert turned == [4, 3, 2, 1, 0]


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
    # while loops and loops left early: the online schedule
    "ode_until": (lambda n: (np.array([0.8, 0.3]), 0.4, (n - 0.5) * 0.01), (0, 1), (1, 3, 40)),
    "newton_sqrt": (lambda n: (2.0 + n, 1.0 + 3.0 * n), (0, 1), (1, 2, 40)),  # to a tolerance
    "decay": (lambda n: (1.0 + 0.1 * n, 0.05 + 0.3 * n), (0, 1), (1, 3)),  # trips: as the data say
    "heat_steps": (lambda n: (U0, 0.2, n), (0, 1), (1, 3, 40)),  # an array updated in place
    "first_small": (lambda n: (0.9, 3 * n), (0,), (1, 2)),  # break
    "until_return": (lambda n: (0.9 if n % 2 else 0.5, n), (0,), (1, 2)),  # return
    "while_in_for": (lambda n: (W, H0, n), (0, 1), (None, 3)),  # the comment; the option, both loops
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


@pytest.mark.parametrize("name", ["stencil", "heat_steps"])
def test_float32_state_stays_float32(models, name):
    u0 = U0.astype(np.float32)
    d_u, d_k = s2sad.grad(getattr(models, name), wrt=(0, 1), checkpoints=3)(u0, 0.2, 6)
    whole_u, whole_k = s2sad.grad(getattr(models, name), wrt=(0, 1))(u0, 0.2, 6)
    assert d_u.dtype == np.float32
    np.testing.assert_allclose(d_u, whole_u, rtol=1e-6)
    np.testing.assert_allclose(d_k, whole_k, rtol=1e-6)


def test_value_and_grad_vjp_and_the_decorator(models):
    args = (np.array([0.8, 0.3]), 0.4, 9)
    value, gradient = s2sad.value_and_grad(models.ode, checkpoints=2)(*args)
    assert value == models.ode(*args)  # the loop's state, run again in the reverse sweep, is not what is returned
    np.testing.assert_allclose(gradient, s2sad.grad(models.ode)(*args), rtol=1e-12)
    args = (np.array([0.8, 0.3]), 0.4, 0.085)
    value, gradient = s2sad.value_and_grad(models.ode_until, checkpoints=2)(*args)
    assert value == models.ode_until(*args)
    np.testing.assert_allclose(gradient, s2sad.grad(models.ode_until)(*args), rtol=1e-12)
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
    online = s2sad.grad(models.ode_until, checkpoints=4)  # a while loop: its length (t_end) is n / 100
    assert peak(online, 40) < 1.5 * peak(online, 10)
    assert peak(online, 40) * 20 < peak(s2sad.grad(models.ode_until), 40)


# -- asking for it: the option, the comment, the command line -----------------------------------------


def test_the_comment_checkpoints_its_loop_and_zero_tapes_it_whole(models):
    source = s2sad.source(s2sad.grad(models.nested))
    assert source.count("_rt.Checkpoints(") == 1 and "_rt.Checkpoints(_t" in source
    assert "_rt.Checkpoints(" not in s2sad.source(s2sad.grad(models.unchecked, checkpoints=5))
    assert "_rt.Checkpoints(" in s2sad.source(s2sad.grad(models.trajectory, checkpoints=5))
    assert "_rt.Checkpoints(" not in s2sad.source(s2sad.grad(models.trajectory))


def test_the_option_checkpoints_a_while_loop_online(models):
    gradient = s2sad.grad(models.converge, checkpoints=3)
    source = s2sad.source(gradient)
    assert "Not checkpointed" not in gradient.__doc__
    assert source.count("_rt.OnlineCheckpoints(3)") == 1 and source.count("_rt.Checkpoints(") == 1
    assert "for step, turn in checkpoints.steps(tape):" in source
    np.testing.assert_allclose(gradient(0.3, 6), numeric_vjp(models.converge, (0.3, 6), (0,), 1.0)[0], rtol=1e-5)
    np.testing.assert_allclose(gradient(0.3, 6), s2sad.grad(models.converge)(0.3, 6), rtol=1e-12)
    loop_left_early = s2sad.source(s2sad.grad(models.first_small, checkpoints=2))
    assert "_rt.OnlineCheckpoints(2, iterations=_t" in loop_left_early


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
    hs = []
    while len(hs) < n:  # s2sad: checkpoints=3
        x = np.sin(x)
        hs.append(x)
    return np.sum(np.stack(hs))


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
        ("on_while", 7, "cannot checkpoint this loop: it appends to a list"),
        ("on_append", 15, "cannot checkpoint this loop: it appends to a list"),
        ("misspelt", 22, "unknown s2sad comment '# s2sad: checkpoint=3'"),
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
