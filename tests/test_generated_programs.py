"""Random programs in s2sad's language (tests/programs.py), differentiated in both modes and checked.

For each generated function ``f`` and random inputs (uniform in [-2, 2], float64):

- called plainly, ``f`` runs without a floating-point error (invalid,
  overflow, division by zero), returns the promised shape, and each view the
  generator wrote shares memory with its array (``Program.shares``, seen with
  a trace function): the generator's own promises (``BrokenPromise``);
- reverse mode: ``s2sad.vjp`` with a random ``d_out`` (for a scalar output a
  random float: the gradient times it) against central finite differences of
  ``<f(x), d_out>``, entry by entry;
- forward mode: ``s2sad.jvp`` along a random direction against central
  differences of ``f`` along it, and its value equal to ``f``'s;
- the dot-product test between the two: ``<J v, d_out> == <v, J^T d_out>`` to
  1e-10, relative to the size of the terms summed, or 1e-12 absolute (a zero
  product left with rounding from terms that cancelled);
- gradients shaped like their arguments (a float for a Python float; for a
  container of weights, ``tests.programs.Weights``, a container of the same
  type and keys, fields or length, each of its arrays checked against finite
  differences as an argument is, and the jvp taking a direction of that
  type), and the caller's arrays left unchanged, also where f updates its
  arguments in place (and inside containers).

Finite differences use tests.support' step and tolerances. Next to a kink or a
jump of ``f`` (abs, max, a branch or loop on data), central differences
average the slopes on its two sides and may miss either one by half their
gap; an input where that explains every mismatch is rejected
(``hypothesis.reject``), never passed with a looser tolerance.

A refusal (``s2sad.S2SADError``) fails the test, since the generator writes
only the supported language, with two exceptions. An in-place update of an
array something else still refers to (a view the tape keeps) is refused at
run time, located, by design; such an input is rejected. And a program with
alias forms (``Program.forms``: an array seen by several names and updated in
place through one of them, DESIGN.md section 7) may be refused, at generation
or at run time, if the refusal is located in the user's file; it counts as
passed ("refused"). A wrong derivative is a failure whatever the program. Any
other exception from s2sad is a bug in it.
``REGRESSIONS`` holds the failures the generator found, shrunk by hand to
small programs and checked the same way; one with a ``bug`` exposes an s2sad
bug not fixed yet and is expected to fail (``xfail``, strict: once it is
fixed, the test says so, and the ``bug`` goes).

Runs:

    python -m pytest tests/test_generated_programs.py
        DEFAULT_EXAMPLES programs, derandomized: the same programs on every run.
    S2SAD_FUZZ_EXAMPLES=20000 python -m pytest tests/test_generated_programs.py -x -q
        a long run: that many programs, new random ones each time.
    S2SAD_FUZZ_SURVEY=300 python -m pytest -n0 -q tests/test_generated_programs.py -k survey
        a survey: that many new programs, each checked as above but a failure counted instead of
        raised; prints, by alias form, how many were differentiated, refused (at generation or
        at run time), rejected (next to a kink) or failed, and writes the failures with their
        programs to a file it names (S2SAD_FUZZ_SURVEY_FAILURES=<path> chooses it).

Constructs with a known s2sad bug (KNOWN_BUGS, each with a regression) are
not written, so that the derandomized run stays green while they wait.

A failure prints the program's source (``hypothesis.note``), its inputs' seed,
and the quantity that disagreed. The on-disk cache is off here: thousands of
throwaway programs would only fill it.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import pathlib
import re
import sys
import textwrap
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, given, note, reject, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.errors import UnsatisfiedAssumption

import s2sad
from s2sad.finite_differences import ATOL, RTOL, STEP
from tests.support import as_tuple, copies, random_value, write_module
from tests.programs import WEIGHT_FORMS, Program, Weights, programs

DEFAULT_EXAMPLES = 200
SHARDS = 2  # the examples are split in shards, one test each, so that pytest-xdist's workers share them
# Constructs (tests.programs.AVOIDABLE) not written while a known s2sad bug fails them: each has a
# REGRESSION with its ``bug``; drop it from here once that is fixed.
KNOWN_BUGS: frozenset[str] = frozenset()
DOT_RTOL = 1e-10  # the two modes compute the same sums in different orders: only rounding may differ
# A product that is zero but computed from terms of order one that cancel (inputs are of order
# one) leaves rounding of about 1e-16 on either side; below this both sides are zero.
DOT_ATOL = 1e-12
VALUE_RTOL = 1e-12  # jvp's value against f's

_FUZZ_EXAMPLES = os.environ.get("S2SAD_FUZZ_EXAMPLES")
if _FUZZ_EXAMPLES:
    FUZZ_SETTINGS = settings(
        max_examples=int(_FUZZ_EXAMPLES) // SHARDS,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
else:
    FUZZ_SETTINGS = settings(
        max_examples=DEFAULT_EXAMPLES // SHARDS,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.filter_too_much],
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("generated_programs")


@pytest.fixture(scope="module", autouse=True)
def no_cache():
    patch = pytest.MonkeyPatch()
    patch.setenv("S2SAD_CACHE", "0")
    yield
    patch.undo()


@pytest.mark.parametrize("shard", range(SHARDS))
@FUZZ_SETTINGS
@given(program=programs(avoid=KNOWN_BUGS), seed=st.integers(0, 2**32 - 1))
def test_generated_program(shard, program, seed, folder):
    assume(zlib.crc32(program.source.encode()) % SHARDS == shard)
    check_program(program, seed, folder)


# -- a survey: what becomes of the programs, by alias form (off unless asked for) --------------------

_SURVEY = os.environ.get("S2SAD_FUZZ_SURVEY")
OUTCOMES = ("differentiated", "refused", "refused at run time", "rejected", "failed")


@pytest.fixture(scope="module")
def survey(request, folder):
    tally = {"forms": collections.defaultdict(collections.Counter), "failures": 0, "refusals": collections.Counter()}
    _survey_failures(folder).write_text("")
    yield tally
    lines = [f"{'form':32}{'programs':>9}" + "".join(f"{outcome:>22}" for outcome in OUTCOMES)]
    for form, counts in sorted(
        tally["forms"].items(), key=lambda item: (item[0] != "all", item[0] != "no alias", item[0])
    ):
        total = sum(counts.values())
        lines.append(
            f"{form:32}{total:>9}" + "".join(f"{f'{counts[o]} ({100 * counts[o] / total:.0f}%)':>22}" for o in OUTCOMES)
        )
    lines.append("refusals, by message:")
    lines += [f"{count:6}  {message}" for message, count in tally["refusals"].most_common()]
    lines.append(f"{tally['failures']} failures, with their programs, in {_survey_failures(folder)}")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(lines))


def _survey_failures(folder):
    """Where the survey writes its failures: S2SAD_FUZZ_SURVEY_FAILURES, or a file in the test's folder."""
    return pathlib.Path(os.environ.get("S2SAD_FUZZ_SURVEY_FAILURES") or folder / "survey-failures.txt")


