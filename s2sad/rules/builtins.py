"""Python's builtins on differentiated values: max, min, pow, sum; and math.fsum, math.prod (abs and
float are numpy's absolute and copy under other names; round and int have no derivative: passive).

``max`` and ``min`` take one iterable (a list written out, a list the function built, an array:
its rows) or two or more arguments; the gradient goes to the item Python returns, the first
extreme one on ties (s2sad.runtime.choices). Arrays of several elements raise in Python's
comparison, as they do without s2sad. Their ``key`` and ``default`` are not supported, nor
``pow``'s modulus: a call with them is refused where written.
"""

from s2sad import runtime as _rt
from s2sad.rules import Example, adjoint, tangent, zero_derivative

# Numbers: Python floats, numpy scalars (0-d arrays); Python compares them one by one.
_NUMBERS = {"a": None, "b": None, "c": ()}


def _choices(function: str) -> tuple[Example, ...]:
    """Examples of ``max`` or ``min`` (``function``) in each form, ties included."""
    return (
        Example(f"{function}(a, b) * 2.0", {"a": None, "b": None}),
        Example(f"{function}(a, c)", {"a": None, "c": ()}),
        Example(f"{function}(a, b, c) + a", _NUMBERS),
        Example(f"{function}(a, 2.0 * a, b)", {"a": None, "b": None}),
        Example(f"{function}(x[0], x[1])", {"x": (2,)}),
        Example(f"{function}([a, b, c])", _NUMBERS),
        Example(f"{function}((a, b))", {"a": None, "b": None}),
        Example(f"hs = [a]; hs.append(b * b); hs.append(c); {function}(hs)", _NUMBERS),
        Example(f"{function}(x)", {"x": (5,)}),
        Example(f"{function}(x * x) + x[1]", {"x": (4,)}),
        Example(f"{function}(x) * 2.0", {"x": (1, 3)}),  # one row: Python returns it uncompared
    )


@adjoint(
    "builtins.max",
    sequences=("iterable",),
    whole=("iterable",),
    variadic="args",
    examples=_choices("max"),
)
def max_adjoint_rule(d_out, out, iterable, args):
    position = _rt.position_of_max(iterable, args)
    return _rt.chosen_adjoint(d_out, iterable, args, position), _rt.chosen_args_adjoint(d_out, args, position)


@tangent("builtins.max")
def max_tangent_rule(d_iterable, d_args, out, iterable, args):
    position = _rt.position_of_max(iterable, args)
    return _rt.chosen_tangent(d_iterable, args, position, out), _rt.chosen_args_tangent(d_args, position, out)


@adjoint(
    "builtins.min",
    sequences=("iterable",),
    whole=("iterable",),
    variadic="args",
    examples=_choices("min"),
)
def min_adjoint_rule(d_out, out, iterable, args):
    position = _rt.position_of_min(iterable, args)
    return _rt.chosen_adjoint(d_out, iterable, args, position), _rt.chosen_args_adjoint(d_out, args, position)


@tangent("builtins.min")
def min_tangent_rule(d_iterable, d_args, out, iterable, args):
    position = _rt.position_of_min(iterable, args)
    return _rt.chosen_tangent(d_iterable, args, position, out), _rt.chosen_args_tangent(d_args, position, out)


@adjoint(
    "builtins.pow",
    elementwise=True,
    examples=(
        Example("pow(x, y)", {"x": None, "y": None}, {"x": "positive"}),
        Example("pow(x, 3.0)", {"x": None}),
        Example("pow(x, 2.0)", {"x": (3,)}),
        Example("pow(2.0, y)", {"y": (2, 2)}),
        Example("pow(x, y)", {"x": (2, 3), "y": (3,)}, {"x": "positive"}),
    ),
)
def pow_adjoint_rule(d_out, out, base, exp):
    # Python's pow(base, exp) is base ** exp: numpy's power on arrays, Python's own on floats
    return d_out * _rt.power_slope(base, exp), d_out * _rt.power_log_factor(out, base)


@tangent("builtins.pow")
def pow_tangent_rule(d_base, d_exp, out, base, exp):
    return _rt.power_slope(base, exp) * d_base, _rt.power_log_factor(out, base) * d_exp


