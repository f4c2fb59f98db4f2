"""Binomial checkpointing of a long loop (Griewank's revolve): the schedule, and the snapshots it keeps.

A gradient's reverse sweep needs each iteration's values in reverse order. Taping them all takes
memory growing with the number of iterations; revolve keeps at most K snapshots of the state the
loop carries from one iteration to the next instead, and runs iterations again from the nearest
snapshot, as few times as can be: with K snapshots and n iterations, where
C(K+r-1, r-1) < n <= C(K+r, r), no schedule runs fewer than ``r*n - C(K+r, r-1)`` iterations
again, and revolve runs that many (``forward_steps``). Forward mode needs none of this.

``revolve(steps, snapshots)`` yields the schedule as actions on iteration numbers:

    ("snapshot", i)   save the state at the start of iteration i
    ("advance", i)    run iteration i (nothing recorded)
    ("turn", i)       run iteration i recording it, then reverse it
    ("restore", i)    go back to the state saved at the start of iteration i
    ("release", i)    that snapshot is needed no more

Generated code runs it through ``Checkpoints`` (s2sad/transform/checkpoint.py writes the calls):
the forward sweep runs every iteration once, saving the snapshots the schedule takes before its
first turn and the state at the last iteration, and the reverse sweep runs the rest::

    checkpoints = _rt.Checkpoints(_t6, 20)
    for i in _t6:
        y, total = checkpoints.state(y, total)       # saved when the schedule says
        ...the iteration...
    tape.append(checkpoints)
    ...
    checkpoints = tape.pop()
    for i, turn in checkpoints.steps(tape):
        if checkpoints.at_snapshot:
            y, total = checkpoints.state(y, total)   # restored or saved, as the schedule says
        ...the iteration, taped...
        if turn:
            ...the iteration reversed...

The state before the last iteration is held from the forward sweep to the reverse sweep's first
turn besides the K snapshots, as revolve holds its live state there.

A while loop, or a loop left by ``break`` or ``return``, knows its number of iterations n only when
it ends: ``OnlineCheckpoints(K)`` runs it the same way with an online schedule (``online_revolve``).
The forward sweep saves every ``interval``-th iteration's state, doubling the interval (and
releasing every other snapshot) when K are held; the reverse sweep keeps every 2**s-th of those,
for the s whose revolves run the fewest iterations again, and reverses the segments between them,
last first, each by revolve with the snapshots the earlier segments' snapshots leave free. It
holds at most K snapshots throughout (none besides), and runs again at most ``forward_steps(n, K)``
iterations: at most one forward sweep more than revolve knowing n, in practice a few percent
more (``online_forward_steps``).
"""

from __future__ import annotations

import functools
import math

SNAPSHOT, ADVANCE, TURN, RESTORE, RELEASE = "snapshot", "advance", "turn", "restore", "release"


@functools.cache
def _beta(snapshots: int, repetitions: int) -> int:
    """How many iterations ``snapshots`` snapshots reverse running none more than ``repetitions`` times again."""
    return math.comb(snapshots + repetitions, snapshots) if repetitions >= 0 else 0


def _repetitions(steps: int, snapshots: int) -> int:
    """The least r with ``_beta(snapshots, r) >= steps``."""
    r = 0
    while _beta(snapshots, r) < steps:
        r += 1
    return r


def forward_steps(steps: int, snapshots: int) -> int:
    """The fewest iterations any schedule with ``snapshots`` snapshots runs again to reverse ``steps`` ones."""
    if steps <= 1:
        return 0
    r = _repetitions(steps, snapshots)
    return r * steps - _beta(snapshots + 1, r - 1)


@functools.cache
def _split(steps: int, snapshots: int) -> int:
    """Where the next snapshot goes, iterations past the one held: the left part is then reversed with
    ``snapshots`` snapshots and one repetition fewer, the right part with one snapshot fewer."""
    r = _repetitions(steps, snapshots)
    lowest = max(_beta(snapshots, r - 2), steps - _beta(snapshots - 1, r), 1)
    highest = min(_beta(snapshots, r - 1), steps - _beta(snapshots - 1, r - 1), steps - 1)
    assert lowest <= highest, (steps, snapshots)
    return highest


