"""The helpers of the rules in s2sad/rules/products.py: tensordot, kron, cross, matrix powers,
convolutions, polynomials, einsum.

Each adjoint is the product that pairs the output's adjoint with the other factors (the function
is linear in each factor), arranged back into the factor's axes.
"""

from __future__ import annotations

import numpy as np

try:  # numpy's own reading of the subscripts (private: its place moved in numpy 2)
    from numpy._core.einsumfunc import _parse_einsum_input
except ImportError:
    from numpy.core.einsumfunc import _parse_einsum_input

from s2sad.errors import BadArgument
from s2sad.runtime.facts import allocates, shape_only
from s2sad.runtime.values import _dtype, unbroadcast

# ---------------------------------------------------------------------------
# tensordot


def _tensordot_axes(a, b, axes):
    """numpy's ``axes`` (an int n, or a pair of ints or of sequences) as two lists of nonnegative axes."""
    a_ndim, b_ndim = np.ndim(a), np.ndim(b)
    if isinstance(axes, (int, np.integer)):
        return list(range(a_ndim - axes, a_ndim)), list(range(axes))
    a_axes, b_axes = axes
    a_axes = [a_axes] if isinstance(a_axes, (int, np.integer)) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, (int, np.integer)) else list(b_axes)
    return [axis % a_ndim for axis in a_axes], [axis % b_ndim for axis in b_axes]


@allocates
def tensordot_adjoint_left(g, a, b, axes=2):
    """The adjoint of ``a`` in ``np.tensordot(a, b, axes)``: ``g`` contracted with ``b``'s free axes."""
    a_axes, b_axes = _tensordot_axes(a, b, axes)
    a_free = [axis for axis in range(np.ndim(a)) if axis not in a_axes]
    b_free = [axis for axis in range(np.ndim(b)) if axis not in b_axes]
    product = np.tensordot(g, b, axes=(list(range(len(a_free), np.ndim(g))), b_free))
    # Its axes: a's free ones, then b's contracted ones in increasing order, each paired with one of a's.
    labels = a_free + [a_axes[b_axes.index(axis)] for axis in sorted(b_axes)]
    return np.transpose(product, np.argsort(labels))


@allocates
def tensordot_adjoint_right(g, a, b, axes=2):
    """The adjoint of ``b`` in ``np.tensordot(a, b, axes)``: ``a``'s free axes contracted with ``g``."""
    a_axes, b_axes = _tensordot_axes(a, b, axes)
    a_free = [axis for axis in range(np.ndim(a)) if axis not in a_axes]
    b_free = [axis for axis in range(np.ndim(b)) if axis not in b_axes]
    product = np.tensordot(a, g, axes=(a_free, list(range(len(a_free)))))
    labels = [b_axes[a_axes.index(axis)] for axis in sorted(a_axes)] + b_free
    return np.transpose(product, np.argsort(labels))


# ---------------------------------------------------------------------------
# kron: out[i * m + j] = a[i] * b[j] along every axis (the shorter shape padded with leading ones)


@allocates
def kron_adjoint(g, a, b, left=True):
    """The adjoint of ``a`` (``left``) or of ``b`` in ``np.kron(a, b)``."""
    ndim = max(np.ndim(a), np.ndim(b))
    a_shape = (1,) * (ndim - np.ndim(a)) + np.shape(a)
    b_shape = (1,) * (ndim - np.ndim(b)) + np.shape(b)
    # g with each of its axes split in two: (a0, b0, a1, b1, ...)
    blocks = np.reshape(g, [n for pair in zip(a_shape, b_shape, strict=True) for n in pair])
    if left:
        other = np.reshape(b, [n for m in b_shape for n in (1, m)])
        summed = tuple(range(1, 2 * ndim, 2))
    else:
        other = np.reshape(a, [n for m in a_shape for n in (m, 1)])
        summed = tuple(range(0, 2 * ndim, 2))
    return np.reshape(np.sum(blocks * other, axis=summed), np.shape(a if left else b))


