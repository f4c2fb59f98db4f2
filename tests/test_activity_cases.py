"""analyse, case by case: each small function, the parameters differentiated, and the facts found.

The table holds one row per normalized statement (indented as nested) and, after ``|``, its facts:
``active`` and each active rule parameter with its operand (only these get adjoint code);
``same shape`` and the parameters shaped like the result (their adjoints need no unbroadcast);
``recorded`` (the statement overwrites a value the reverse sweep reads: the forward sweep saves it;
``recorded shape``: only its shape is read); for branches and loops, ``reversed`` (they have reverse
code) and ``zeros_before``/``zeros_after``, the adjoints the reverse sweep may start at zero at the
exit or the entry; on the return, ``scalar result`` when the function certainly returns a scalar.
"""

import pytest

from tests.passes import activity_table, parse_table, run_until

CASES = [
    # exp(x) is active; sin(y) does not depend on x, cos(x) does not reach the result, floor carries no derivative;
    # only a's overwrite is saved: the adjoint of a * d reads the old a, nothing reads the old d
    pytest.param(
        ("x",),
        """
        import numpy as np
        def f(x, y):
            a = np.exp(x)
            b = np.sin(y)
            c = np.cos(x)
            n = np.floor(a)
            d = a * b + n
            d = d * 2.0
            a = a * d
            return np.sum(a)
        """,
        """
        a = _s2sad_np.exp(x)         | active x=x; same shape x
        b = _s2sad_np.sin(y)         | same shape x
        c = _s2sad_np.cos(x)         | same shape x
        n = _s2sad_np.floor(a)       |
        _s2sad_n1 = a * b            | active x1=a
        d = _s2sad_n1 + n            | active x1=_s2sad_n1
        _s2sad_n2 = d * 2.0          | active x1=d; same shape x1
        d = _s2sad_n2                | active x=_s2sad_n2; same shape x
        _s2sad_n3 = a * d            | active x1=a x2=d
        a = _s2sad_n3                | active x=_s2sad_n3; same shape x; recorded
        _s2sad_n4 = _s2sad_np.sum(a) | active a=a
        return _s2sad_n4             | scalar result
        """,
        id="basic",
    ),
    # the result does not depend on wrt: nothing is active
    pytest.param(
        ("x",),
        """
        def f(x, y):
            return y * 2.0
        """,
        """
        _s2sad_n1 = y * 2.0 | same shape x1
        return _s2sad_n1    |
        """,
        id="inactive-wrt",
    ),
    # only the operands that depend on wrt are active (z is not)
    pytest.param(
        ("x", "y"),
        """
        import numpy as np
        def f(x, y, z):
            return np.sum(x * y + z)
        """,
        """
        _s2sad_n3 = x * y                    | active x1=x x2=y
        _s2sad_n2 = _s2sad_n3 + z            | active x1=_s2sad_n3
        _s2sad_n1 = _s2sad_np.sum(_s2sad_n2) | active a=_s2sad_n2
        return _s2sad_n1                     | scalar result
        """,
        id="two-wrt",
    ),
    # the condition of np.where is passive
    pytest.param(
        ("x",),
        """
        import numpy as np
        def f(x):
            return np.sum(np.where(x > 0.0, x, 0.1 * x))
        """,
        """
        _s2sad_n3 = x > 0.0                                  |
        _s2sad_n4 = 0.1 * x                                  | active x2=x; same shape x2
        _s2sad_n2 = _s2sad_np.where(_s2sad_n3, x, _s2sad_n4) | active x=x y=_s2sad_n4
        _s2sad_n1 = _s2sad_np.sum(_s2sad_n2)                 | active a=_s2sad_n2
        return _s2sad_n1                                     | scalar result
        """,
        id="where-condition",
    ),
    # a branch with active statements is reversed; the adjoints it carries across start at zero where it has none
    pytest.param(
        ("x",),
        """
        def f(x, a):
            if a > 0:
                y = x * x
            else:
                y = x * 3.0
            return y
        """,
        """
        if a > 0:       | reversed; zeros_before y; zeros_after x
            y = x * x   | active x1=x x2=x; same shape x1 x2
        else:           |
            y = x * 3.0 | active x1=x; same shape x1
        return y        |
        """,
        id="branch",
    ),
    # y = a * 1.0 stays inactive; the branch overwriting y with an active value is reversed
    pytest.param(
        ("x",),
        """
        def f(x, a):
            y = a * 1.0
            if a > 0:
                y = x * 2.0
            return y
        """,
        """
        y = a * 1.0     | same shape x1
        if a > 0:       | reversed; zeros_before y; zeros_after x
            y = x * 2.0 | active x1=x; same shape x1
        return y        |
        """,
        id="branch-one-side",
    ),
    # a value overwritten in a loop whose old value the adjoint reads is saved each trip
    pytest.param(
        ("x",),
        """
        import numpy as np
        def f(x, n):
            for i in range(n):
                x = np.sin(x)
            return x
        """,
        """
        _s2sad_n2 = range(n)             |
        for i in _s2sad_n2:              | reversed; zeros_before x
            _s2sad_n3 = _s2sad_np.sin(x) | active x=x; same shape x
            x = _s2sad_n3                | active x=_s2sad_n3; same shape x; recorded
        return x                         |
        """,
        id="loop-overwrite",
    ),
    # an overwritten value whose adjoint reads only its shape saves only the shape
    pytest.param(
        ("x",),
        """
        def f(x, n):
            s = 0.0
            for i in range(n):
                s = s + x[i]
            return s
        """,
        """
        s = 0.0                       |
        _s2sad_n2 = range(n)          |
        for i in _s2sad_n2:           | reversed; zeros_before s x
            _s2sad_n3 = x[i]          | active a=x; recorded shape
            _s2sad_n4 = s + _s2sad_n3 | active x1=s x2=_s2sad_n3
            s = _s2sad_n4             | active x=_s2sad_n4; same shape x; recorded shape
        return s                      |
        """,
        id="loop-index",
    ),
    # math.* results and their sums are scalars: same shape, nothing saved for a shape
    pytest.param(
        ("x0", "a"),
        """
        import math
        def f(x0, a, n):
            x = x0
            total = 0.0
            for i in range(n):
                x = x * a + 0.1 * math.sin(x)
                total = total + math.cos(x)
            return total / n
        """,
        """
        x = x0                             | active x=x0; same shape x
        total = 0.0                        |
        _s2sad_n2 = range(n)               |
        for i in _s2sad_n2:                | reversed; zeros_before a total x
            _s2sad_n3 = x * a              | active x1=x x2=a; same shape x1
            _s2sad_n5 = _s2sad_math.sin(x) | active x=x; same shape x
            _s2sad_n4 = 0.1 * _s2sad_n5    | active x2=_s2sad_n5; same shape x2
            x = _s2sad_n3 + _s2sad_n4      | active x1=_s2sad_n3 x2=_s2sad_n4; same shape x1 x2; recorded
            _s2sad_n6 = _s2sad_math.cos(x) | active x=x; same shape x
            _s2sad_n7 = total + _s2sad_n6  | active x1=total x2=_s2sad_n6; same shape x1 x2
            total = _s2sad_n7              | active x=_s2sad_n7; same shape x
        _s2sad_n8 = total / n              | active x1=total; same shape x2
        return _s2sad_n8                   |
        """,
        id="scalar-loop",
    ),
    # the gradient is returned like the parameter x (its shape and type), so x's overwrite is saved for the end
    pytest.param(
        ("x",),
        """
        def f(x):
            while x < 10.0:
                x = x * 2.0
            return x
        """,
        """
        while x < 10.0:         | reversed; zeros_before x
            _s2sad_n1 = x * 2.0 | active x1=x; same shape x1
            x = _s2sad_n1       | active x=_s2sad_n1; same shape x; recorded
        return x                |
        """,
        id="while",
    ),
    # slices leaving out as many items share a shape; u[1:] and v[:-2] need not
    pytest.param(
        ("u", "v"),
        """
        import numpy as np
        def f(u, v):
            lap = u[2:] - 2.0 * u[1:-1] + u[:-2]
            odd = u[1:] * v[:-2]
            return np.sum(lap * lap) + np.sum(odd)
        """,
        """
        _s2sad_n2 = u[2:]                     | active a=u
        _s2sad_n4 = u[1:-1]                   | active a=u
        _s2sad_n3 = 2.0 * _s2sad_n4           | active x2=_s2sad_n4; same shape x2
        _s2sad_n1 = _s2sad_n2 - _s2sad_n3     | active x1=_s2sad_n2 x2=_s2sad_n3; same shape x1 x2
        _s2sad_n5 = u[:-2]                    | active a=u
        lap = _s2sad_n1 + _s2sad_n5           | active x1=_s2sad_n1 x2=_s2sad_n5; same shape x1 x2
        _s2sad_n6 = u[1:]                     | active a=u
        _s2sad_n7 = v[:-2]                    | active a=v
        odd = _s2sad_n6 * _s2sad_n7           | active x1=_s2sad_n6 x2=_s2sad_n7
        _s2sad_n10 = lap * lap                | active x1=lap x2=lap; same shape x1 x2
        _s2sad_n9 = _s2sad_np.sum(_s2sad_n10) | active a=_s2sad_n10
        _s2sad_n11 = _s2sad_np.sum(odd)       | active a=odd
        _s2sad_n8 = _s2sad_n9 + _s2sad_n11    | active x1=_s2sad_n9 x2=_s2sad_n11; same shape x1 x2
        return _s2sad_n8                      | scalar result
        """,
        id="stencil",
    ),
    # u's slices need only its shape: u[1:-1] = ... saves nothing; v * v reads v, so v[0] = ... is saved
    pytest.param(
        ("x", "k"),
        """
        import numpy as np
        def f(x, k):
            u = x * 1.0
            v = x * 1.0
            for i in range(3):
                a = u[1:-1] * 2.0 + (u[2:] - u[:-2]) * k
                u[1:-1] = a
                w = v * v
                v[0] = 2.0
            return np.sum(u * u) + np.sum(w)
        """,
        """
        u = x * 1.0                            | active x1=x; same shape x1
        v = x * 1.0                            | active x1=x; same shape x1
        _s2sad_n2 = range(3)                   |
        for i in _s2sad_n2:                    | reversed; zeros_before k u v w; zeros_after w
            _s2sad_n4 = u[1:-1]                | active a=u; recorded shape
            _s2sad_n3 = _s2sad_n4 * 2.0        | active x1=_s2sad_n4; same shape x1
            _s2sad_n7 = u[2:]                  | active a=u; recorded shape
            _s2sad_n8 = u[:-2]                 | active a=u; recorded shape
            _s2sad_n6 = _s2sad_n7 - _s2sad_n8  | active x1=_s2sad_n7 x2=_s2sad_n8; same shape x1 x2; recorded
            _s2sad_n5 = _s2sad_n6 * k          | active x1=_s2sad_n6 x2=k
            a = _s2sad_n3 + _s2sad_n5          | active x1=_s2sad_n3 x2=_s2sad_n5; recorded shape
            u[1:-1] = a                        | active value=a
            w = v * v                          | active x1=v x2=v; same shape x1 x2; recorded
            v[0] = 2.0                         | active; recorded
        _s2sad_n11 = u * u                     | active x1=u x2=u; same shape x1 x2
        _s2sad_n10 = _s2sad_np.sum(_s2sad_n11) | active a=_s2sad_n11
        _s2sad_n12 = _s2sad_np.sum(w)          | active a=w
        _s2sad_n9 = _s2sad_n10 + _s2sad_n12    | active x1=_s2sad_n10 x2=_s2sad_n12; same shape x1 x2
        return _s2sad_n9                       | scalar result
        """,
        id="in-place",
    ),
    # z's overwritten value is read for its shape alone (z + b sums down to it); h's in full
    pytest.param(
        ("W", "h", "b"),
        """
        import numpy as np
        def f(W, h, b):
            total = 0.0
            for t in range(3):
                z = W @ h
                h = np.tanh(z + b)
                total = total + np.sum(h)
            return total
        """,
        """
        total = 0.0                       |
        _s2sad_n2 = range(3)              |
        for t in _s2sad_n2:               | reversed; zeros_before W b h total
            z = W @ h                     | active x1=W x2=h; recorded shape
            _s2sad_n3 = z + b             | active x1=z x2=b
            h = _s2sad_np.tanh(_s2sad_n3) | active x=_s2sad_n3; same shape x; recorded
            _s2sad_n4 = _s2sad_np.sum(h)  | active a=h
            _s2sad_n5 = total + _s2sad_n4 | active x1=total x2=_s2sad_n4; same shape x1 x2
            total = _s2sad_n5             | active x=_s2sad_n5; same shape x
        return total                      | scalar result
        """,
        id="shape-only",
    ),
    # an append of an active value is active; np.stack reads the list
    pytest.param(
        ("x",),
        """
        import numpy as np
        def f(x, n):
            out = []
            for i in range(n):
                out.append(x * i)
            return np.stack(out)
        """,
        """
        out = []                         |
        _s2sad_n2 = range(n)             |
        for i in _s2sad_n2:              | reversed; zeros_before out x
            _s2sad_n3 = x * i            | active x1=x; same shape x1
            out.append(_s2sad_n3)        | active value=_s2sad_n3
        _s2sad_n4 = _s2sad_np.stack(out) | active arrays=out
        return _s2sad_n4                 |
        """,
        id="list-append",
    ),
    # an early return lowers to a result variable and a flag; the second assignment saves the result before it (the
    # zero adjoint the reverse sweep starts there takes its shape)
    pytest.param(
        ("x",),
        """
        def f(x, a):
            if a > 0:
                return x * 2.0
            return x
        """,
        """
        _s2sad_v_returned_1 = False       |
        if a > 0:                         | reversed; zeros_before _s2sad_v_result_1_0 x
            _s2sad_v_result_1_0 = x * 2.0 | active x1=x; same shape x1
            _s2sad_v_returned_1 = True    |
        if not _s2sad_v_returned_1:       | reversed; zeros_before _s2sad_v_result_1_0; zeros_after _s2sad_v_result_1_0 x
            _s2sad_v_result_1_0 = x       | active x=x; same shape x; recorded
            _s2sad_v_returned_1 = True    |
        return _s2sad_v_result_1_0        |
        """,
        id="early-return",
    ),
    # an inlined helper's parameter copies are active statements like any other
    pytest.param(
        ("x",),
        """
        import numpy as np
        def square(v):
            return v * v
        def f(x):
            return np.sum(square(np.sin(x)))
        """,
        """
        _s2sad_n3 = _s2sad_np.sin(x)            | active x=x; same shape x
        _s2sad_v_v_2 = _s2sad_n3                | active x=_s2sad_n3; same shape x
        _s2sad_n4 = _s2sad_v_v_2 * _s2sad_v_v_2 | active x1=_s2sad_v_v_2 x2=_s2sad_v_v_2; same shape x1 x2
        _s2sad_n2 = _s2sad_n4                   | active x=_s2sad_n4; same shape x
        _s2sad_n1 = _s2sad_np.sum(_s2sad_n2)    | active a=_s2sad_n2
        return _s2sad_n1                        | scalar result
        """,
        id="helper",
    ),
    # a = np.sin(a): the adjoint of sin reads the old a, which the copy overwrites
    pytest.param(
        ("x",),
        """
        import numpy as np
        def f(x):
            a = x * 1.0
            a = np.sin(a)
            return np.sum(a)
        """,
        """
        a = x * 1.0                  | active x1=x; same shape x1
        _s2sad_n1 = _s2sad_np.sin(a) | active x=a; same shape x
        a = _s2sad_n1                | active x=_s2sad_n1; same shape x; recorded
        _s2sad_n2 = _s2sad_np.sum(a) | active a=a
        return _s2sad_n2             | scalar result
        """,
        id="self-overwrite",
    ),
    # np.mean of anything is a scalar result
    pytest.param(
        ("x",),
        """
        import numpy as np
        def f(x):
            y = 2.0 * x
            return np.mean(y * y)
        """,
        """
        y = 2.0 * x                           | active x2=x; same shape x2
        _s2sad_n2 = y * y                     | active x1=y x2=y; same shape x1 x2
        _s2sad_n1 = _s2sad_np.mean(_s2sad_n2) | active a=_s2sad_n2
        return _s2sad_n1                      | scalar result
        """,
        id="scalar-result",
    ),
    # x.shape is passive, x.shape[0] a number; the division by a number keeps x1 active only
    pytest.param(
        ("x",),
        """
        import numpy as np
        def f(x):
            n = x.shape[0]
            return np.sum(x) / n
        """,
        """
        _s2sad_n1 = x.shape          |
        n = _s2sad_n1[0]             |
        _s2sad_n3 = _s2sad_np.sum(x) | active a=x
        _s2sad_n2 = _s2sad_n3 / n    | active x1=_s2sad_n3; same shape x1 x2
        return _s2sad_n2             | scalar result
        """,
        id="shape-read",
    ),
]


@pytest.mark.parametrize("wrt, before, facts", CASES)
def test_activity(wrt, before, facts, tmp_path):
    unit = run_until(tmp_path, before, "analyse", wrt=wrt)
    assert activity_table(unit) == parse_table(facts)