@pytest.mark.skipif(not _SURVEY, reason="S2SAD_FUZZ_SURVEY=<examples> runs the survey")
@settings(
    max_examples=int(_SURVEY or 1),
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@given(program=programs(avoid=KNOWN_BUGS), seed=st.integers(0, 2**32 - 1))
def test_survey(program, seed, folder, survey):
    """Every program checked as test_generated_program does, its outcome counted (failures too) by form."""
    try:
        outcome = check_program(program, seed, folder)
    except (UnsatisfiedAssumption, pytest.skip.Exception):
        outcome = "rejected"
    except Exception as error:  # noqa: BLE001 -- counted and listed, not raised
        outcome = "failed"
        survey["failures"] += 1
        with _survey_failures(folder).open("a") as failures:
            failures.write(
                f"{type(error).__name__}: {error}\nshapes={program.shapes} wrt={program.wrt!r} seed={seed} "
                f"forms={sorted(program.forms)} constructs={sorted(program.constructs)}\n{program.source}\n{'=' * 100}\n"
            )
    for form in ("all", *(sorted(program.forms) or ["no alias"]), *sorted(program.constructs)):
        survey["forms"][form][outcome] += 1
    survey["refusals"].update(REFUSALS)


# -- failures found by the generator, shrunk -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Regression:
    id: str
    source: str  # a module defining f (import math and numpy as np are added)
    shapes: dict  # f's parameters -> shape; () is a Python float
    wrt: str | tuple[str, ...]
    output_shape: tuple
    seed: int = 0
    forms: frozenset = frozenset()  # its alias forms (tests.programs.Program.forms): s2sad may refuse it
    bug: str | None = None  # one-line diagnosis of the s2sad bug it exposes, not fixed yet (xfail, strict)


REGRESSIONS = [
    Regression(
        "loop-over-a-view-whose-base-the-body-updates-forward-mode",
        """
        def f(x1):
            w1 = np.ones((1, 2))
            w2 = w1[-1, :]
            total = 0.0
            for i1, r1 in enumerate(w2):
                total = total + r1 * r1
                w1[0] = np.tanh(x1)
            return total
        """,
        {"x1": (2,)},
        "x1",
        (),
        forms=frozenset({"view:row", "through:base", "update:set-part", "where:loop"}),
    ),
    Regression(
        "tangent-of-a-name-a-loop-trip-never-assigned-updated-in-place",
        """
        def g1(a, b):
            return a


        def g2(a, b=0.5):
            b *= np.tanh(np.sum(a ** 3))
            if np.any(np.full((3, 4), b) > 0.0):
                return np.mean(np.broadcast_to(a, (3, 3)), axis=0, keepdims=True) + b
            if not np.sum(np.mean(a, axis=0)) > 0.5:
                v3 = np.ones((3,))
                v3[:] += np.linalg.norm(np.square(np.full((3, 3), b)) + 0.5, axis=1)
                v1 = np.ones((4, 1))
                v2 = np.arctan(np.full((3,), b)) @ np.concatenate([np.full((2, 3), b), a])
            elif np.sum(np.full((4,), b)) > 1.0 or np.sum(np.linspace(-1.0, 1.0, 3)) > 0.0:
                w1 = np.subtract(float(a.shape[0]) * np.full((4, 3), b), np.cos(np.full((4, 3), b)))
                w2 = w1[:-1, :]
                if np.mean(np.mean(w1, axis=0)) > 0.5:
                    w1[:, 0] -= np.subtract(np.ones((4,)), np.full((4,), b))
                elif g1(b, b=np.sin(np.mean(w1, axis=1))) < w1[1, -3]:
                    pass
                elif not np.sum(np.full((4, 1), b)) > 0.0:
                    pass
                v1 = np.full((4, 2), b)[:, :-1]
                v2 = np.mean(w1, axis=0)
            else:
                v1 = np.full((4, 1), b) * b
                v2 = np.mean(a, axis=0) + np.full((3,), b)
            return (np.full((1, 3), b) + b) + np.sum(v1) + v2


        def f(x1, x2, x3, x4):
            x1 = np.log10(np.cosh(x1))
            x1 *= np.linspace(-1.0, 1.0, 12).reshape(4, 3)
            for r1, r2 in zip(x1, x1):
                x1 = np.tanh(np.outer(x3, r1))
                x2 = 0.5 * x2 + 0.5 * np.tanh(g2(np.tanh(np.stack([-r2])), b=np.tanh(0.1 * (np.abs(np.mean(x2)) + np.linalg.det(2.0 * np.eye(3) + 0.25 * np.tanh(np.broadcast_to(x2, (3, 3))))))))
            return x4 + np.mean(x2)
        """,
        {"x1": (4, 3), "x2": (1, 3), "x3": (4,), "x4": (4, 1)},
        ("x1", "x2", "x3", "x4"),
        (4, 1),
        seed=1656,
        forms=frozenset({"through:base"}),
    ),
    Regression(
        "jvp-of-a-scalar-broadcast-by-a-constant",
        """
        def f(x):
            return np.sum(np.ones(3) + x)
        """,
        {"x": ()},
        "x",
        (),
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
        {"x": (), "w": (3,)},
        "x",
        (3,),
    ),
    Regression(
        "jvp-conditional-expression-in-a-branch",
        """
        def f(x):
            if x > 5.0:
                x = x if x > 1.0 else 2.0 * x
            return x
        """,
        {"x": ()},
        "x",
        (),
    ),
    Regression(
        "vjp-solve-output-updated-in-place-through-a-copy",
        """
        def f(x1, x2):
            x1 = np.linalg.solve(np.full((1, 1), x2), x1)
            x1[:, 1:] -= 1.0
            return np.sum(x1)
        """,
        {"x1": (1, 2), "x2": ()},
        "x2",
        (),
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
        {"x1": (3,)},
        "x1",
        (),
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
        {"x3": (2, 2), "x4": (1, 2)},
        ("x3", "x4"),
        (),
    ),
    Regression(
        "indexing-with-a-list-copies-so-the-copy-may-be-updated",
        """
        def f(x4, x3):
            v5 = x4[[2, 2, 1]]
            v5[:] = np.sin(x3) * v5
            return np.sum(v5 * x4)
        """,
        {"x4": (3,), "x3": (3,)},
        ("x4", "x3"),
        (),
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
        {"x1": (), "x2": (3, 3)},
        ("x1", "x2"),
        (1, 3),
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
        {"x": ()},
        "x",
        (),
    ),
    Regression(
        "update-by-minus-zero",
        """
        def f(x):
            w = x * 1.0
            w[1] -= 0.0
            return np.sum(w)
        """,
        {"x": (3,)},
        "x",
        (),
    ),
    Regression(
        "base-updated-then-written-through-a-view-a-helper-returned",
        """
        def g(a):
            return a[1:]


        def f(x):
            w = x * 1.0
            v = g(w)
            w *= 0.5
            v[0] = 0.5
            return np.sum(w)
        """,
        {"x": (3,)},
        "x",
        (),
        forms=frozenset(
            {"view:helper-returns-view", "through:helper-returns-view", "update:multiply", "update:set-part"}
        ),
    ),
    Regression(
        "a-view-of-a-view-a-helper-returned-in-a-helper",
        """
        def g2(a):
            return a[:]


        def g3(a):
            w1 = a.copy()
            w2 = g2(w1)
            w3 = w2[1:]
            w3[0] = 0.5
            v7 = np.sum(w1)
            w3 -= 1.0
            return v7 + w2


        def f(x):
            return np.sum(g3(x))
        """,
        {"x": (4,)},
        "x",
        (),
        forms=frozenset(
            {
                "view:helper-returns-view",
                "view:slice",
                "view:view-of-view",
                "through:slice",
                "update:set-part",
                "update:subtract",
                "where:helper",
            }
        ),
    ),
    Regression(
        "a-copy-then-a-reshape-of-it",
        """
        def f(x):
            w1 = x.T.copy()
            w2 = w1.reshape(4)
            w1[1] = 0.0
            return np.sum(w2 * w2)
        """,
        {"x": (2, 2)},
        "x",
        (),
        forms=frozenset({"view:reshape", "through:base", "update:set-part"}),
    ),
    Regression(
        "base-updated-then-written-through-a-view-while-a-second-name-holds-it",
        """
        def f(x):
            w1 = w2 = x * 1.0
            w3 = w1[:]
            w1 *= 2.0
            w3[1] = 0.5
            return np.sum(w1)
        """,
        {"x": (3,)},
        "x",
        (),
        forms=frozenset(
            {
                "view:several-targets",
                "view:whole-slice",
                "through:base",
                "through:whole-slice",
                "update:multiply",
                "update:set-part",
            }
        ),
    ),
    Regression(
        "a-numpy-function-passed-to-a-helper-and-called-in-the-same-function",
        """
        def g(fn, a):
            return fn(a)


        def f(x):
            return np.cos(x) + g(np.cos, x)
        """,
        {"x": ()},
        "x",
        (),
    ),
    Regression(
        "assert-a-shape-equal-to-a-tuple",
        """
        def f(x):
            assert np.shape(x) == (2,)
            return np.sum(x)
        """,
        {"x": (2,)},
        "x",
        (),
    ),
    Regression(
        "a-helper-returning-a-tuple-beside-a-function-defined-inside-it",
        """
        def g1(a):
            def h1(z1):
                return z1
            return a, a

        def f(x1):
            v1, v2 = g1(x1)
            return v1 + v2
        """,
        {"x1": ()},
        "x1",
        (),
    ),
    Regression(
        "a-nested-list-comprehension",
        """
        def f(x):
            return np.sum(np.array([[x[0] * j for j in range(2)] for i in range(2)]))
        """,
        {"x": (2,)},
        "x",
        (),
    ),
    Regression(
        "an-array-written-into-itself",
        """
        def f(x):
            w = x * 1.0
            w[:] = w
            return np.sum(w)
        """,
        {"x": (3,)},
        "x",
        (),
    ),
]


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, marks=[pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else [], id=case.id)
        for case in REGRESSIONS
    ],
)
def test_regression(case, folder):
    source = "import math\n\nimport numpy as np\n\n\n" + textwrap.dedent(case.source).lstrip()
    check_program(Program(source, case.shapes, case.wrt, case.output_shape, case.forms), case.seed, folder)