@adjoint(
    "builtins.sum",
    sequences=("iterable",),
    whole=("iterable",),
    optional=("start",),
    examples=(
        Example("sum([a, b, a])", {"a": (3,), "b": (2, 3)}),
        Example("sum((a, b))", {"a": None, "b": None}),
        Example("sum([a, b], c)", {"a": None, "b": (2,), "c": None}),
        Example("sum([a * a], start=c)", {"a": (3,), "c": (2, 1)}),
        Example("sum(x)", {"x": (4,)}),
        Example("sum(x, a) * 2.0", {"x": (3, 2), "a": None}),
        Example("hs = []; hs.append(a); hs.append(b); sum(hs, 1.0)", {"a": None, "b": ()}),
    ),
)
def sum_adjoint_rule(d_out, out, iterable, start=0):
    return _rt.sum_adjoint(d_out, iterable), _rt.unbroadcast(d_out, start)


@tangent("builtins.sum")
def sum_tangent_rule(d_iterable, d_start, out, iterable, start=0):
    return _rt.sum_tangent(d_iterable), _rt.sum_start_tangent(d_start, out)


@adjoint(
    "math.fsum",
    sequences=("seq",),
    whole=("seq",),
    linear=True,
    examples=(
        Example("math.fsum([a, b, a * b])", {"a": None, "b": None}),
        Example("math.fsum(x) * 2.0", {"x": (5,)}),
        Example("hs = [a]; hs.append(c); math.fsum(hs)", {"a": None, "c": ()}),
    ),
)
def fsum_adjoint_rule(d_out, out, seq):
    return _rt.sum_adjoint(d_out, seq)


@adjoint(
    "math.prod",
    sequences=("iterable",),
    whole=("iterable",),
    keyword_only=("start",),
    examples=(
        Example("math.prod([a, b, a])", {"a": None, "b": None}),
        Example("math.prod([a, b, 0.0 * a])", {"a": None, "b": ()}),
        Example("math.prod([a, b], start=2.0)", {"a": (3,), "b": (2, 1)}),
        Example("math.prod(x) * 2.0", {"x": (4,)}),
        Example("math.prod(x)", {"x": (3, 2)}),
        Example("hs = [a]; hs.append(b); math.prod(hs)", {"a": None, "b": ()}),
    ),
)
def prod_adjoint_rule(d_out, out, iterable, start=1):
    return _rt.product_adjoint(d_out, iterable, start)


@tangent("math.prod")
def prod_tangent_rule(d_iterable, out, iterable, start=1):
    return _rt.product_tangent(d_iterable, iterable, start)


# ---------------------------------------------------------------------------
# the helpers the tangents above call, so their tangent code can be differentiated again (second
# derivatives): linear in the tangents (max and min's through the candidate Python returned)


@adjoint(
    "s2sad.runtime.sum_start_tangent",
    linear=("tangent",),
    examples=(
        Example("_rt.sum_start_tangent(t, v)", {"t": None, "v": (2, 3)}),
        Example("_rt.sum_start_tangent(t, v)", {"t": (3,), "v": (3,)}),
    ),
)
def sum_start_tangent_adjoint_rule(d_out, out, tangent, value):
    return _rt.unbroadcast(d_out, tangent), None


zero_derivative("s2sad.runtime.position_of_max", "s2sad.runtime.position_of_min")


@adjoint(
    "s2sad.runtime.chosen_tangent",
    sequences=("tangent", "args"),
    whole=("tangent",),
    linear=("tangent",),
    examples=(
        Example("_rt.chosen_tangent(t, [b], 0, v)", {"t": None, "b": None, "v": None}),
        Example("_rt.chosen_tangent(t, [b], 1, v)", {"t": (), "b": (), "v": ()}),
        Example("_rt.chosen_tangent([a, b], [], 1, v)", {"a": None, "b": (), "v": None}),
        Example("_rt.chosen_tangent(t, [], 2, v)", {"t": (4,), "v": None}),
    ),
)
def chosen_tangent_adjoint_rule(d_out, out, tangent, args, position, value):
    return _rt.chosen_adjoint(d_out, tangent, args, position), None, None, None


@adjoint(
    "s2sad.runtime.chosen_args_tangent",
    sequences=("tangents",),
    linear=("tangents",),
    examples=(
        Example("_rt.chosen_args_tangent([a, b], 2, v)", {"a": None, "b": (), "v": None}),
        Example("_rt.chosen_args_tangent([a], 0, v)", {"a": None, "v": None}),
    ),
)
def chosen_args_tangent_adjoint_rule(d_out, out, tangents, position, value):
    return _rt.chosen_args_adjoint(d_out, tangents, position), None, None