def revolve(steps: int, snapshots: int):
    """The binomial schedule reversing ``steps`` iterations with at most ``snapshots`` snapshots (see the
    module's text); it runs ``forward_steps(steps, snapshots)`` iterations again, each one turned once,
    last to first."""
    yield from _expanded(_actions(steps, snapshots))


def _expanded(actions):
    """``_actions``' coding written out, one action an iteration."""
    for action, first, *rest in actions:
        if action == ADVANCE:
            yield from ((ADVANCE, step) for step in range(first, rest[0]))
        elif action == _SWEEP:
            for last in range(rest[0] - 1, first - 1, -1):
                if last < rest[0] - 1:
                    yield RESTORE, first
                yield from ((ADVANCE, step) for step in range(first, last))
                yield TURN, last
        else:
            yield action, first


_SWEEP = "sweep"  # (_SWEEP, start, end): reverse [start, end) from the state at start, the one snapshot left


def _actions(steps: int, snapshots: int, first: int = 0, held: bool = False):
    """``revolve``'s actions, run-length coded for ``Checkpoints``: ``(ADVANCE, start, stop)`` for the
    iterations advanced one after another, and ``(_SWEEP, start, end)``. The iterations are numbered
    from ``first``; ``held``: its snapshot is saved already (the live state is elsewhere)."""
    if snapshots < 1:
        raise ValueError(f"checkpointing needs at least one snapshot, not {snapshots}")
    if steps <= 0:
        return
    if not held:
        yield SNAPSHOT, first
    # Reversing [start, end) with the state at ``start`` saved (and live, if ``live``), ``free`` more snapshots.
    tasks: list[tuple] = [(RELEASE, first), ("reverse", first, first + steps, snapshots - 1, not held)]
    while tasks:
        task = tasks.pop()
        if task[0] == RELEASE:
            yield task
            continue
        _, start, end, free, live = task
        if not live:
            yield RESTORE, start
        if end - start == 1:
            yield TURN, start
        elif free == 0:
            yield _SWEEP, start, end
        else:
            middle = start + _split(end - start, free + 1)
            yield ADVANCE, start, middle
            yield SNAPSHOT, middle
            tasks += [
                ("reverse", start, middle, free, False),
                (RELEASE, middle),
                ("reverse", middle, end, free - 1, True),
            ]