@pytest.mark.parametrize("kind", list(WEIGHT_FORMS))
def test_a_container_of_weights_of_each_kind(kind, folder):
    """Each kind of container of weights the generator writes (however often it draws one), read as it
    reads it, goes through the checks: its gradient of its type, its jvp along a direction of its type."""
    weights = Weights(kind, {"W1": (3, 2), "W2": (2,)})
    w1, w2 = (
        WEIGHT_FORMS[kind].format(container="params", key=key, position=position)
        for position, key in enumerate(weights.shapes)
    )
    imported, definition = weights.definitions()
    unpacked = "    W1, W2 = params\n" if kind == "unpacked-tuple-of-weights" else ""
    source = (
        f"import math\n{f'import {imported}' if imported else ''}\nimport numpy as np\n\n\n{definition}\n\n"
        f"def f(x, params):\n{unpacked}    return np.sum(np.tanh(x @ {w1} + {w2}) ** 2) * np.sum({w1})\n"
    )
    program = Program(source, {"x": (3,), "params": weights}, ("x", "params"), (), constructs=frozenset({kind}))
    assert check_program(program, 0, folder) == "differentiated"


def test_a_gradient_of_another_type_or_form_fails_the_checks():
    point = collections.namedtuple("Point", "a b")
    argument = {"layer": (np.ones(2), point(np.ones(3), 1.0))}
    _assert_same_form({"layer": (np.zeros(2), point(np.zeros(3), 0.0))}, argument, "params")
    for wrong, message in [
        ({"layer": [np.zeros(2), point(np.zeros(3), 0.0)]}, "the gradient of params['layer'] is a <class 'list'>"),
        ({"layer": (np.zeros(2), (np.zeros(3), 0.0))}, "the gradient of params['layer'][1] is a <class 'tuple'>"),
        ({"layer": (np.zeros(2), point(np.zeros(2), 0.0))}, "the gradient of params['layer'][1].a has the wrong"),
        ({"layer": (np.zeros(2), point(np.zeros(3), np.zeros(())))}, "the gradient of the float params['layer'][1].b"),
        ({"layer": (np.zeros(2),)}, "the gradient of params['layer'] has other keys"),
    ]:
        with pytest.raises(AssertionError, match=re.escape(message)):
            _assert_same_form(wrong, argument, "params")