# ---------------------------------------------------------------------------
# cross: <g, a x b> = <a, b x g> = <b, g x a>; 2-vectors are 3-vectors with z = 0


def _as_3_vectors(x, axis):
    """``x`` with its vector axis last, 2-vectors padded with a zero z."""
    x = np.moveaxis(x, axis, -1)
    if x.shape[-1] == 2:
        x = np.concatenate([x, np.zeros_like(x[..., :1])], axis=-1)
    return x


_VECTOR_3 = (3,)


def _is_3_vector(x) -> bool:
    return type(x) is np.ndarray and x.shape == _VECTOR_3


def _cross_3(u, v):
    """``np.cross(u, v)`` of two 3-vectors, in their result dtype, without np.cross's axis handling."""
    u1, u2, u3 = u.tolist()
    v1, v2, v3 = v.tolist()
    return np.array([u2 * v3 - u3 * v2, u3 * v1 - u1 * v3, u1 * v2 - u2 * v1], np.result_type(u, v))


@allocates
def cross_adjoint(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None, left=True):
    """The adjoint of ``a`` (``left``) or of ``b`` in ``np.cross(a, b, axisa, axisb, axisc, axis)``."""
    if type(g) is np.ndarray and g.shape == _VECTOR_3 and _is_3_vector(a) and _is_3_vector(b):
        return _cross_3(b, g) if left else _cross_3(g, a)  # the common case: np.cross costs ten times more
    if axis is not None:
        axisa = axisb = axisc = axis
    a3, b3 = _as_3_vectors(a, axisa), _as_3_vectors(b, axisb)
    if np.shape(a)[axisa] == 2 and np.shape(b)[axisb] == 2:
        g3 = np.stack([np.zeros_like(g), np.zeros_like(g), g], axis=-1)  # numpy returns the z component
    else:
        g3 = np.moveaxis(g, axisc, -1)
    own, own_axis = (a, axisa) if left else (b, axisb)
    adjoint = np.cross(b3, g3) if left else np.cross(g3, a3)
    adjoint = unbroadcast(adjoint[..., : np.shape(own)[own_axis]], np.moveaxis(own, own_axis, -1))
    return np.moveaxis(adjoint, -1, own_axis)


# ---------------------------------------------------------------------------
# matrix_power: the derivative of A^n along dA is the upper right block of [[A, dA], [0, A]]^n,
# for every integer n (negative ones too); its adjoint is that derivative along g of A^T.


def _upper_block(a, d):
    """The block matrix [[a, d], [0, a]] (batched over leading axes)."""
    a, d = np.broadcast_arrays(a, d)
    zeros = np.zeros_like(a)
    return np.concatenate([np.concatenate([a, d], axis=-1), np.concatenate([zeros, a], axis=-1)], axis=-2)


@allocates
def matrix_power_tangent(d_a, a, n):
    """The derivative of ``np.linalg.matrix_power(a, n)`` along ``d_a``."""
    size = np.shape(a)[-1]
    return np.linalg.matrix_power(_upper_block(a, d_a), n)[..., :size, size:]


@allocates
def matrix_power_tangent_adjoint(g, d_a, a, n):
    """The adjoint of the block matrix [[a, d_a], [0, a]] in ``matrix_power_tangent(d_a, a, n)`` (its
    upper right block goes to ``d_a``, its diagonal blocks to ``a``): g placed in the upper right
    block, pulled back through the power of the block matrix."""
    block = _upper_block(a, d_a)
    return matrix_power_tangent(_upper_block(np.zeros_like(g), g), np.swapaxes(block, -1, -2), n)


@allocates
def matrix_power_second_tangent(d_a, da, a, n):
    """The derivative of ``matrix_power_tangent(da, a, n)`` in ``a`` along ``d_a``."""
    size = np.shape(a)[-1]
    moved = _upper_block(d_a, np.zeros_like(d_a))  # [[d_a, 0], [0, d_a]]
    return matrix_power_tangent(moved, _upper_block(a, da), n)[..., :size, size:]


# ---------------------------------------------------------------------------
# convolve and correlate (1-D): the output of a mode is a window of the full result


