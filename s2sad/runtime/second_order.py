"""Second directional derivatives, for the rules of helpers that generated first-derivative code calls
(s2sad/rules/generated.py): with them s2sad differentiates its own tangent code (Hessians, hvp).

The cumulative product is a polynomial: its recursions are differentiated by hand, products only (no
division), so they are exact where elements are zero.
"""

from __future__ import annotations

import numpy as np

from s2sad.runtime.facts import allocates
from s2sad.runtime.statistics import _in_dtype, _last_axis, cumprod_tangent


@allocates
def cumprod_second_tangent(d, e, x, axis):
    """The second derivative of ``np.cumprod(x, axis)`` along d and e: differentiating the tangent's
    recursion t_j = t_{j-1} x_j + y_{j-1} d_j along e gives s_j = s_{j-1} x_j + t_{j-1} e_j + u_{j-1} d_j,
    with u the tangent along e (shaped as np.cumprod gives it: flat when axis is None)."""
    moved, back = _last_axis(x, axis)
    d, _ = _last_axis(np.broadcast_to(d, np.shape(x)), axis)
    e, _ = _last_axis(np.broadcast_to(e, np.shape(x)), axis)
    along_d, along_e = cumprod_tangent(d, moved, -1), cumprod_tangent(e, moved, -1)
    second = np.zeros_like(along_d + along_e)
    for j in range(1, moved.shape[-1]):
        second[..., j] = (
            second[..., j - 1] * moved[..., j] + along_d[..., j - 1] * e[..., j] + along_e[..., j - 1] * d[..., j]
        )
    return second if axis is None else back(second)


@allocates
def cumprod_adjoint_tangent(g, d, x, axis):
    """The derivative of ``cumprod_adjoint(g, x, axis)`` in x along d, which is also the adjoint in x of
    ``cumprod_tangent(d, x, axis)`` with cotangent g (second derivatives are symmetric)."""
    moved, back = _last_axis(x, axis)
    d, _ = _last_axis(np.broadcast_to(d, np.shape(x)), axis)
    g, _ = _last_axis(np.broadcast_to(g, np.shape(np.cumprod(x, axis))), axis)
    ones = np.ones_like(moved[..., :1])
    shifted = np.concatenate([ones, moved[..., :-1]], -1)
    before = np.cumprod(shifted, -1)
    d_before = cumprod_tangent(np.concatenate([0.0 * ones, d[..., :-1]], -1), shifted, -1)
    later = np.array(g, dtype=np.result_type(moved, g, d, 1.0))
    d_later = np.zeros_like(later)
    for j in range(moved.shape[-1] - 2, -1, -1):
        d_later[..., j] = d[..., j + 1] * later[..., j + 1] + moved[..., j + 1] * d_later[..., j + 1]
        later[..., j] += moved[..., j + 1] * later[..., j + 1]
    return _in_dtype(back(d_before * later + before * d_later), x)