# -- the checks ---------------------------------------------------------------------------------


def check_program(program: Program, seed: int, folder) -> str:
    """Checks ``program`` on inputs drawn with ``seed``: "differentiated", or "refused" (at generation, or
    "refused at run time") when it has alias forms; raises on a failure."""
    REFUSALS.clear()
    if currently_in_test_context():  # hypothesis prints notes with a failing example
        note(program.source)
        note(f"shapes={program.shapes} wrt={program.wrt!r} seed={seed} forms={sorted(program.forms)}")
    module = write_module(folder, program.source)
    try:
        return _check(module.f, program, np.random.default_rng(seed))
    finally:
        sys.modules.pop(module.__name__, None)


class BrokenPromise(AssertionError):
    """The generator wrote a program unlike what it promises (tests.programs' bug, not s2sad's)."""


def _run_plainly(f, args, program: Program):
    """``f(*args)``, as a user calls it, checking what the generator promises: no floating-point error
    (invalid, overflow, division by zero), and each view it wrote shares memory with its array."""
    expected = collections.defaultdict(list)
    for line, a, b in program.shares:
        expected[line].append((a, b))
    broken = []

    def tracer(frame, event, arg):
        # Comprehensions and lambdas run in frames of their own, without the names the marks speak of.
        if frame.f_code.co_filename != f.__code__.co_filename or frame.f_code.co_name.startswith("<"):
            return None
        last = [None]

        def local(frame, event, arg):
            if event in ("line", "return") and last[0] in expected:
                names = dict(frame.f_locals)
                for a, b in expected[last[0]]:
                    if not np.shares_memory(eval(a, {}, names), eval(b, {}, names)):
                        broken.append(f"line {last[0]}: {a} is not a view of {b}")
            if event == "line":
                last[0] = frame.f_lineno
            return local

        return local

    previous = sys.gettrace()
    if expected:
        sys.settrace(tracer)
    try:
        with np.errstate(all="raise", under="ignore"):
            value = f(*args)
    except Exception as error:  # noqa: BLE001 -- s2sad is not involved: whatever it is, the generator wrote it
        raise BrokenPromise(f"the program fails when called: {error!r}") from error
    finally:
        sys.settrace(previous)
    if broken:
        raise BrokenPromise("; ".join(broken))
    if np.shape(value) != program.output_shape:
        raise BrokenPromise(f"f returns shape {np.shape(value)}, not {program.output_shape}")
    return value


