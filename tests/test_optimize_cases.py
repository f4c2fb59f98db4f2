"""optimize, case by case: a model, the generated function as optimize takes it, and as it leaves it.

The texts are the generated function as emit prints it (without the module's docstring and imports):
the transform's output before, the optimized function after. Each case shows one rewrite at work
(see s2sad/optimize.py): inlining of temporaries, dead code, no zero adjoints, copy propagation,
folding, fusion, stacking, common subexpressions, releasing dead arrays, and copying gradients that may share memory.
"""

import pytest

from tests.passes import dedent, optimize_before_after

CASES = [
    # a forward temporary read once goes back into its reader; so does its adjoint once the temporary is gone; the
    # unused sum goes
    pytest.param(
        ("w",),
        "grad",
        """
        import numpy as np
        def f(x, w):
            return np.sum(np.tanh(x @ w + 1.0))
        """,
        '''
        def grad_f(x, w):
            """Gradient of f with respect to w."""
            _rt.require_float(w, "w", "model.py:3:10")
            # forward sweep
            # model.py:4: return np.sum(np.tanh(x @ w + 1.0))
            _t1 = x @ w
            _t2 = _t1 + 1.0
            _t3 = np.tanh(_t2)
            _t4 = np.sum(_t3)
            # reverse sweep
            # adjoint of model.py:4: return np.sum(np.tanh(x @ w + 1.0))
            d_t3 = _rt.unreduce(1.0, _t3, None, False)
            d_t2 = d_t3 * (1.0 - _t3 * _t3)
            d_t1 = d_t2
            d_w = _rt.matmul_adjoint_right(d_t1, x, w)
            return _rt.like(d_w, w)
        ''',
        '''
        def grad_f(x, w):
            """Gradient of f with respect to w."""
            _rt.require_float(w, "w", "model.py:3:10")
            # forward sweep
            # model.py:4: return np.sum(np.tanh(x @ w + 1.0))
            _t1 = np.tanh(x @ w + 1.0)
            # reverse sweep
            # adjoint of model.py:4: return np.sum(np.tanh(x @ w + 1.0))
            d_t1 = _rt.unreduce(1.0, _t1, None, False)
            d_w = _rt.matmul_adjoint_right(d_t1 * (1.0 - _t1 * _t1), x, w)
            return _rt.like(d_w, w)
        ''',
        id="inline-forward",
    ),
    # a user's name is never inlined, nor a temporary the reverse sweep reads; each array is released after its
    # last read
    pytest.param(
        ("x",),
        "grad",
        """
        import numpy as np
        def f(x):
            y = np.exp(x)
            return np.sum(y * y)
        """,
        '''
        def grad_f(x):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: y = np.exp(x)
            y = np.exp(x)
            # model.py:5: return np.sum(y * y)
            _t1 = y * y
            _t2 = np.sum(_t1)
            # reverse sweep
            # adjoint of model.py:5: return np.sum(y * y)
            d_t1 = _rt.unreduce(1.0, _t1, None, False)
            d_y = d_t1 * y
            d_y = d_y + d_t1 * y
            # adjoint of model.py:4: y = np.exp(x)
            d_x = d_y * y
            return _rt.like(d_x, x)
        ''',
        '''
        def grad_f(x):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: y = np.exp(x)
            y = np.exp(x)
            # model.py:5: return np.sum(y * y)
            _t1 = y * y
            # reverse sweep
            # adjoint of model.py:5: return np.sum(y * y)
            d_t1 = _rt.unreduce(1.0, _t1, None, False)
            del _t1
            d_y = d_t1 * y
            d_y = d_y + d_t1 * y
            del d_t1
            # adjoint of model.py:4: y = np.exp(x)
            d_x = d_y * y
            return _rt.like(d_x, x)
        ''',
        id="values-the-reverse-sweep-reads-stay",
    ),
    # only generated names are dead code: the user's unused value stays (and is released at once)
    pytest.param(
        ("x",),
        "grad",
        """
        import numpy as np
        def f(x, y):
            unused = np.cos(y)
            return np.sum(x * 2.0)
        """,
        '''
        def grad_f(x, y):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: unused = np.cos(y)
            unused = np.cos(y)
            # model.py:5: return np.sum(x * 2.0)
            _t1 = x * 2.0
            _t2 = np.sum(_t1)
            # reverse sweep
            # adjoint of model.py:5: return np.sum(x * 2.0)
            d_t1 = _rt.unreduce(1.0, _t1, None, False)
            d_x = d_t1 * 2.0
            return _rt.like(d_x, x)
        ''',
        '''
        def grad_f(x, y):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: unused = np.cos(y)
            unused = np.cos(y)
            del unused
            # model.py:5: return np.sum(x * 2.0)
            _t1 = x * 2.0
            # reverse sweep
            # adjoint of model.py:5: return np.sum(x * 2.0)
            d_t1 = _rt.unreduce(1.0, _t1, None, False)
            del _t1
            d_x = d_t1 * 2.0
            return _rt.like(d_x, x)
        ''',
        id="user-names-stay",
    ),
    # copies of adjoints are read as their source: no adjoint starts at zero, the first contribution is assigned
    pytest.param(
        ("x",),
        "grad",
        """
        import numpy as np
        def f(x):
            y = x * x
            return np.sum(y + np.sin(x))
        """,
        '''
        def grad_f(x):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: y = x * x
            y = x * x
            # model.py:5: return np.sum(y + np.sin(x))
            _t1 = np.sin(x)
            _t2 = y + _t1
            _t3 = np.sum(_t2)
            # reverse sweep
            # adjoint of model.py:5: return np.sum(y + np.sin(x))
            d_t2 = _rt.unreduce(1.0, _t2, None, False)
            d_y = d_t2
            d_t1 = d_t2
            d_x = d_t1 * np.cos(x)
            # adjoint of model.py:4: y = x * x
            d_x = d_x + d_y * x
            d_x = d_x + d_y * x
            return _rt.like(d_x, x)
        ''',
        '''
        def grad_f(x):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: y = x * x
            y = x * x
            # model.py:5: return np.sum(y + np.sin(x))
            _t1 = y + np.sin(x)
            del y
            # reverse sweep
            # adjoint of model.py:5: return np.sum(y + np.sin(x))
            d_t1 = _rt.unreduce(1.0, _t1, None, False)
            del _t1
            d_x = d_t1 * np.cos(x)
            # adjoint of model.py:4: y = x * x
            d_x = d_x + d_t1 * x
            d_x = d_x + d_t1 * x
            return _rt.like(d_x, x)
        ''',
        id="no-zero-adjoints",
    ),
    # the adjoints of a = x and b = a are copies: the gradient is returned as d_b
    pytest.param(
        ("x",),
        "grad",
        """
        import numpy as np
        def f(x):
            a = x
            b = a
            return np.sum(np.exp(b))
        """,
        '''
        def grad_f(x):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: a = x
            a = x
            # model.py:5: b = a
            b = a
            # model.py:6: return np.sum(np.exp(b))
            _t1 = np.exp(b)
            _t2 = np.sum(_t1)
            # reverse sweep
            # adjoint of model.py:6: return np.sum(np.exp(b))
            d_t1 = _rt.unreduce(1.0, _t1, None, False)
            d_b = d_t1 * _t1
            # adjoint of model.py:5: b = a
            d_a = d_b
            # adjoint of model.py:4: a = x
            d_x = d_a
            return _rt.like(d_x, x)
        ''',
        '''
        def grad_f(x):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: a = x
            a = x
            # model.py:5: b = a
            b = a
            del a
            # model.py:6: return np.sum(np.exp(b))
            _t1 = np.exp(b)
            del b
            # reverse sweep
            # adjoint of model.py:6: return np.sum(np.exp(b))
            d_t1 = _rt.unreduce(1.0, _t1, None, False)
            d_b = d_t1 * _t1
            return _rt.like(d_b, x)
        ''',
        id="adjoint-copies",
    ),
    # the slope of a power with a number written out: 3 * x ** 2
    pytest.param(
        ("x",),
        "grad",
        """
        import numpy as np
        def f(x):
            return np.sum(x ** 3)
        """,
        '''
        def grad_f(x):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: return np.sum(x ** 3)
            _t1 = x**3
            _t2 = np.sum(_t1)
            # reverse sweep
            # adjoint of model.py:4: return np.sum(x ** 3)
            d_t1 = _rt.unreduce(1.0, _t1, None, False)
            d_x = d_t1 * _rt.power_slope(x, 3)
            return _rt.like(d_x, x)
        ''',
        '''
        def grad_f(x):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: return np.sum(x ** 3)
            _t1 = x**3
            # reverse sweep
            # adjoint of model.py:4: return np.sum(x ** 3)
            d_t1 = _rt.unreduce(1.0, _t1, None, False)
            del _t1
            d_x = d_t1 * (3 * x**2)
            return _rt.like(d_x, x)
        ''',
        id="power-slope",
    ),
    # a factor of one at the top of a value stays (it keeps a fresh array); the temporary goes into the check that
    # reads it
    pytest.param(
        ("x",),
        "grad",
        """
        def f(x):
            return x ** 2
        """,
        '''
        def grad_f(x):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:2:7")
            # forward sweep
            # model.py:3: return x ** 2
            _t1 = x**2
            _rt.require_scalar(_t1, "model.py:3:12")
            # reverse sweep
            # adjoint of model.py:3: return x ** 2
            d_x = 1.0 * _rt.power_slope(x, 2)
            return _rt.like(d_x, x)
        ''',
        '''
        def grad_f(x):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:2:7")
            # forward sweep
            # model.py:3: return x ** 2
            _rt.require_scalar(x**2, "model.py:3:12")
            # reverse sweep
            # adjoint of model.py:3: return x ** 2
            d_x = 1.0 * (2 * x)
            return _rt.like(d_x, x)
        ''',
        id="top-of-value-kept",
    ),
    # the seed times 3.0 folds to 3.0 and is read in place of its name; the forward sweep of a scalar the gradient
    # does not read is dead
    pytest.param(
        ("x",),
        "grad",
        """
        import math
        def f(x):
            return math.sin(x) * 3.0
        """,
        '''
        def grad_f(x):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: return math.sin(x) * 3.0
            _t1 = math.sin(x)
            _t2 = _t1 * 3.0
            # reverse sweep
            # adjoint of model.py:4: return math.sin(x) * 3.0
            d_t1 = 1.0 * 3.0
            d_x = d_t1 * math.cos(x)
            return _rt.like(d_x, x)
        ''',
        '''
        def grad_f(x):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # reverse sweep
            # adjoint of model.py:4: return math.sin(x) * 3.0
            d_x = 3.0 * math.cos(x)
            return _rt.like(d_x, x)
        ''',
        id="numbers-folded",
    ),
    # forward mode: values and tangents inlined alike (the returned tangent is copied: only the reverse sweep's
    # values are looked at)
    pytest.param(
        ("x",),
        "jvp",
        """
        import numpy as np
        def f(x, w):
            return np.tanh(x @ w + 1.0)
        """,
        '''
        def jvp_f(x, w, *, d_x):
            """Value and tangent (Jacobian-vector product) of f along d_x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: return np.tanh(x @ w + 1.0)
            _t1 = x @ w
            d_t1 = np.matmul(d_x, w)
            _t2 = _t1 + 1.0
            d_t2 = d_t1
            _t3 = np.tanh(_t2)
            d_t3 = (1.0 - np.square(_t3)) * d_t2
            return _t3, _rt.like(d_t3, _t3)
        ''',
        '''
        def jvp_f(x, w, *, d_x):
            """Value and tangent (Jacobian-vector product) of f along d_x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: return np.tanh(x @ w + 1.0)
            _t1 = np.tanh(x @ w + 1.0)
            d_t1 = (1.0 - np.square(_t1)) * np.matmul(d_x, w)
            return _t1, _rt.copy_like(d_t1, _t1)
        ''',
        id="forward-mode",
    ),
    # forward mode in a loop: a temporary inlined inside the block it is read in
    pytest.param(
        ("x",),
        "jvp",
        """
        import numpy as np
        def f(x, n):
            for i in range(n):
                x = np.sin(x) * 0.5
            return x
        """,
        '''
        def jvp_f(x, n, *, d_x):
            """Value and tangent (Jacobian-vector product) of f along d_x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: for i in range(n):
            _t1 = range(n)
            for i in _t1:
                _t2 = np.sin(x)
                d_t2 = np.cos(x) * d_x
                x = _t2 * 0.5
                d_x = d_t2 * 0.5
            return x, _rt.like(d_x, x)
        ''',
        '''
        def jvp_f(x, n, *, d_x):
            """Value and tangent (Jacobian-vector product) of f along d_x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: for i in range(n):
            _t1 = range(n)
            for i in _t1:
                d_t2 = np.cos(x) * d_x
                x = np.sin(x) * 0.5
                d_x = d_t2 * 0.5
            return x, _rt.copy_like(d_x, x)
        ''',
        id="forward-mode-loop",
    ),
    # in a reversed loop, an adjoint read once moves into its reader
    pytest.param(
        ("x",),
        "grad",
        """
        import numpy as np
        def f(x, n):
            for i in range(n):
                x = np.sin(x) * 0.5
            return np.sum(x)
        """,
        '''
        def grad_f(x, n):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            tape = []
            # model.py:4: for i in range(n):
            _t1 = range(n)
            for i in _t1:
                _t2 = np.sin(x)
                tape.append(x)  # the reverse sweep reads the old value
                x = _t2 * 0.5
            tape.append(_t1)  # the iterations run
            # model.py:6: return np.sum(x)
            _t3 = np.sum(x)
            # reverse sweep
            # adjoint of model.py:6: return np.sum(x)
            d_x = _rt.unreduce(1.0, x, None, False)
            # adjoint of model.py:4: for i in range(n):
            for i in reversed(tape.pop()):
                x = tape.pop()  # restored
                d_t2 = d_x * 0.5
                d_x = d_t2 * np.cos(x)
            return _rt.like(d_x, x)
        ''',
        '''
        def grad_f(x, n):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            tape = []
            # model.py:4: for i in range(n):
            _t1 = range(n)
            for i in _t1:
                tape.append(x)  # the reverse sweep reads the old value
                x = np.sin(x) * 0.5
            tape.append(_t1)  # the iterations run
            del _t1
            # reverse sweep
            # adjoint of model.py:6: return np.sum(x)
            d_x = _rt.unreduce(1.0, x, None, False)
            # adjoint of model.py:4: for i in range(n):
            for i in reversed(tape.pop()):
                x = tape.pop()  # restored
                d_x = d_x * 0.5 * np.cos(x)
            return _rt.like(d_x, x)
        ''',
        id="reversed-loop",
    ),
    # inside branches nothing moves across the block boundary; the unused sum goes
    pytest.param(
        ("x",),
        "grad",
        """
        import numpy as np
        def f(x, a):
            if a > 0:
                y = np.exp(x)
            else:
                y = x * 3.0
            return np.sum(y)
        """,
        '''
        def grad_f(x, a):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            tape = []
            # the tape saves these, or zero adjoints take their shape; they have no value yet
            y = None
            # model.py:4: if a > 0:
            if a > 0:
                y = np.exp(x)
                # model.py:4: if a > 0:
                tape.append(True)  # branch taken
            else:
                y = x * 3.0
                # model.py:4: if a > 0:
                tape.append(False)  # branch taken
            # model.py:8: return np.sum(y)
            _t1 = np.sum(y)
            # reverse sweep
            # adjoint of model.py:8: return np.sum(y)
            d_y = _rt.unreduce(1.0, y, None, False)
            # adjoint of model.py:4: if a > 0:
            if tape.pop():
                d_x = d_y * y
            else:
                d_x = d_y * 3.0
            return _rt.like(d_x, x)
        ''',
        '''
        def grad_f(x, a):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            tape = []
            # the tape saves these, or zero adjoints take their shape; they have no value yet
            y = None
            # model.py:4: if a > 0:
            if a > 0:
                y = np.exp(x)
                # model.py:4: if a > 0:
                tape.append(True)  # branch taken
            else:
                y = x * 3.0
                # model.py:4: if a > 0:
                tape.append(False)  # branch taken
            # reverse sweep
            # adjoint of model.py:8: return np.sum(y)
            d_y = _rt.unreduce(1.0, y, None, False)
            # adjoint of model.py:4: if a > 0:
            if tape.pop():
                d_x = d_y * y
            else:
                d_x = d_y * 3.0
            return _rt.like(d_x, x)
        ''',
        id="branch",
    ),
    # the adjoint of a gathered matrix product fuses into one helper (s2sad/fusion.py)
    pytest.param(
        ("E", "v"),
        "grad",
        """
        import numpy as np
        def f(E, v, idx):
            return np.sum(np.tanh(E[idx] @ v))
        """,
        '''
        def grad_f(E, v, idx):
            """Gradient of f with respect to E, v."""
            _rt.require_float(E, "E", "model.py:3:7")
            _rt.require_float(v, "v", "model.py:3:10")
            # forward sweep
            # model.py:4: return np.sum(np.tanh(E[idx] @ v))
            _t1 = E[idx]
            _t2 = _t1 @ v
            _t3 = np.tanh(_t2)
            _t4 = np.sum(_t3)
            # reverse sweep
            # adjoint of model.py:4: return np.sum(np.tanh(E[idx] @ v))
            d_t3 = _rt.unreduce(1.0, _t3, None, False)
            d_t2 = d_t3 * (1.0 - _t3 * _t3)
            d_t1 = _rt.matmul_adjoint_left(d_t2, _t1, v)
            d_v = _rt.matmul_adjoint_right(d_t2, _t1, v)
            d_E = _rt.getitem_adjoint(d_t1, E, np.s_[idx])
            return _rt.like(d_E, E), _rt.like(d_v, v)
        ''',
        '''
        def grad_f(E, v, idx):
            """Gradient of f with respect to E, v."""
            _rt.require_float(E, "E", "model.py:3:7")
            _rt.require_float(v, "v", "model.py:3:10")
            # forward sweep
            # model.py:4: return np.sum(np.tanh(E[idx] @ v))
            _t1 = E[idx]
            _t2 = np.tanh(_t1 @ v)
            # reverse sweep
            # adjoint of model.py:4: return np.sum(np.tanh(E[idx] @ v))
            d_t2 = _rt.unreduce(1.0, _t2, None, False)
            d_t3 = d_t2 * (1.0 - _t2 * _t2)
            del d_t2, _t2
            d_v = _rt.matmul_adjoint_right(d_t3, _t1, v)
            d_E = _rt.getitem_matmul_adjoint(d_t3, _t1, v, E, idx)
            return _rt.like(d_E, E), _rt.like(d_v, v)
        ''',
        id="fusion",
    ),
    # a loop's products with one matrix become one product after the loop (s2sad/stacking.py); d_total = d_t4 after
    # d_t4 = d_total is a round trip and goes
    pytest.param(
        ("W",),
        "grad",
        """
        import numpy as np
        def f(W, h):
            total = 0.0
            for t in range(3):
                h = np.tanh(W @ h)
                total = total + np.sum(h)
            return total
        """,
        '''
        def grad_f(W, h):
            """Gradient of f with respect to W."""
            _rt.require_float(W, "W", "model.py:3:7")
            # forward sweep
            tape = []
            # model.py:4: total = 0.0
            total = 0.0
            # model.py:5: for t in range(3):
            _t1 = range(3)
            for t in _t1:
                _t2 = W @ h
                tape.append(h)  # the reverse sweep reads the old value
                h = np.tanh(_t2)
                # model.py:7: total = total + np.sum(h)
                _t3 = np.sum(h)
                _t4 = total + _t3
                total = _t4
            tape.append(_t1)  # the iterations run
            # reverse sweep
            # adjoint of model.py:5: for t in range(3):
            d_W = _rt.zeros_like(W)
            d_h = _rt.zeros_like(h)
            d_total = 1.0
            for t in reversed(tape.pop()):
                d_t4 = d_total
                d_total = d_t4
                d_t3 = d_t4
                d_h = d_h + _rt.unreduce(d_t3, h, None, False)
                # adjoint of model.py:6: h = np.tanh(W @ h)
                d_t2 = d_h * (1.0 - h * h)
                h = tape.pop()  # restored
                d_W = d_W + _rt.matmul_adjoint_left(d_t2, W, h)
                d_h = _rt.matmul_adjoint_right(d_t2, W, h)
            return _rt.like(d_W, W)
        ''',
        '''
        def grad_f(W, h):
            """Gradient of f with respect to W."""
            _rt.require_float(W, "W", "model.py:3:7")
            # forward sweep
            tape = []
            # model.py:4: total = 0.0
            total = 0.0
            # model.py:5: for t in range(3):
            _t1 = range(3)
            for t in _t1:
                tape.append(h)  # the reverse sweep reads the old value
                h = np.tanh(W @ h)
                # model.py:7: total = total + np.sum(h)
                total = total + np.sum(h)
            tape.append(_t1)  # the iterations run
            del _t1
            # reverse sweep
            # adjoint of model.py:5: for t in range(3):
            d_W = _rt.zeros_like(W)
            d_h = _rt.zeros_like(h)
            W_adjoints = []  # for one product with W after the loop
            W_factors = []  # for one product with W after the loop
            for t in reversed(tape.pop()):
                d_h = d_h + _rt.unreduce(1.0, h, None, False)
                # adjoint of model.py:6: h = np.tanh(W @ h)
                d_t2 = d_h * (1.0 - h * h)
                h = tape.pop()  # restored
                W_adjoints.append(d_t2)
                W_factors.append(h)
                d_h = _rt.matmul_adjoint_right(d_t2, W, h)
            del d_h
            d_W = d_W + _rt.matmul_adjoint_left_stacked(W_adjoints, W, W_factors)
            return _rt.like(d_W, W)
        ''',
        id="stacking",
    ),
    # arrays are released after their last read at the top level of the sweeps
    pytest.param(
        ("w",),
        "grad",
        """
        import numpy as np
        def f(x, w):
            h = np.tanh(x @ w)
            g = np.exp(h)
            return np.sum(g * h)
        """,
        '''
        def grad_f(x, w):
            """Gradient of f with respect to w."""
            _rt.require_float(w, "w", "model.py:3:10")
            # forward sweep
            # model.py:4: h = np.tanh(x @ w)
            _t1 = x @ w
            h = np.tanh(_t1)
            # model.py:5: g = np.exp(h)
            g = np.exp(h)
            # model.py:6: return np.sum(g * h)
            _t2 = g * h
            _t3 = np.sum(_t2)
            # reverse sweep
            # adjoint of model.py:6: return np.sum(g * h)
            d_t2 = _rt.unreduce(1.0, _t2, None, False)
            d_g = d_t2 * h
            d_h = d_t2 * g
            # adjoint of model.py:5: g = np.exp(h)
            d_h = d_h + d_g * g
            # adjoint of model.py:4: h = np.tanh(x @ w)
            d_t1 = d_h * (1.0 - h * h)
            d_w = _rt.matmul_adjoint_right(d_t1, x, w)
            return _rt.like(d_w, w)
        ''',
        '''
        def grad_f(x, w):
            """Gradient of f with respect to w."""
            _rt.require_float(w, "w", "model.py:3:10")
            # forward sweep
            # model.py:4: h = np.tanh(x @ w)
            h = np.tanh(x @ w)
            # model.py:5: g = np.exp(h)
            g = np.exp(h)
            # model.py:6: return np.sum(g * h)
            _t1 = g * h
            # reverse sweep
            # adjoint of model.py:6: return np.sum(g * h)
            d_t1 = _rt.unreduce(1.0, _t1, None, False)
            del _t1
            d_g = d_t1 * h
            d_h = d_t1 * g
            del d_t1
            # adjoint of model.py:5: g = np.exp(h)
            d_h = d_h + d_g * g
            del d_g, g
            # adjoint of model.py:4: h = np.tanh(x @ w)
            d_w = _rt.matmul_adjoint_right(d_h * (1.0 - h * h), x, w)
            return _rt.like(d_w, w)
        ''',
        id="release-dead",
    ),
    # d_z = 1.0 is read in place of its name and d_z * 2.0 folds, inside the in-place adjoint update
    pytest.param(
        ("x",),
        "grad",
        """
        import numpy as np
        def f(x):
            y = x * 1.0
            z = y[0] * 2.0
            y[0] = 5.0
            return np.sum(y) + z
        """,
        '''
        def grad_f(x):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: y = x * 1.0
            y = x * 1.0
            # model.py:5: z = y[0] * 2.0
            _t1 = y[0]
            z = _t1 * 2.0
            # model.py:6: y[0] = 5.0
            y[0] = 5.0
            # model.py:7: return np.sum(y) + z
            _t2 = np.sum(y)
            _t3 = _t2 + z
            _rt.require_scalar(_t3, "model.py:7:12")
            # reverse sweep
            # adjoint of model.py:7: return np.sum(y) + z
            d_t2 = _rt.unbroadcast(1.0, _t2)
            d_z = 1.0
            d_y = _rt.unreduce(d_t2, y, None, False)
            # adjoint of model.py:6: y[0] = 5.0
            d_y[0] = 0.0
            # adjoint of model.py:5: z = y[0] * 2.0
            d_t1 = d_z * 2.0
            d_y[0] += d_t1
            # adjoint of model.py:4: y = x * 1.0
            d_x = d_y * 1.0
            return _rt.like(d_x, x)
        ''',
        '''
        def grad_f(x):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: y = x * 1.0
            y = x * 1.0
            # model.py:5: z = y[0] * 2.0
            z = y[0] * 2.0
            # model.py:6: y[0] = 5.0
            y[0] = 5.0
            # model.py:7: return np.sum(y) + z
            _t1 = np.sum(y)
            _rt.require_scalar(_t1 + z, "model.py:7:12")
            del z
            # reverse sweep
            # adjoint of model.py:7: return np.sum(y) + z
            d_t1 = _rt.unbroadcast(1.0, _t1)
            del _t1
            d_y = _rt.unreduce(d_t1, y, None, False)
            del d_t1, y
            # adjoint of model.py:6: y[0] = 5.0
            d_y[0] = 0.0
            # adjoint of model.py:5: z = y[0] * 2.0
            d_y[0] += 2.0
            # adjoint of model.py:4: y = x * 1.0
            d_x = d_y * 1.0
            return _rt.like(d_x, x)
        ''',
        id="numbers-into-updates",
    ),
    # a scalar running total: its adjoint stays the seed, so the loop's copies of it go; the factor of one at the
    # top of a value stays
    pytest.param(
        ("x",),
        "grad",
        """
        import math
        def f(x, n):
            total = 0.0
            for i in range(n):
                total = total + math.sin(x * i)
            return total
        """,
        '''
        def grad_f(x, n):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            tape = []
            # the tape saves these, or zero adjoints take their shape; they have no value yet
            _t1 = None
            # model.py:4: total = 0.0
            total = 0.0
            # model.py:5: for i in range(n):
            _t2 = range(n)
            for i in _t2:
                tape.append(_t1)  # the reverse sweep reads the old value
                _t1 = x * i
                _t3 = math.sin(_t1)
                _t4 = total + _t3
                total = _t4
            tape.append(_t2)  # the iterations run
            # reverse sweep
            # adjoint of model.py:5: for i in range(n):
            d_total = 1.0
            d_x = _rt.zeros_like(x)
            for i in reversed(tape.pop()):
                d_t4 = d_total
                d_total = d_t4
                d_t3 = d_t4
                d_t1 = d_t3 * math.cos(_t1)
                _t1 = tape.pop()  # restored
                d_x = d_x + d_t1 * i
            return _rt.like(d_x, x)
        ''',
        '''
        def grad_f(x, n):
            """Gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            tape = []
            # the tape saves these, or zero adjoints take their shape; they have no value yet
            _t1 = None
            # model.py:4: total = 0.0
            total = 0.0
            # model.py:5: for i in range(n):
            _t2 = range(n)
            for i in _t2:
                tape.append(_t1)  # the reverse sweep reads the old value
                _t1 = x * i
                total = total + math.sin(_t1)
            tape.append(_t2)  # the iterations run
            del _t2
            # reverse sweep
            # adjoint of model.py:5: for i in range(n):
            d_x = _rt.zeros_like(x)
            for i in reversed(tape.pop()):
                d_t1 = 1.0 * math.cos(_t1)
                _t1 = tape.pop()  # restored
                d_x = d_x + d_t1 * i
            return _rt.like(d_x, x)
        ''',
        id="scalar-loop",
    ),
    # two gradients that may be one array are returned as copies
    pytest.param(
        ("x", "y"),
        "grad",
        """
        import numpy as np
        def f(x, y):
            return np.sum(x + y)
        """,
        '''
        def grad_f(x, y):
            """Gradient of f with respect to x, y."""
            _rt.require_float(x, "x", "model.py:3:7")
            _rt.require_float(y, "y", "model.py:3:10")
            # forward sweep
            # model.py:4: return np.sum(x + y)
            _t1 = x + y
            _t2 = np.sum(_t1)
            # reverse sweep
            # adjoint of model.py:4: return np.sum(x + y)
            d_t1 = _rt.unreduce(1.0, _t1, None, False)
            d_x = _rt.unbroadcast(d_t1, x)
            d_y = _rt.unbroadcast(d_t1, y)
            return _rt.like(d_x, x), _rt.like(d_y, y)
        ''',
        '''
        def grad_f(x, y):
            """Gradient of f with respect to x, y."""
            _rt.require_float(x, "x", "model.py:3:7")
            _rt.require_float(y, "y", "model.py:3:10")
            # forward sweep
            # model.py:4: return np.sum(x + y)
            _t1 = x + y
            # reverse sweep
            # adjoint of model.py:4: return np.sum(x + y)
            d_t1 = _rt.unreduce(1.0, _t1, None, False)
            del _t1
            d_x = _rt.unbroadcast(d_t1, x)
            d_y = _rt.unbroadcast(d_t1, y)
            return _rt.copy_like(d_x, x), _rt.copy_like(d_y, y)
        ''',
        id="shared-gradients-copied",
    ),
    # value_and_grad: the value returned stays, its inputs are inlined
    pytest.param(
        ("x",),
        "value_and_grad",
        """
        import numpy as np
        def f(x):
            return np.sum(np.sin(x) * 2.0)
        """,
        '''
        def value_and_grad_f(x):
            """Value and gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: return np.sum(np.sin(x) * 2.0)
            _t1 = np.sin(x)
            _t2 = _t1 * 2.0
            _t3 = np.sum(_t2)
            # reverse sweep
            # adjoint of model.py:4: return np.sum(np.sin(x) * 2.0)
            d_t2 = _rt.unreduce(1.0, _t2, None, False)
            d_t1 = d_t2 * 2.0
            d_x = d_t1 * np.cos(x)
            return _t3, _rt.like(d_x, x)
        ''',
        '''
        def value_and_grad_f(x):
            """Value and gradient of f with respect to x."""
            _rt.require_float(x, "x", "model.py:3:7")
            # forward sweep
            # model.py:4: return np.sum(np.sin(x) * 2.0)
            _t1 = np.sin(x) * 2.0
            _t2 = np.sum(_t1)
            # reverse sweep
            # adjoint of model.py:4: return np.sum(np.sin(x) * 2.0)
            d_t1 = _rt.unreduce(1.0, _t1, None, False)
            del _t1
            d_x = d_t1 * 2.0 * np.cos(x)
            return _t2, _rt.like(d_x, x)
        ''',
        id="value-and-grad",
    ),
    # a temporary read only by the scalar check goes into it
    pytest.param(
        ("x", "y"),
        "grad",
        """
        def f(x, y):
            return x + y
        """,
        '''
        def grad_f(x, y):
            """Gradient of f with respect to x, y."""
            _rt.require_float(x, "x", "model.py:2:7")
            _rt.require_float(y, "y", "model.py:2:10")
            # forward sweep
            # model.py:3: return x + y
            _t1 = x + y
            _rt.require_scalar(_t1, "model.py:3:12")
            # reverse sweep
            # adjoint of model.py:3: return x + y
            d_x = _rt.unbroadcast(1.0, x)
            d_y = _rt.unbroadcast(1.0, y)
            return _rt.like(d_x, x), _rt.like(d_y, y)
        ''',
        '''
        def grad_f(x, y):
            """Gradient of f with respect to x, y."""
            _rt.require_float(x, "x", "model.py:2:7")
            _rt.require_float(y, "y", "model.py:2:10")
            # forward sweep
            # model.py:3: return x + y
            _rt.require_scalar(x + y, "model.py:3:12")
            # reverse sweep
            # adjoint of model.py:3: return x + y
            d_x = _rt.unbroadcast(1.0, x)
            d_y = _rt.unbroadcast(1.0, y)
            return _rt.like(d_x, x), _rt.like(d_y, y)
        ''',
        id="temporary-into-check",
    ),
    # a helper call written twice with the same arguments, as an operand of arithmetic both times, is computed once
    # before its first reader (common.py); the two whole-line copies the transform wrote stay apart until inlined
    pytest.param(
        ("p",),
        "grad",
        """
        import numpy as np
        def f(p, y):
            return np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
        """,
        '''
        def grad_f(p, y):
            """Gradient of f with respect to p."""
            _rt.require_float(p, "p", "model.py:3:7")
            # forward sweep
            # model.py:4: return np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
            _t1 = np.log(p)
            _t2 = y * _t1
            _t3 = 1.0 - y
            _t4 = 1.0 - p
            _t5 = np.log(_t4)
            _t6 = _t3 * _t5
            _t7 = _t2 + _t6
            _t8 = np.sum(_t7)
            # reverse sweep
            # adjoint of model.py:4: return np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
            d_t7 = _rt.unreduce(1.0, _t7, None, False)
            d_t2 = _rt.unbroadcast(d_t7, y, p)
            d_t6 = _rt.unbroadcast(d_t7, y, p)
            d_t5 = _rt.unbroadcast(d_t6 * _t3, p)
            d_t4 = np.divide(d_t5, _t4)
            d_p = -d_t4
            d_t1 = _rt.unbroadcast(d_t2 * y, p)
            d_p = d_p + np.divide(d_t1, p)
            return _rt.like(d_p, p)
        ''',
        '''
        def grad_f(p, y):
            """Gradient of f with respect to p."""
            _rt.require_float(p, "p", "model.py:3:7")
            # forward sweep
            # model.py:4: return np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
            _t1 = 1.0 - y
            _t2 = 1.0 - p
            _t3 = y * np.log(p) + _t1 * np.log(_t2)
            # reverse sweep
            # adjoint of model.py:4: return np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
            d_t3 = _rt.unreduce(1.0, _t3, None, False)
            del _t3
            _t4 = _rt.unbroadcast(d_t3, y, p)
            del d_t3
            d_t2 = np.divide(_rt.unbroadcast(_t4 * _t1, p), _t2)
            del _t1, _t2
            d_p = -d_t2
            del d_t2
            d_p = d_p + np.divide(_rt.unbroadcast(_t4 * y, p), p)
            return _rt.like(d_p, p)
        ''',
        id="common-subexpression",
    ),
]


@pytest.mark.parametrize("wrt, kind, model, before, after", CASES)
def test_optimize(wrt, kind, model, before, after, tmp_path):
    taken, left = optimize_before_after(tmp_path, model, wrt, kind)
    assert taken == dedent(before)
    assert left == dedent(after)
