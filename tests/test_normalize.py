"""normalize: one operation per statement, canonical spellings, explicit augmented assignment."""

import pytest

from tests.passes import dedent, run_until

CASES = [
    (
        """
        import numpy as np
        def f(x, w, b):
            p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
            return p
        """,
        """
        def f(x, w, b):
            _s2sad_n5 = x @ w
            _s2sad_n4 = _s2sad_n5 + b
            _s2sad_n3 = -_s2sad_n4
            _s2sad_n2 = _s2sad_np.exp(_s2sad_n3)
            _s2sad_n1 = 1.0 + _s2sad_n2
            p = 1.0 / _s2sad_n1
            return p
        """,
    ),
    (
        """
        from numpy import exp as e
        import numpy.linalg as la
        def f(x):
            x += e(x)
            return la.norm(x)
        """,
        """
        def f(x):
            _s2sad_n1 = _s2sad_rt.is_array(x)
            if _s2sad_n1:
                _s2sad_n2 = _s2sad_np.exp(x)
                x[...] += _s2sad_n2
            else:
                _s2sad_n3 = _s2sad_np.exp(x)
                _s2sad_n4 = x + _s2sad_n3
                x = _s2sad_n4
            _s2sad_n5 = _s2sad_np.linalg.norm(x)
            return _s2sad_n5
        """,
    ),
    (
        """
        def f(x):
            a, b = x.sum(axis=1), x.T
            return a.reshape(2, 3) + x.shape[0] + b[1:, ::2]
        """,
        """
        def f(x):
            _s2sad_n1 = _s2sad_np.sum(x, axis=1)
            _s2sad_n2 = _s2sad_np.transpose(x)
            a = _s2sad_n1
            b = _s2sad_n2
            _s2sad_n5 = _s2sad_np.reshape(a, (2, 3))
            _s2sad_n7 = x.shape
            _s2sad_n6 = _s2sad_n7[0]
            _s2sad_n4 = _s2sad_n5 + _s2sad_n6
            _s2sad_n8 = b[1:, ::2]
            _s2sad_n3 = _s2sad_n4 + _s2sad_n8
            return _s2sad_n3
        """,
    ),
]


@pytest.mark.parametrize("before, after", CASES)
def test_normalize(before, after, tmp_path):
    unit = run_until(tmp_path, before, "normalize", wrt=("x",))
    assert unit.ir.code() == dedent(after).replace("MODEL", unit.path)
