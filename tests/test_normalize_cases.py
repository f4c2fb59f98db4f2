"""normalize, case by case: each small function and its A-normal form as the pass prints it (Function.code).

One operation per statement on names and literals; canonical spellings (methods and attributes become
numpy calls under the placeholder ``_s2sad_np``); control flow lowered to if, for over a range held in a
name, and while; helpers inlined. ``MODEL`` stands for the model file's path.
"""

import pytest

from tests.passes import assert_normalized

CASES = [
    # each operation gets a temporary, numbered outside in, evaluated left to right
    pytest.param(
        """
        def f(x, y):
            return x * y - x / y + x ** 2 - -y
        """,
        """
        def f(x, y):
            _s2sad_n4 = x * y
            _s2sad_n5 = x / y
            _s2sad_n3 = _s2sad_n4 - _s2sad_n5
            _s2sad_n6 = x ** 2
            _s2sad_n2 = _s2sad_n3 + _s2sad_n6
            _s2sad_n7 = -y
            _s2sad_n1 = _s2sad_n2 - _s2sad_n7
            return _s2sad_n1
        """,
        id="operators",
    ),
    # a comparison is an operation too; np. calls go under the module placeholder
    pytest.param(
        """
        import numpy as np
        def f(x):
            return np.where(x > 0.0, x, 0.1 * x)
        """,
        """
        def f(x):
            _s2sad_n2 = x > 0.0
            _s2sad_n3 = 0.1 * x
            _s2sad_n1 = _s2sad_np.where(_s2sad_n2, x, _s2sad_n3)
            return _s2sad_n1
        """,
        id="comparison-where",
    ),
    # the innermost call comes first
    pytest.param(
        """
        import numpy as np
        def f(x):
            return np.sum(np.exp(np.sin(x) * 2.0))
        """,
        """
        def f(x):
            _s2sad_n4 = _s2sad_np.sin(x)
            _s2sad_n3 = _s2sad_n4 * 2.0
            _s2sad_n2 = _s2sad_np.exp(_s2sad_n3)
            _s2sad_n1 = _s2sad_np.sum(_s2sad_n2)
            return _s2sad_n1
        """,
        id="nested-calls",
    ),
    # methods and x.T become numpy calls; flatten copies a ravel; ndarray.copy's order is C
    pytest.param(
        """
        def f(x):
            a = x.sum()
            b = x.T
            c = x.reshape(2, 3)
            d = x.flatten()
            e = x.copy()
            return a + b + c + d + e
        """,
        """
        def f(x):
            a = _s2sad_np.sum(x)
            b = _s2sad_np.transpose(x)
            c = _s2sad_np.reshape(x, (2, 3))
            _s2sad_n1 = _s2sad_np.ravel(x)
            d = _s2sad_np.copy(_s2sad_n1)
            e = _s2sad_np.copy(x, order="C")
            _s2sad_n5 = a + b
            _s2sad_n4 = _s2sad_n5 + c
            _s2sad_n3 = _s2sad_n4 + d
            _s2sad_n2 = _s2sad_n3 + e
            return _s2sad_n2
        """,
        id="methods",
    ),
    # keywords stay keywords
    pytest.param(
        """
        def f(x):
            return x.mean(axis=0) + x.max(axis=1, keepdims=True)
        """,
        """
        def f(x):
            _s2sad_n2 = _s2sad_np.mean(x, axis=0)
            _s2sad_n3 = _s2sad_np.max(x, axis=1, keepdims=True)
            _s2sad_n1 = _s2sad_n2 + _s2sad_n3
            return _s2sad_n1
        """,
        id="method-keywords",
    ),
    # x op= e on a name: in place where it holds an array, rebound where it holds a number
    pytest.param(
        """
        def f(x, y):
            y *= x
            return y
        """,
        """
        def f(x, y):
            _s2sad_n1 = _s2sad_rt.is_array(y)
            if _s2sad_n1:
                _s2sad_n2 = y[...]
                _s2sad_n3 = _s2sad_n2 * x
                y[...] = _s2sad_n3
            else:
                _s2sad_n4 = y * x
                y = _s2sad_n4
            return y
        """,
        id="aug-assign-name",
    ),
    # an augmented item assignment stays one, on an atom
    pytest.param(
        """
        def f(x):
            y = x * 1.0
            y[0] += x[1]
            return y
        """,
        """
        def f(x):
            y = x * 1.0
            _s2sad_n1 = x[1]
            y[0] += _s2sad_n1
            return y
        """,
        id="aug-assign-subscript",
    ),
    # a conditional expression becomes an if assigning one temporary in both branches
    pytest.param(
        """
        def f(x, a):
            y = x * 2.0 if a > 0 else x - 1.0
            return y
        """,
        """
        def f(x, a):
            if a > 0:
                _s2sad_n1 = x * 2.0
            else:
                _s2sad_n1 = x - 1.0
            y = _s2sad_n1
            return y
        """,
        id="conditional-expression",
    ),
    # elif nests an if in the else branch
    pytest.param(
        """
        def f(x, a):
            if a > 1:
                y = x * 2.0
            elif a < -1:
                y = x * 3.0
            else:
                y = x
            return y
        """,
        """
        def f(x, a):
            if a > 1:
                y = x * 2.0
            else:
                if a < -1:
                    y = x * 3.0
                else:
                    y = x
            return y
        """,
        id="if-elif-else",
    ),
    # the range is held in a name; the target is never an operand of its own statement
    pytest.param(
        """
        def f(x, n):
            s = 0.0
            for i in range(n):
                s = s + x * i
            return s
        """,
        """
        def f(x, n):
            s = 0.0
            _s2sad_n2 = range(n)
            for i in _s2sad_n2:
                _s2sad_n3 = x * i
                _s2sad_n4 = s + _s2sad_n3
                s = _s2sad_n4
            return s
        """,
        id="for-range",
    ),
    # start, stop and step stay in the range
    pytest.param(
        """
        def f(x):
            s = 0.0
            for i in range(1, 10, 2):
                s = s + x[i]
            return s
        """,
        """
        def f(x):
            s = 0.0
            _s2sad_n2 = range(1, 10, 2)
            for i in _s2sad_n2:
                _s2sad_n3 = x[i]
                _s2sad_n4 = s + _s2sad_n3
                s = _s2sad_n4
            return s
        """,
        id="for-range-start-step",
    ),
    # enumerate: a range over the length, the index and the item bound from it
    pytest.param(
        """
        def f(x, ws):
            s = 0.0
            for i, w in enumerate(ws):
                s = s + w * x[i]
            return s
        """,
        """
        def f(x, ws):
            s = 0.0
            _s2sad_n2 = ws
            _s2sad_n3 = _s2sad_b_len(_s2sad_n2)
            _s2sad_n4 = _s2sad_b_range(_s2sad_n3)
            for _s2sad_n1 in _s2sad_n4:
                i = _s2sad_n1
                w = _s2sad_n2[_s2sad_n1]
                _s2sad_n6 = x[i]
                _s2sad_n5 = w * _s2sad_n6
                _s2sad_n7 = s + _s2sad_n5
                s = _s2sad_n7
            return s
        """,
        id="enumerate",
    ),
    # zip: a range over the shortest length, each item indexed
    pytest.param(
        """
        def f(x, ws, bs):
            s = 0.0
            for w, b in zip(ws, bs):
                s = s + w * x + b
            return s
        """,
        """
        def f(x, ws, bs):
            s = 0.0
            _s2sad_n2 = ws
            _s2sad_n3 = bs
            _s2sad_n4 = _s2sad_b_len(_s2sad_n2)
            _s2sad_n5 = _s2sad_b_len(_s2sad_n3)
            _s2sad_n6 = _s2sad_b_min(_s2sad_n4, _s2sad_n5)
            _s2sad_n7 = _s2sad_b_range(_s2sad_n6)
            for _s2sad_n1 in _s2sad_n7:
                w = _s2sad_n2[_s2sad_n1]
                b = _s2sad_n3[_s2sad_n1]
                _s2sad_n9 = w * x
                _s2sad_n8 = s + _s2sad_n9
                s = _s2sad_n8 + b
            return s
        """,
        id="zip",
    ),
    # a while test that is one operation stays in the header
    pytest.param(
        """
        def f(x):
            while x < 10.0:
                x = x * 2.0
            return x
        """,
        """
        def f(x):
            while x < 10.0:
                _s2sad_n1 = x * 2.0
                x = _s2sad_n1
            return x
        """,
        id="while",
    ),
    # break and continue become flags: the rest of the body runs under not skipped, the loop breaks at the end
    pytest.param(
        """
        def f(x, n):
            s = 0.0
            for i in range(n):
                if i == 2:
                    continue
                s = s + x
                if s > 10.0:
                    break
            return s
        """,
        """
        def f(x, n):
            s = 0.0
            _s2sad_n2 = range(n)
            _s2sad_v_broke_2 = False
            for i in _s2sad_n2:
                _s2sad_v_skipped_2 = False
                if i == 2:
                    _s2sad_v_skipped_2 = True
                if not _s2sad_v_skipped_2:
                    _s2sad_n3 = s + x
                    s = _s2sad_n3
                    if s > 10.0:
                        _s2sad_v_broke_2 = True
                if _s2sad_v_broke_2:
                    break
            return s
        """,
        id="break-continue",
    ),
    # an early return sets the result and a flag; the code after it runs under not returned
    pytest.param(
        """
        def f(x, a):
            if a > 0:
                return x * 2.0
            return x
        """,
        """
        def f(x, a):
            _s2sad_v_returned_1 = False
            if a > 0:
                _s2sad_v_result_1_0 = x * 2.0
                _s2sad_v_returned_1 = True
            if not _s2sad_v_returned_1:
                _s2sad_v_result_1_0 = x
                _s2sad_v_returned_1 = True
            return _s2sad_v_result_1_0
        """,
        id="early-return",
    ),
    # a return inside a loop also breaks out of it
    pytest.param(
        """
        def f(x, n):
            for i in range(n):
                x = x * 2.0
                if x > 5.0:
                    return x
            return x
        """,
        """
        def f(x, n):
            _s2sad_v_returned_1 = False
            _s2sad_n2 = range(n)
            for i in _s2sad_n2:
                _s2sad_n3 = x * 2.0
                x = _s2sad_n3
                if x > 5.0:
                    _s2sad_v_result_1_0 = x
                    _s2sad_v_returned_1 = True
                if _s2sad_v_returned_1:
                    break
            if not _s2sad_v_returned_1:
                _s2sad_v_result_1_0 = x
                _s2sad_v_returned_1 = True
            return _s2sad_v_result_1_0
        """,
        id="return-in-loop",
    ),
    # all values are evaluated before any name is bound
    pytest.param(
        """
        def f(x, y):
            a, b = y, x
            return a * b
        """,
        """
        def f(x, y):
            _s2sad_n1 = y
            _s2sad_n2 = x
            a = _s2sad_n1
            b = _s2sad_n2
            _s2sad_n3 = a * b
            return _s2sad_n3
        """,
        id="tuple-unpacking",
    ),
    # unpacking a value of unknown length checks the length at run time, located
    pytest.param(
        """
        import numpy as np
        def f(x):
            n, m = x.shape
            return x * n + m
        """,
        """
        def f(x):
            _s2sad_n1 = x.shape
            _s2sad_rt.require_length(_s2sad_n1, 2, "MODEL:4:5")
            n = _s2sad_n1[0]
            m = _s2sad_n1[1]
            _s2sad_n3 = x * n
            _s2sad_n2 = _s2sad_n3 + m
            return _s2sad_n2
        """,
        id="tuple-from-call",
    ),
    # a helper is inlined: its parameters and locals are renamed apart
    pytest.param(
        """
        import numpy as np
        def square(v):
            return v * v
        def f(x):
            return square(np.sin(x))
        """,
        """
        def f(x):
            _s2sad_n2 = _s2sad_np.sin(x)
            _s2sad_v_v_2 = _s2sad_n2
            _s2sad_n3 = _s2sad_v_v_2 * _s2sad_v_v_2
            _s2sad_n1 = _s2sad_n3
            return _s2sad_n1
        """,
        id="helper-inlined",
    ),
    # an inlined helper's early return lowers as the caller's would
    pytest.param(
        """
        def clip_low(v, a):
            if a > 0:
                return v
            return v * a
        def f(x, a):
            return clip_low(x, a) + 1.0
        """,
        """
        def f(x, a):
            _s2sad_v_v_2 = x
            _s2sad_v_a_2 = a
            _s2sad_v_returned_2 = False
            if _s2sad_v_a_2 > 0:
                _s2sad_v_result_2_0 = _s2sad_v_v_2
                _s2sad_v_returned_2 = True
            if not _s2sad_v_returned_2:
                _s2sad_v_result_2_0 = _s2sad_v_v_2 * _s2sad_v_a_2
                _s2sad_v_returned_2 = True
            _s2sad_n2 = _s2sad_v_result_2_0
            _s2sad_n1 = _s2sad_n2 + 1.0
            return _s2sad_n1
        """,
        id="helper-with-two-returns",
    ),
    # np.r_[...] becomes a concatenation of at-least-1-d items
    pytest.param(
        """
        import numpy as np
        def f(x, y):
            return np.r_[x, y, 1.0]
        """,
        """
        def f(x, y):
            _s2sad_n2 = _s2sad_np.atleast_1d(x)
            _s2sad_n3 = _s2sad_np.atleast_1d(y)
            _s2sad_n4 = _s2sad_np.atleast_1d(1.0)
            _s2sad_n1 = _s2sad_np.concatenate([_s2sad_n2, _s2sad_n3, _s2sad_n4])
            return _s2sad_n1
        """,
        id="r-",
    ),
    # appending to a list the function built stays an append
    pytest.param(
        """
        import numpy as np
        def f(x, n):
            out = []
            for i in range(n):
                out.append(x * i)
            return np.stack(out)
        """,
        """
        def f(x, n):
            out = []
            _s2sad_n2 = range(n)
            for i in _s2sad_n2:
                _s2sad_n3 = x * i
                out.append(_s2sad_n3)
            _s2sad_n4 = _s2sad_np.stack(out)
            return _s2sad_n4
        """,
        id="list-append",
    ),
    # subscripts with slices, None and Ellipsis are one operation each
    pytest.param(
        """
        def f(x, i):
            return x[i, 1:] + x[::2, None] + x[..., 0]
        """,
        """
        def f(x, i):
            _s2sad_n3 = x[i, 1:]
            _s2sad_n4 = x[::2, None]
            _s2sad_n2 = _s2sad_n3 + _s2sad_n4
            _s2sad_n5 = x[..., 0]
            _s2sad_n1 = _s2sad_n2 + _s2sad_n5
            return _s2sad_n1
        """,
        id="subscripts",
    ),
    # an item assignment takes an atom
    pytest.param(
        """
        import numpy as np
        def f(x):
            y = np.zeros(3)
            y[1:] = x[:2] * 2.0
            return y
        """,
        """
        def f(x):
            y = _s2sad_np.zeros(3)
            _s2sad_n2 = x[:2]
            _s2sad_n1 = _s2sad_n2 * 2.0
            y[1:] = _s2sad_n1
            return y
        """,
        id="setitem",
    ),
    # math calls go under their placeholder; builtins the user wrote stay as written
    pytest.param(
        """
        import math
        def f(x, n):
            return math.exp(x) * len(n) + abs(x)
        """,
        """
        def f(x, n):
            _s2sad_n3 = _s2sad_math.exp(x)
            _s2sad_n4 = len(n)
            _s2sad_n2 = _s2sad_n3 * _s2sad_n4
            _s2sad_n5 = abs(x)
            _s2sad_n1 = _s2sad_n2 + _s2sad_n5
            return _s2sad_n1
        """,
        id="math-and-builtins",
    ),
    # a literal tuple argument keeps its atoms in place
    pytest.param(
        """
        import numpy as np
        def f(x, y):
            return np.concatenate((x, y * 2.0), axis=0)
        """,
        """
        def f(x, y):
            _s2sad_n2 = y * 2.0
            _s2sad_n1 = _s2sad_np.concatenate((x, _s2sad_n2), axis=0)
            return _s2sad_n1
        """,
        id="literal-tuple-arg",
    ),
    # and short-circuits: the second test runs only where the first held
    pytest.param(
        """
        def f(x, a, b):
            if a > 0 and b > 0:
                x = x * 2.0
            return x
        """,
        """
        def f(x, a, b):
            _s2sad_n1 = a > 0
            if _s2sad_n1:
                _s2sad_n1 = b > 0
            if _s2sad_n1:
                _s2sad_n2 = x * 2.0
                x = _s2sad_n2
            return x
        """,
        id="boolean-ops",
    ),
]


@pytest.mark.parametrize("before, after", CASES)
def test_normalize(before, after, tmp_path):
    assert_normalized(tmp_path, before, after)