class Checkpoints:
    """One run of a checkpointed loop: its schedule and its snapshots (see the module's text).

    ``state(*values, copied=(), in_place=())`` is called at the start of every iteration of the forward
    sweep, and of the reverse sweep's where ``at_snapshot`` says, with the state the loop carries; it
    returns ``values + copied``: as they are, or, when the reverse sweep restores a snapshot, the
    ones saved. Arrays the loop updates in place are saved as copies: ``copied`` ones (the loop
    rebinds them too) are given back as new copies, ``in_place`` ones are restored into the same
    arrays (so views of them see it).
    """

    def __init__(self, iterations, snapshots: int):
        self.iterations = iterations
        self.steps_count = len(iterations)
        self.saved: dict[int, tuple] = {}
        self.schedule = _actions(self.steps_count, snapshots)
        kept = []  # the snapshots taken before the first turn, in order
        for action, step, *_ in self.schedule:
            if action == TURN or action == _SWEEP:
                self.first_turn = (action, step)
                break
            if action == SNAPSHOT:
                kept.append(step)
        self.taken = set(kept)
        if self.steps_count and self.steps_count - 1 not in self.taken:
            kept.append(self.steps_count - 1)  # the state the first turn starts from
        self.to_save = iter(kept)
        self.due = next(self.to_save, None)  # the forward sweep's next snapshot
        self.started = 0  # iterations the forward sweep has started
        self.restoring: int | None = None  # the reverse sweep's restore and snapshot at the next iteration
        self.saving: int | None = None
        self.at_snapshot = False
        self.advanced = 0  # iterations the reverse sweep has run only to advance

    def state(self, *values, copied=(), in_place=()):
        if self.restoring is not None:
            values, copied = self._restored(self.restoring, len(values), in_place)
            self.restoring = None
        else:
            values += copied
        step = self.saving if self.saving is not None else self._forward_snapshot()
        if step is not None:
            self.saved[step] = (values, tuple(map(_copied, copied)), tuple(map(_copied, in_place)))
            self.saving = None
        self.at_snapshot = False
        return values

    def steps(self, tape: list):
        """The reverse sweep: ``(loop variable, turn)`` for each iteration to run, reversed if ``turn``;
        what an iteration run only to advance puts on ``tape`` is dropped. The last iteration turns
        first, from its state the forward sweep saved (revolve would advance to it)."""
        if not self.steps_count:
            return
        self.tape, self.mark = tape, len(tape)
        last = self.steps_count - 1
        action, step = self.first_turn
        yield from self._sweep(step if action == _SWEEP else last, last + 1, held=last)
        if last not in self.taken:
            del self.saved[last]
        yield from self._play(self.schedule)

    def _forward_snapshot(self) -> int | None:
        """The iteration starting, if the forward sweep saves its state."""
        if self.due is None:
            return None
        step = self.started
        self.started += 1
        if step != self.due:
            return None
        self.due = next(self.to_save, None)
        return step

    def _play(self, actions):
        """Run ``actions`` (``_actions``' coding) in the reverse sweep."""
        iterations, tape, mark = self.iterations, self.tape, self.mark
        for action, step, *stop in actions:
            if action == ADVANCE:  # (written out: the most frequent action)
                self.advanced += stop[0] - step
                for advanced in range(step, stop[0]):
                    yield iterations[advanced], False
                    del tape[mark:]
            elif action == TURN:
                yield iterations[step], True
                del tape[mark:]
            elif action == _SWEEP:
                yield from self._sweep(step, stop[0])
            elif action == RESTORE:
                self.restore(step)
            elif action == SNAPSHOT:
                self.saving, self.at_snapshot = step, True
            else:
                del self.saved[step]

    def _advance(self, start: int, stop: int):
        self.advanced += stop - start
        iterations, tape, mark = self.iterations, self.tape, self.mark
        for step in range(start, stop):
            yield iterations[step], False
            del tape[mark:]

    def _sweep(self, start: int, end: int, held: int | None = None):
        """Reverse [start, end) with the snapshot at ``start`` alone: the live state is there, or the
        state at ``end - 1`` is the snapshot ``held``."""
        for last in range(end - 1, start - 1, -1):
            if held is not None:
                self.restore(held)
                held = None
            else:
                if last < end - 1:
                    self.restore(start)
                yield from self._advance(start, last)
            yield self.iterations[last], True
            del self.tape[self.mark :]

    def restore(self, step: int) -> None:
        self.restoring, self.at_snapshot = step, True

    def _restored(self, step: int, kept: int, in_place) -> tuple[tuple, tuple]:
        """The values saved at ``step``: the first ``kept`` as they are, then new copies of the copied ones
        (also given back alone); the arrays updated in place get theirs back."""
        values, copies, in_place_copies = self.saved[step]
        copied = tuple(map(_copied, copies))
        for array, saved in zip(in_place, in_place_copies, strict=True):
            _restore_into(array, saved)
        return values[:kept] + copied, copied


def _copied(value):
    return value.copy()  # an array's, a list's or a dict's own: a copy of the same kind


def _restore_into(target, saved) -> None:
    if isinstance(target, list):
        target[:] = saved
    elif isinstance(target, dict):
        target.clear()
        target.update(saved)
    else:
        target[...] = saved


# -- online: the number of iterations unknown when the loop starts -----------------------------------


class _Doubling:
    """The forward sweep's snapshots when the number of iterations is unknown: every ``interval``-th
    iteration's, the interval doubled (every other snapshot released) when ``snapshots`` are held."""

    def __init__(self, snapshots: int):
        if snapshots < 1:
            raise ValueError(f"checkpointing needs at least one snapshot, not {snapshots}")
        self.snapshots, self.interval, self.held = snapshots, 1, []

    def start(self, step: int) -> tuple[list[int], bool]:
        """At the start of iteration ``step``: the snapshots to release, and whether to save its state."""
        if step % self.interval:
            return [], False
        released = []
        if len(self.held) == self.snapshots:
            self.interval *= 2
            released = [held for held in self.held if held % self.interval]
            self.held = [held for held in self.held if not held % self.interval]
            if step % self.interval:
                return released, False
        self.held.append(step)
        return released, True