REFUSALS: list[str] = []  # the message of the refusal allowed in the program checked last, for the survey


def _allowed_refusal(program: Program, error: s2sad.S2SADError) -> None:
    """A refusal is allowed only of a program with alias forms, and only located in the user's file."""
    if not program.forms:
        raise AssertionError(f"s2sad refused a program in its language:\n{error}") from error
    if error.origin is None:
        raise AssertionError(f"s2sad refused a program with aliases without saying where:\n{error}") from error
    REFUSALS.append(error.message)


def _check(f, program: Program, rng: np.random.Generator) -> str:
    names = list(program.shapes)
    wrt = as_tuple(program.wrt, program.wrt)
    positions = [names.index(name) for name in wrt]
    args = [_random_argument(shape, rng, f.__globals__) for shape in program.shapes.values()]
    originals = _copies(args)
    value = _run_plainly(f, _copies(args), program)

    try:
        pullback = s2sad.vjp(f, program.wrt)
        pushforward = s2sad.jvp(f, program.wrt)
    except s2sad.S2SADError as error:
        _allowed_refusal(program, error)
        return "refused"

    d_out = _random_like(value, rng)
    directions = [_random_like(args[p], rng) for p in positions]
    along_directions = tuple(directions) if isinstance(program.wrt, tuple) else directions[0]
    try:
        cotangents = as_tuple(pullback(*args, d_out), program.wrt)
        primal, tangent = pushforward(*args, along_directions)
        # Called again with arguments of the same kind: the derivatives specialized to their ranks
        # (s2sad/specialize.py) must give what the derivatives for any arguments gave.
        _assert_same_values(as_tuple(pullback(*args, d_out), program.wrt), cotangents, "the specialized vjp")
        _assert_same_values(pushforward(*args, along_directions), (primal, tangent), "the specialized jvp")
    except s2sad.errors.BadArgument as error:
        if "would update in place" not in str(error):
            raise
        # `v *= ...` while the tape (or another name) holds a view of v: refused at run time, located,
        # as documented; the generator cannot tell in advance which updates the tape will see.
        if not program.forms:
            reject()
        _allowed_refusal(program, error)
        return "refused at run time"
    for position, cotangent in zip(positions, cotangents, strict=True):
        _assert_same_form(cotangent, args[position], names[position])
    assert np.shape(tangent) == program.output_shape, "the jvp's tangent has the wrong shape"
    np.testing.assert_allclose(primal, value, rtol=VALUE_RTOL, atol=VALUE_RTOL, err_msg="the jvp's value")
    for arg, original in zip(args, originals, strict=True):
        for (_, part), (_, before) in zip(_leaves(arg), _leaves(original), strict=True):
            np.testing.assert_array_equal(part, before, err_msg="an argument was changed")

    def projected(*values):
        return np.sum(np.asarray(f(*values)) * d_out)

    here = projected(*_copies(args))
    for name, position, cotangent in zip(wrt, positions, cotangents, strict=True):
        for path, argument in _leaves(args[position]):
            quotients = np.array(
                [
                    _quotients(projected, args, here, [position], [_unit(args[position], path, entry)])
                    for entry in np.ndindex(np.shape(argument))
                ]
            ).T.reshape((3, *np.shape(argument)))
            what = _written(name, args[position], path)
            _assert_close(_at(cotangent, path), *quotients, what=f"vjp: the gradient of {what}")

    _assert_close(
        tangent, *_quotients(f, args, np.asarray(value, dtype=float), positions, directions), what="jvp: the tangent"
    )

    along = float(np.sum(np.asarray(tangent) * d_out))
    products = [
        np.asarray(part * _at(cotangent, path))
        for direction, cotangent in zip(directions, cotangents, strict=True)
        for path, part in _leaves(direction)
    ]
    back = sum(float(np.sum(product)) for product in products)
    scale = float(np.sum(np.abs(np.asarray(tangent) * d_out))) + sum(float(np.sum(np.abs(p))) for p in products)
    assert (
        abs(along - back) <= DOT_RTOL * scale + DOT_ATOL
    ), f"dot-product test: <J v, w> = {along!r}, <v, J^T w> = {back!r}"
    return "differentiated"


