"""Random programs in s2sad's language (tests/programs.py), differentiated in both modes and checked.

For each generated function ``f`` and random inputs (uniform in [-2, 2], float64):

- reverse mode: ``s2sad.vjp`` with a random ``d_out`` (for a scalar output a
  random float: the gradient times it) against central finite differences of
  ``<f(x), d_out>``, entry by entry;
- forward mode: ``s2sad.jvp`` along a random direction against central
  differences of ``f`` along it, and its value equal to ``f``'s;
- the dot-product test between the two: ``<J v, d_out> == <v, J^T d_out>`` to
  1e-10, relative to the size of the terms summed, or 1e-12 absolute (a zero
  product left with rounding from terms that cancelled);
- gradients shaped like their arguments (a float for a Python float), and the
  caller's arrays left unchanged.

Finite differences use tests.checks' step and tolerances. Next to a kink or a
jump of ``f`` (abs, max, a branch or loop on data), central differences
average the slopes on its two sides and may miss either one by half their
gap; an input where that explains every mismatch is rejected
(``hypothesis.reject``), never passed with a looser tolerance.

A refusal (``s2sad.S2SADError``) fails the test, since the generator writes
only the supported language, with one exception: an in-place update of an
array something else still refers to (a view the tape keeps) is refused at
run time, located, by design; such an input is rejected. Any other exception
from s2sad is a bug in it.
``REGRESSIONS`` holds the failures the generator found, shrunk by hand to
small programs and checked the same way.

Runs:

    python -m pytest tests/test_generated_programs.py
        DEFAULT_EXAMPLES programs, derandomized: the same programs on every run.
    S2SAD_FUZZ_EXAMPLES=20000 python -m pytest tests/test_generated_programs.py -x -q
        a long run: that many programs, new random ones each time.

A failure prints the program's source (``hypothesis.note``), its inputs' seed,
and the quantity that disagreed. The on-disk cache is off here: thousands of
throwaway programs would only fill it.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, reject, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

import s2sad
from tests.checks import ATOL, RTOL, STEP, as_tuple, copies, random_value, write_module
from tests.programs import Program, programs

DEFAULT_EXAMPLES = 200
DOT_RTOL = 1e-10  # the two modes compute the same sums in different orders: only rounding may differ
# A product that is zero but computed from terms of order one that cancel (inputs are of order
# one) leaves rounding of about 1e-16 on either side; below this both sides are zero.
DOT_ATOL = 1e-12
VALUE_RTOL = 1e-12  # jvp's value against f's

_FUZZ_EXAMPLES = os.environ.get("S2SAD_FUZZ_EXAMPLES")
if _FUZZ_EXAMPLES:
    FUZZ_SETTINGS = settings(max_examples=int(_FUZZ_EXAMPLES), deadline=None, database=None,
                             suppress_health_check=[HealthCheck.too_slow])
else:
    FUZZ_SETTINGS = settings(max_examples=DEFAULT_EXAMPLES, deadline=None, database=None, derandomize=True)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("generated_programs")


@pytest.fixture(scope="module", autouse=True)
def no_cache():
    patch = pytest.MonkeyPatch()
    patch.setenv("S2SAD_CACHE", "0")
    yield
    patch.undo()


@FUZZ_SETTINGS
@given(program=programs(), seed=st.integers(0, 2**32 - 1))
def test_generated_program(program, seed, folder):
    check_program(program, seed, folder)


# -- failures found by the generator, shrunk -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Regression:
    id: str
    source: str  # a module defining f (import math and numpy as np are added)
    shapes: dict  # f's parameters -> shape; () is a Python float
    wrt: str | tuple[str, ...]
    output_shape: tuple
    seed: int = 0


REGRESSIONS = [
    Regression(
        "jvp-of-a-scalar-broadcast-by-a-constant",
        """
        def f(x):
            return np.sum(np.ones(3) + x)
        """,
        {"x": ()}, "x", (),
    ),
    Regression(
        "vjp-loop-item-after-an-early-return",
        """
        def f(x, w):
            if x > 1.0:
                return w
            for r in w:
                w = w + x * r
            return w
        """,
        {"x": (), "w": (3,)}, "x", (3,),
    ),
    Regression(
        "jvp-conditional-expression-in-a-branch",
        """
        def f(x):
            if x > 5.0:
                x = x if x > 1.0 else 2.0 * x
            return x
        """,
        {"x": ()}, "x", (),
    ),
    Regression(
        "vjp-solve-output-updated-in-place-through-a-copy",
        """
        def f(x1, x2):
            x1 = np.linalg.solve(np.full((1, 1), x2), x1)
            x1[:, 1:] -= 1.0
            return np.sum(x1)
        """,
        {"x1": (1, 2), "x2": ()}, "x2", (),
    ),
    Regression(
        "vjp-first-assignment-saved-for-a-later-copy",
        """
        def f(x1):
            v1 = np.sin(x1)
            v1[0] += 0.5
            x1 = v1
            return np.sum(x1)
        """,
        {"x1": (3,)}, "x1", (),
    ),
    Regression(
        "two-views-taken-with-np-share-no-array",
        """
        def f(x3, x4):
            x1 = x3 @ x4.T
            v4 = x1.T
            v5 = np.linspace(-1.0, 1.0, 2).reshape(1, 2)
            for i1 in range(2):
                v5[:, i1] = np.cos(np.mean(v5, axis=1))
            return np.mean(v4) + np.sum(v5)
        """,
        {"x3": (2, 2), "x4": (1, 2)}, ("x3", "x4"), (),
    ),
    Regression(
        "indexing-with-a-list-copies-so-the-copy-may-be-updated",
        """
        def f(x4, x3):
            v5 = x4[[2, 2, 1]]
            v5[:] = np.sin(x3) * v5
            return np.sum(v5 * x4)
        """,
        {"x4": (3,), "x3": (3,)}, ("x4", "x3"), (),
    ),
    Regression(
        "update-after-an-early-return-of-the-same-array",
        """
        def f(x1, x2):
            v1 = np.stack([np.full((1,), x1), np.full((1,), x1), np.full((1,), x1)], axis=1)
            if np.sum(np.square(x2)) > 0.0:
                return v1
            v1[0] = np.cos(v1[0]) * x1
            return v1
        """,
        {"x1": (), "x2": (3, 3)}, ("x1", "x2"), (1, 3),
    ),
    Regression(
        "jvp-return-in-a-loop-of-a-helper",
        """
        def g(a):
            for i in range(2):
                v = 1.0
            for j in range(2):
                return a
            return a


        def f(x):
            return g(x)
        """,
        {"x": ()}, "x", (),
    ),
]


@pytest.mark.parametrize("case", REGRESSIONS, ids=[case.id for case in REGRESSIONS])
def test_regression(case, folder):
    source = "import math\n\nimport numpy as np\n\n\n" + textwrap.dedent(case.source).lstrip()
    check_program(Program(source, case.shapes, case.wrt, case.output_shape), case.seed, folder)


# -- the checks ---------------------------------------------------------------------------------


def check_program(program: Program, seed: int, folder) -> None:
    if currently_in_test_context():  # hypothesis prints notes with a failing example
        note(program.source)
        note(f"shapes={program.shapes} wrt={program.wrt!r} seed={seed}")
    module = write_module(folder, program.source)
    try:
        _check(module.f, program, np.random.default_rng(seed))
    finally:
        sys.modules.pop(module.__name__, None)


def _check(f, program: Program, rng: np.random.Generator) -> None:
    names = list(program.shapes)
    wrt = as_tuple(program.wrt, program.wrt)
    positions = [names.index(name) for name in wrt]
    args = [random_value(shape or None, "real", rng) for shape in program.shapes.values()]
    originals = copies(args)
    value = f(*copies(args))
    assert np.shape(value) == program.output_shape, "the generator's own promise"

    try:
        pullback = s2sad.vjp(f, program.wrt)
        pushforward = s2sad.jvp(f, program.wrt)
    except s2sad.S2SADError as error:
        raise AssertionError(f"s2sad refused a program in its language:\n{error}") from error

    d_out = _random_like(value, rng)
    directions = [_random_like(args[p], rng) for p in positions]
    try:
        cotangents = as_tuple(pullback(*args, d_out), program.wrt)
        primal, tangent = pushforward(*args, tuple(directions) if isinstance(program.wrt, tuple) else directions[0])
    except s2sad.errors.BadArgument as error:
        if "would update in place" not in str(error):
            raise
        # `v *= ...` while the tape (or another name) holds a view of v: refused at run time, located,
        # as documented; the generator cannot tell in advance which updates the tape will see.
        reject()
    for position, cotangent in zip(positions, cotangents):
        assert np.shape(cotangent) == np.shape(args[position]), f"the gradient of {names[position]} has the wrong shape"
        if isinstance(args[position], float):
            assert isinstance(cotangent, float), f"the gradient of the float {names[position]} is {type(cotangent)}"
    assert np.shape(tangent) == program.output_shape, "the jvp's tangent has the wrong shape"
    np.testing.assert_allclose(primal, value, rtol=VALUE_RTOL, atol=VALUE_RTOL, err_msg="the jvp's value")
    for arg, original in zip(args, originals):
        np.testing.assert_array_equal(arg, original, err_msg="an argument was changed")

    def projected(*values):
        return np.sum(np.asarray(f(*values)) * d_out)

    here = projected(*copies(args))
    for name, position, cotangent in zip(wrt, positions, cotangents):
        quotients = np.array([
            _quotients(projected, args, here, [position], [_unit(args[position], entry)])
            for entry in np.ndindex(np.shape(args[position]))
        ]).T.reshape((3, *np.shape(args[position])))
        _assert_close(cotangent, *quotients, what=f"vjp: the gradient of {name}")

    _assert_close(tangent, *_quotients(f, args, np.asarray(value, dtype=float), positions, directions),
                  what="jvp: the tangent")

    along = float(np.sum(np.asarray(tangent) * d_out))
    back = sum(float(np.sum(v * g)) for v, g in zip(directions, cotangents))
    scale = float(np.sum(np.abs(np.asarray(tangent) * d_out))) + sum(
        float(np.sum(np.abs(v * g))) for v, g in zip(directions, cotangents))
    assert abs(along - back) <= DOT_RTOL * scale + DOT_ATOL, f"dot-product test: <J v, w> = {along!r}, <v, J^T w> = {back!r}"


def _random_like(value, rng: np.random.Generator):
    if isinstance(value, float) or np.shape(value) == ():
        return float(rng.normal())
    return rng.normal(size=np.shape(value))


def _unit(value, entry: tuple[int, ...]):
    if isinstance(value, float):
        return 1.0
    unit = np.zeros(np.shape(value))
    unit[entry] = 1.0
    return unit


def _quotients(function, args, here, positions, directions):
    """Central, forward and backward difference quotients of ``function`` at ``args`` along ``directions``.

    ``here`` is ``function(*args)``; ``directions`` move the arguments at ``positions``.
    """

    def at(step):
        moved = copies(args)
        for position, direction in zip(positions, directions):
            shifted = args[position] + step * direction
            moved[position] = float(shifted) if isinstance(args[position], float) else shifted
        return np.asarray(function(*moved), dtype=float)

    ahead, behind = at(STEP), at(-STEP)
    return (ahead - behind) / (2 * STEP), (ahead - here) / STEP, (here - behind) / STEP


def _assert_close(actual, central, forward, backward, what: str) -> None:
    actual = np.asarray(actual, dtype=float)
    allowed = RTOL * np.abs(central) + ATOL
    error = np.abs(actual - central)
    wrong = error > allowed
    if not wrong.any():
        return
    # Within STEP of a kink or a jump, the central quotient is the mean of the one-sided ones:
    # a derivative from either side misses it by at most half their gap. Away from one, the
    # one-sided quotients agree to O(STEP) and this explains nothing.
    beside_kink = error <= np.abs(forward - backward) / 2 + allowed
    if beside_kink[wrong].all():
        _reject(f"{what}: the input is next to a kink or a jump")
    np.testing.assert_allclose(actual, central, rtol=RTOL, atol=ATOL, err_msg=f"{what} against central differences")


def _reject(reason: str) -> None:
    if currently_in_test_context():
        reject()
    pytest.skip(reason)