def _starts(held: list[int], steps: int, snapshots: int) -> list[int]:
    """The held snapshots the reverse sweep reverses a segment from (the others are released): every
    2**s-th, for the s whose revolves run the fewest iterations again (the first alone: one revolve)."""
    best, stride = None, 1
    while True:
        starts = held[::stride]
        cost = _segments_cost(starts, steps, snapshots)
        if best is None or cost < best[0]:
            best = (cost, starts)
        if len(starts) <= 1:
            return best[1]
        stride *= 2


def _segments_cost(starts: list[int], steps: int, snapshots: int) -> int:
    if not starts:  # no iterations
        return 0
    ends = [*starts[1:], steps]
    return sum(
        forward_steps(end - start, snapshots - k) for k, (start, end) in enumerate(zip(starts, ends, strict=True))
    )


def _online_actions(starts: list[int], steps: int, snapshots: int):
    """Reverse the segments from ``starts`` to the next one (the last to ``steps``), last first, each by
    revolve from its snapshot with those the earlier segments' snapshots leave free (``_actions``' coding)."""
    ends = [*starts[1:], steps]
    for k in range(len(starts) - 1, -1, -1):
        yield from _actions(ends[k] - starts[k], snapshots - k, starts[k], held=True)


def online_revolve(steps: int, snapshots: int):
    """The online schedule for a loop of ``steps`` iterations, its number unknown until it ends: the
    forward sweep's actions (each iteration advanced, snapshots saved and released as ``_Doubling``
    says), then the reverse sweep's (revolve's actions on each segment)."""
    doubling = _Doubling(snapshots)
    for step in range(steps):
        released, saved = doubling.start(step)
        yield from ((RELEASE, held) for held in released)
        if saved:
            yield SNAPSHOT, step
        yield ADVANCE, step
    starts = _starts(doubling.held, steps, snapshots)
    yield from ((RELEASE, held) for held in doubling.held if held not in starts)
    yield from _expanded(_online_actions(starts, steps, snapshots))


def online_forward_steps(steps: int, snapshots: int) -> int:
    """The iterations the online schedule runs again in the reverse sweep to reverse ``steps`` ones: at
    most ``forward_steps(steps, snapshots)``, revolve's own, which knows ``steps`` from the start."""
    interval = 1
    while interval * snapshots < steps:
        interval *= 2
    held = list(range(0, steps, interval))  # what _Doubling holds at the end
    return _segments_cost(_starts(held, steps, snapshots), steps, snapshots)


class OnlineCheckpoints(Checkpoints):
    """One run of a checkpointed loop whose number of iterations is unknown when it starts (a while
    loop, a loop left by ``break`` or ``return``): ``Checkpoints``, with the online schedule. The forward
    sweep saves the state every ``interval``-th iteration, doubling the interval when ``snapshots`` are
    held; the reverse sweep reverses the segments between them by revolve. ``iterations``: what the
    loop variable takes (None: the loop has none; ``steps`` gives the iteration's number)."""

    def __init__(self, snapshots: int, iterations=None):
        self.doubling = _Doubling(snapshots)
        self.iterations, self.snapshots = iterations, snapshots
        self.saved: dict[int, tuple] = {}
        self.started = 0
        self.reversing = False
        self.restoring: int | None = None
        self.saving: int | None = None
        self.at_snapshot = False
        self.advanced = 0

    def _forward_snapshot(self) -> int | None:
        if self.reversing:
            return None
        step = self.started
        self.started = step + 1
        if step % self.doubling.interval:  # (most iterations)
            return None
        released, saved = self.doubling.start(step)
        for held in released:
            del self.saved[held]
        return step if saved else None

    def steps(self, tape: list):
        self.reversing = True
        steps, held = self.started, self.doubling.held
        if self.iterations is None:
            self.iterations = range(steps)
        starts = _starts(held, steps, self.snapshots)
        for unused in set(held) - set(starts):
            del self.saved[unused]
        self.tape, self.mark = tape, len(tape)
        yield from self._play(_online_actions(starts, steps, self.snapshots))