def _assert_same_values(again, first, what: str) -> None:
    for one, other in zip(again, first, strict=True):
        for (_, part), (_, before) in zip(_leaves(one), _leaves(other), strict=True):
            np.testing.assert_allclose(part, before, rtol=DOT_RTOL, atol=DOT_ATOL, err_msg=what)


def _random_argument(shape, rng: np.random.Generator, namespace: dict):
    """An argument of ``shape`` (a container of weights for a ``Weights``) in [-2, 2]; ``namespace``: the
    program's module's, where the container's type is defined."""
    if isinstance(shape, Weights):
        arrays = {key: random_value(part, "real", rng) for key, part in shape.shapes.items()}
        return shape.container(arrays, namespace)
    return random_value(shape or None, "real", rng)


# -- containers of weights: dicts, lists, tuples, named tuples, dataclass instances, nested ----------


def _items(value) -> list[tuple[object, object]] | None:
    """A container's (key, part) pairs: keys, field names or positions; None for an array or a float."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return list(value._asdict().items())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(field.name, getattr(value, field.name)) for field in dataclasses.fields(value)]
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, (list, tuple)):
        return list(enumerate(value))
    return None


def _part(container, key):
    """The part of ``container`` at ``key`` (a field of a named tuple or a dataclass instance read by name)."""
    if isinstance(container, (dict, list)) or (isinstance(container, tuple) and isinstance(key, int)):
        return container[key]
    return getattr(container, key)


def _rebuilt(like, parts: dict):
    """A container of ``like``'s type holding ``parts`` (by ``_items``' keys)."""
    if isinstance(like, tuple) and hasattr(like, "_fields"):
        return type(like)(**parts)
    if dataclasses.is_dataclass(like):
        return dataclasses.replace(like, **parts)
    if isinstance(like, dict):
        return dict(parts)
    return type(like)(parts.values())


def _mapped(function, value, *others):
    """``function`` of each leaf of ``value`` and the leaves at the same place in ``others`` (of its form),
    in ``value``'s form and types."""
    items = _items(value)
    if items is None:
        return function(value, *others)
    return _rebuilt(value, {key: _mapped(function, part, *(_part(o, key) for o in others)) for key, part in items})


