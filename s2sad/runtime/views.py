"""Memory seen through several names: where a view lies in the array it is part of, so an update
through one is made on the other, and the derivatives of a view read again after such an update."""

from __future__ import annotations

import numpy as np

from s2sad.errors import BadArgument
from s2sad.runtime.foreign import is_foreign, refuse
from s2sad.runtime.requirements import _origin
from s2sad.runtime.values import _zeros


def _element_offsets(a: np.ndarray):
    """Byte address of every element of ``a``, in its shape."""
    offsets = np.full(a.shape, a.__array_interface__["data"][0], dtype=np.int64)
    for axis, (length, stride) in enumerate(zip(a.shape, a.strides, strict=True)):
        offsets += (np.arange(length, dtype=np.int64) * stride).reshape((-1,) + (1,) * (a.ndim - axis - 1))
    return offsets


def _positions_in(base, view):
    """The flat (C-order) index into ``base`` of each element of ``view``, or None if ``view``
    does not lie in ``base``'s memory (it is a copy, or another array)."""
    if not (isinstance(base, np.ndarray) and isinstance(view, np.ndarray)):
        return None
    if base.dtype.itemsize != view.dtype.itemsize:
        return None
    if view.size == 0:
        return np.zeros(view.shape, dtype=np.int64)  # nothing to place
    if not np.may_share_memory(base, view):
        return None
    itemsize = base.dtype.itemsize
    held = _element_offsets(base).ravel()
    lowest = held.min() if held.size else 0
    slots = (held - lowest) // itemsize
    image = np.full(int(slots.max(initial=-1)) + 1, -1, dtype=np.int64)
    image[slots] = np.arange(base.size)
    if np.count_nonzero(image >= 0) != base.size:
        return None  # base sees some element twice (broadcast): no one place per element
    wanted = _element_offsets(view) - lowest
    if wanted.size and ((wanted % itemsize).any() or wanted.min() < 0 or wanted.max() // itemsize >= image.size):
        return None
    positions = image[wanted // itemsize]
    return None if (positions < 0).any() else positions


def region(base, view, index, view_name: str, base_name: str, where: str):
    """The index into ``base`` of the elements ``view[index]`` occupies (``view`` lies in ``base``)."""
    positions = _positions_in(base, view)
    if positions is None and (is_foreign(base) or is_foreign(view)):
        refuse(
            base if is_foreign(base) else view,
            f"updating '{base_name}' in place through '{view_name}', a part of it (a view)",
            why="they have no views (a part is a copy), so the update does not reach the array it came from",
            hint=f"update '{base_name}' itself ({base_name}[...] = ...)",
            origin=_origin(where),
        )
    if positions is None:
        raise BadArgument(
            f"'{view_name}' is updated in place as part of '{base_name}', but here it is not part of it "
            "(numpy made a copy, or it is an array of another loop trip)",
            _origin(where),
            hint=f"update '{base_name}' directly, or make the copy explicit: {view_name} = {view_name}.copy()",
        )
    return np.unravel_index(positions[index], np.shape(base))


def lies_in(view, base) -> bool:
    """Whether ``view`` is a view of ``base`` (numpy made it so) rather than a copy."""
    return _positions_in(base, view) is not None


def require_inside_or_apart(view, array, view_name: str, array_name: str, where: str):
    """``array`` (a copy numpy made) is updated in place: ``view`` must lie in it, or apart from it."""
    if is_foreign(view) or is_foreign(array) or lies_in(view, array) or not np.shares_memory(view, array):
        return  # np.shares_memory would convert another library's arrays (dask's share no memory)
    raise BadArgument(
        f"'{array_name}' is updated in place, but here it lies in a copy numpy made (for some indices and "
        f"memory layouts), and '{view_name}', read later, shares part of that copy: s2sad cannot follow the update",
        _origin(where),
        hint="make the copy explicit (c = y[idx].copy()) and update c itself",
    )


def reseen(base, view):
    """``view`` again, after ``base`` was updated in place (same object, so it still sees base)."""
    return view


def reseen_base_adjoint(d_out, base, view):
    """Adjoint of ``reseen`` for ``base``: d_out placed where ``view`` lies in base (zero if it does not)."""
    positions = _positions_in(base, view)
    if positions is None:
        return _zeros(base)
    spread = np.broadcast_to(d_out, positions.shape).ravel()
    return np.bincount(positions.ravel(), weights=spread, minlength=base.size).reshape(base.shape)


def reseen_view_adjoint(d_out, base, view):
    """Adjoint of ``reseen`` for the old ``view``: none if it lies in base (its values are base's)."""
    return _zeros(view) if _positions_in(base, view) is not None else d_out


def reseen_tangent(d_base, d_view, base, view):
    """Tangent of ``reseen``: base's tangent where ``view`` lies in base, else the view's own."""
    positions = _positions_in(base, view)
    if positions is None:
        return d_view
    return np.ravel(np.broadcast_to(d_base, np.shape(base)))[positions]