def _window_start(mode, a_length, v_length, correlating):
    """Where the output of ``mode`` starts in the full result (as numpy places it)."""
    shorter = min(a_length, v_length)
    if mode == "full":
        return 0
    if mode == "valid":
        return shorter - 1
    if mode == "same":
        # np.correlate swaps its arguments when v is longer and reverses the result
        return shorter // 2 if correlating and v_length > a_length else (shorter - 1) // 2
    raise BadArgument(f"mode {mode!r} of np.convolve/np.correlate: one of 'full', 'same', 'valid'")


def _full_adjoint(g, a, v, mode, correlating):
    """``g`` placed in the full result's length (zeros outside the window ``mode`` returns)."""
    length_a, length_v = np.size(a), np.size(v)
    start = _window_start(mode, length_a, length_v, correlating)
    full = np.zeros(length_a + length_v - 1, dtype=np.result_type(g))
    full[start : start + np.size(g)] = g
    return full


@allocates
def convolve_adjoint(g, a, v, mode="full", correlating=False, left=True):
    """The adjoint of ``a`` (``left``) or of ``v`` in ``np.convolve(a, v, mode)`` (``np.correlate``
    when ``correlating``: the full correlation is the full convolution with ``v`` reversed)."""
    full = _full_adjoint(g, a, v, mode, correlating)
    a, v = np.atleast_1d(a), np.atleast_1d(v)
    if left:
        adjoint = np.correlate(full, v[::-1] if correlating else v, "valid")
    else:
        adjoint = np.correlate(full, a, "valid")
        adjoint = adjoint[::-1] if correlating else adjoint
    return adjoint


# ---------------------------------------------------------------------------
# polyval: p[0] x^(k-1) + ... + p[k-1]


def polyval_derivative(p, x, order=0):
    """The derivative of order ``order`` in ``x`` of ``np.polyval(p, x)``, by Horner's rule."""
    k = np.shape(p)[0]
    value = 0.0 * x * p[0]
    for i in range(k - order):
        falling = 1
        for j in range(order):  # (k-1-i) (k-2-i) ... : the order-th derivative's factor of x^(k-1-i)
            falling *= k - 1 - i - j
        value = value * x + falling * p[i]
    return value


@allocates
@shape_only("p")
def polyval_coefficient_adjoint(g, p, x, order=0):
    """The adjoint of ``p`` in ``polyval_derivative(p, x, order)``: for each coefficient, the sum of
    ``g`` times the order-th derivative of its power of x."""
    k = np.shape(p)[0]
    power = np.ones_like(g * x)  # x ** (exponent - order)
    terms = []
    for exponent in range(k):  # p[k - 1 - exponent] multiplies x ** exponent
        if exponent < order:
            terms.append(np.sum(np.zeros_like(power)))
            continue
        falling = 1
        for j in range(order):
            falling *= exponent - j
        terms.append(np.sum(g * power) * falling)
        power = power * x
    return np.stack(terms[::-1]).astype(_dtype(p), copy=False)


# ---------------------------------------------------------------------------
# einsum: linear in each operand; the adjoint of operand k is the einsum of the output's adjoint
# with the other operands, spread over the labels only operand k has and onto its diagonals


def _einsum_labels(subscripts, operands):
    """The operands' labels and the output's, as numpy reads them (ellipses made letters, the
    implicit output written out)."""
    inputs, output, _ = _parse_einsum_input((subscripts, *operands))
    return inputs.split(","), output