def _leaves(value, path: tuple = ()) -> list[tuple[tuple, object]]:
    """(path, array or float) for each leaf of ``value``: (path of keys, field names and positions, leaf);
    ((), value) for an array or a float."""
    items = _items(value)
    if items is None:
        return [(path, value)]
    return [leaf for key, part in items for leaf in _leaves(part, (*path, key))]


def _at(value, path: tuple):
    for key in path:
        value = _part(value, key)
    return value


def _written(name: str, value, path: tuple) -> str:
    """How f reads the leaf at ``path`` of its argument ``name`` (holding ``value``): params1["W1"], params1.W1."""
    for key in path:
        name += f"[{key!r}]" if isinstance(value, (dict, list)) or isinstance(key, int) else f".{key}"
        value = _part(value, key)
    return name


def _assert_same_form(gradient, argument, what: str) -> None:
    """``gradient`` is of ``argument``'s type (the same keys, fields or length for a container) and shape (a
    float for a float), leaf by leaf."""
    items = _items(argument)
    if items is None:
        assert np.shape(gradient) == np.shape(argument), f"the gradient of {what} has the wrong shape"
        if isinstance(argument, float):
            assert isinstance(gradient, float), f"the gradient of the float {what} is {type(gradient)}"
        return
    assert type(gradient) is type(argument), f"the gradient of {what} is a {type(gradient)}, not a {type(argument)}"
    keys = [key for key, _ in items]
    assert [key for key, _ in _items(gradient)] == keys, f"the gradient of {what} has other keys, fields or length"
    for key, part in items:
        _assert_same_form(_part(gradient, key), part, _written(what, argument, (key,)))


