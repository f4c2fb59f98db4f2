"""`s2sad grad --standalone`: the module printed runs where only numpy can be imported, gives the
gradient s2sad.grad gives, and raises the same located errors."""

from __future__ import annotations

import ast
import builtins
import dis
import importlib.util
import inspect
import os
import pickle
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

import s2sad
from s2sad import runtime
from s2sad.backend.standalone import NotStandalone, standalone
from s2sad.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (fixture, function, wrt, flags): a model, a network, a loop over a recurrence (taped, checkpointed),
# a loop with a branch
CASES = [
    ("logistic", "loss", ("w", "b"), ()),
    ("mlp", "loss", ("W1", "b1", "W2", "b2"), ()),
    ("rnn", "loss", ("W", "U", "b", "h0"), ()),
    ("rnn", "loss", ("W", "U", "b", "h0"), ("--checkpoints", "2")),
    ("piecewise", "huber", ("r",), ()),
]

# Run in a fresh interpreter without site-packages: the generated module, the inputs pickled beside
# it; prints (pickled) the gradients, or the error a call with an integer array raises.
RUNNER = textwrap.dedent("""
    import pickle, sys
    try:
        import s2sad
    except ImportError:
        pass
    else:
        raise SystemExit("s2sad can be imported here")
    import generated
    name, inputs, first = pickle.load(open(sys.argv[1], "rb"))
    gradient = getattr(generated, name)
    if sys.argv[2] == "wrong":
        inputs[first] = inputs[first].astype(int)
        try:
            gradient(**inputs)
        except Exception as error:
            result = (type(error).__name__, str(error))
        else:
            result = None
    else:
        result = gradient(**inputs)
    assert not [m for m in sys.modules if m.split(".")[0] in ("s2sad", "libcst", "black", "scipy")]
    sys.stdout.buffer.write(pickle.dumps(result))
    """)


@pytest.fixture(scope="module")
def numpy_only_path(tmp_path_factory):
    """A folder holding only numpy (links to its package): PYTHONPATH for `python -S`."""
    folder = tmp_path_factory.mktemp("numpy_only")
    site = os.path.dirname(os.path.dirname(np.__file__))
    for entry in os.listdir(site):
        if entry == "numpy" or entry == "numpy.libs":
            os.symlink(os.path.join(site, entry), folder / entry)
    return str(folder)


def _generate(tmp_path, fixture: str, name: str, wrt: tuple[str, ...], *flags: str) -> str:
    output = tmp_path / "generated.py"
    target = f"fixtures/{fixture}.py:{name}"
    assert main(["grad", target, "--wrt", ",".join(wrt), "-o", str(output), *flags]) == 0
    return output.read_text()