def _operand_adjoint(g, inputs, output, operands, k):
    """The adjoint of ``operands[k]`` in the einsum of ``inputs`` -> ``output``, given ``g``."""
    labels, shape = inputs[k], np.shape(operands[k])
    size = {label: shape[position] for position, label in enumerate(labels)}
    unique = list(dict.fromkeys(labels))
    others = [j for j in range(len(operands)) if j != k]
    reached = set(output).union(*(inputs[j] for j in others))
    kept = [label for label in unique if label in reached]
    spec = ",".join([output, *(inputs[j] for j in others)]) + "->" + "".join(kept)
    adjoint = np.einsum(spec, g, *(operands[j] for j in others))
    if not others:
        adjoint = adjoint.copy()  # einsum of g alone may be a view of g
    # labels operand k broadcast (size 1 against the others' size): summed back
    summed = tuple(i for i, label in enumerate(kept) if size[label] == 1 and adjoint.shape[i] != 1)
    if summed:
        adjoint = np.sum(adjoint, axis=summed, keepdims=True)
    missing = [i for i, label in enumerate(unique) if label not in reached]
    if missing:  # labels only operand k has, summed over in the output: every entry gets the adjoint
        adjoint = np.broadcast_to(np.expand_dims(adjoint, missing), [size[label] for label in unique]).copy()
    if len(unique) < len(labels):  # a repeated label reads a diagonal: the adjoint goes onto it
        placed = np.zeros(shape, dtype=adjoint.dtype)
        np.einsum(labels + "->" + "".join(unique), placed)[...] = adjoint  # a writable view of the diagonal
        return placed
    return adjoint


@allocates
def einsum_adjoint(g, subscripts, operands):
    """The adjoints of the operands of ``np.einsum(subscripts, *operands)``, as a list."""
    inputs, output = _einsum_labels(subscripts, operands)
    return [_operand_adjoint(g, inputs, output, operands, k) for k in range(len(operands))]


def _replaced(operands, replacements):
    """``operands`` with those at the positions of ``replacements`` (position -> value) replaced."""
    return [replacements.get(k, operand) for k, operand in enumerate(operands)]


def _moving(tangents):
    """Positions of the tangents that are not zero (an operand with no tangent has zeros)."""
    return [k for k, tangent in enumerate(tangents) if np.any(tangent)]


def einsum_tangent(subscripts, tangents, operands):
    """The derivative of ``np.einsum(subscripts, *operands)`` along ``tangents`` (one per operand):
    the sum over operands of the einsum with that operand replaced by its tangent."""
    terms = [np.einsum(subscripts, *_replaced(operands, {k: tangents[k]})) for k in _moving(tangents)]
    return sum(terms[1:], terms[0]) if terms else np.zeros_like(np.einsum(subscripts, *operands))


@allocates
def einsum_tangent_adjoint(g, subscripts, tangents, operands):
    """The adjoints of the operands in ``einsum_tangent(subscripts, tangents, operands)``."""
    inputs, output = _einsum_labels(subscripts, operands)
    adjoints = []
    for j in range(len(operands)):
        parts = [
            _operand_adjoint(g, inputs, output, _replaced(operands, {k: tangents[k]}), j)
            for k in _moving(tangents)
            if k != j
        ]
        adjoints.append(sum(parts[1:], parts[0]) if parts else np.zeros_like(operands[j]))
    return adjoints


def einsum_second_tangent(subscripts, tangents, moved, operands):
    """The derivative of ``einsum_tangent(subscripts, tangents, operands)`` in the operands along ``moved``."""
    pairs = [(j, k) for j in _moving(moved) for k in _moving(tangents) if j != k]
    terms = [np.einsum(subscripts, *_replaced(operands, {j: moved[j], k: tangents[k]})) for j, k in pairs]
    return sum(terms[1:], terms[0]) if terms else np.zeros_like(np.einsum(subscripts, *operands))


@shape_only("arrays")
def multi_dot_subscripts(arrays):
    """``np.linalg.multi_dot(arrays)`` as einsum subscripts (a 1-D first or last array is a vector)."""
    count = len(arrays)
    letters = [chr(ord("a") + i) for i in range(count + 1)]
    inputs = [letters[i] + letters[i + 1] for i in range(count)]
    output = letters[0] + letters[count]
    if np.ndim(arrays[0]) == 1:
        inputs[0], output = letters[1], output[1:]
    if np.ndim(arrays[-1]) == 1:
        inputs[-1], output = letters[count - 1], output[:-1]
    return ",".join(inputs) + "->" + output