def _copies(values):
    """``copies``, copying the arrays inside containers too."""
    return [_mapped(lambda leaf: np.copy(leaf) if isinstance(leaf, np.ndarray) else leaf, v) for v in copies(values)]


def _random_like(value, rng: np.random.Generator):
    def random(leaf):
        return (
            float(rng.normal()) if isinstance(leaf, float) or np.shape(leaf) == () else rng.normal(size=np.shape(leaf))
        )

    return _mapped(random, value)


def _unit(value, path: tuple, entry: tuple[int, ...]):
    """A direction of ``value``'s form along ``entry`` of its leaf at ``path``."""
    if isinstance(value, float):
        return 1.0
    unit = _mapped(lambda leaf: np.zeros(np.shape(leaf)), value)
    _at(unit, path)[entry] = 1.0
    return unit


def _shifted(value, step: float, direction):
    def shifted(leaf, along):
        moved = leaf + step * along
        return float(moved) if isinstance(leaf, float) else moved

    return _mapped(shifted, value, direction)


def _quotients(function, args, here, positions, directions):
    """Central, forward and backward difference quotients of ``function`` at ``args`` along ``directions``.

    ``here`` is ``function(*args)``; ``directions`` move the arguments at ``positions``.
    """

    def at(step):
        moved = _copies(args)
        for position, direction in zip(positions, directions, strict=True):
            moved[position] = _shifted(args[position], step, direction)
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