def _run(tmp_path, numpy_only_path: str, name: str, inputs: dict, first: str, how: str):
    (tmp_path / "runner.py").write_text(RUNNER)
    with open(tmp_path / "inputs.pickle", "wb") as stream:
        pickle.dump((name, inputs, first), stream)
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": numpy_only_path}
    done = subprocess.run(
        [sys.executable, "-S", str(tmp_path / "runner.py"), str(tmp_path / "inputs.pickle"), how],
        cwd=ROOT,  # where the origins' paths (fixtures/...) lead, as for the in-process gradient
        env=environment,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return pickle.loads(done.stdout)


def _model(fixture: str):
    spec = importlib.util.spec_from_file_location(
        f"standalone_{fixture}", os.path.join(ROOT, "fixtures", f"{fixture}.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("fixture, name, wrt, flags", CASES, ids=[c[0] + "".join(c[3]) for c in CASES])
def test_standalone_gradient_runs_with_numpy_alone(tmp_path, numpy_only_path, fixture, name, wrt, flags):
    source = _generate(tmp_path, fixture, name, wrt, "--standalone", *flags)
    tree = ast.parse(source)
    imported = [ast.unparse(s) for s in ast.walk(tree) if isinstance(s, (ast.Import, ast.ImportFrom))]
    assert not [text for text in imported if "s2sad" in text], imported
    model = _model(fixture)
    inputs = model.example_inputs(name) if fixture == "piecewise" else model.example_inputs()
    shipped = _run(tmp_path, numpy_only_path, f"grad_{name}", inputs, wrt[0], "right")
    expected = s2sad.grad(getattr(model, name), wrt=wrt if len(wrt) > 1 else wrt[0])(**inputs)
    if len(wrt) == 1:
        shipped, expected = (shipped,), (expected,)
    assert len(shipped) == len(expected) == len(wrt)
    for got, want in zip(shipped, expected, strict=True):
        assert type(got) is type(want)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_standalone_errors_are_located_as_before(tmp_path, numpy_only_path):
    inputs = _model("logistic").example_inputs()
    plain = _generate(tmp_path, "logistic", "loss", ("w",))
    namespace: dict = {}
    exec(compile(plain, str(tmp_path / "plain.py"), "exec"), namespace)
    with pytest.raises(s2sad.errors.BadArgument) as expected:
        namespace["grad_loss"](**{**inputs, "w": inputs["w"].astype(int)})
    _generate(tmp_path, "logistic", "loss", ("w",), "--standalone")
    kind, message = _run(tmp_path, numpy_only_path, "grad_loss", inputs, "w", "wrong")
    assert (kind, message) == ("BadArgument", str(expected.value))
    assert message.startswith("fixtures/logistic.py:6:10: error: argument 'w' is differentiated")


def test_standalone_output_is_deterministic_and_refuses_numba(tmp_path, capsys):
    first = _generate(tmp_path, "rnn", "loss", ("W",), "--standalone")
    assert _generate(tmp_path, "rnn", "loss", ("W",), "--standalone") == first
    status = main(["grad", "fixtures/rnn.py:loss", "--standalone", "--target", "numba", "--shapes", "W=(3,3)"])
    assert status == 2
    assert "--standalone" in capsys.readouterr().err


def test_every_runtime_helper_copies_with_all_it_reads(tmp_path, numpy_only_path):
    """A module calling every helper: it imports with numpy alone, and no copied function reads a global
    the module lacks (a helper, constant or import the walk missed)."""
    names = sorted(name for name in runtime.__all__ if name not in ("ALLOCATING", "SHAPE_ONLY"))
    calls = "".join(f"    _rt.{name}\n" for name in names)
    source = standalone(
        f'"""Generated."""\n\nimport numpy as np\nfrom s2sad import runtime as _rt\n\n\ndef f():\n{calls}'
    )
    (tmp_path / "generated.py").write_text(source)
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": numpy_only_path}
    done = subprocess.run(
        [sys.executable, "-S", "-c", "import generated; print(len(vars(generated._rt)))"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert int(done.stdout) == len(names)
    namespace: dict = {}
    exec(compile(source, "<standalone>", "exec"), namespace)
    missing = set()
    codes = [v.__code__ for v in namespace.values() if isinstance(v, types.FunctionType)]
    codes += [inspect.unwrap(v).__code__ for v in namespace.values() if hasattr(v, "__wrapped__")]
    for kind in (v for v in namespace.values() if isinstance(v, type)):
        members = [getattr(m, "fget", getattr(m, "__func__", m)) for m in vars(kind).values()]
        codes += [m.__code__ for m in members if isinstance(m, types.FunctionType)]
    while codes:
        code = codes.pop()
        if code.co_filename != "<standalone>":
            continue  # numpy's own functions (the einsum parser the module imports)
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
        for instruction in dis.get_instructions(code):
            name = instruction.argval
            if instruction.opname == "LOAD_GLOBAL" and name not in namespace and not hasattr(builtins, name):
                missing.add(f"{code.co_name}: {name}")
    assert not missing


def test_a_name_the_copies_need_is_refused():
    source = (
        '"""Generated."""\n\nfrom model import like\nfrom s2sad import runtime as _rt\n\n\n'
        "def grad_f(x):\n    return _rt.like(like(x), x)\n"
    )
    with pytest.raises(NotStandalone, match="the module's name 'like' is also a copied runtime helper's"):
        standalone(source)
