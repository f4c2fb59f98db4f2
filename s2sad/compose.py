"""Second derivatives by composition: s2sad differentiates the code it generated.

The slope of ``f`` along ``v``, ``<grad f(x), v>``, is the tangent output of
the generated jvp. A small wrapper returns just that tangent::

    def slope_f(x, y, *, v_x):
        _, slope = jvp_f(x, y, d_x=v_x)
        return slope

and its gradient with respect to ``x`` is the Hessian-vector product ``H v``
(reverse over forward). The jvp has no tape (its loops and branches are the
user's own), so the second pass sees plain code: the tape's push and pop never
need derivatives of their own. ``hessian`` is one such product per input
direction. The gradient of a generated gradient ``g = grad(f)`` of a scalar
argument is the slope wrapper with ``v = 1.0``, differentiated again.
"""

from __future__ import annotations

import inspect

import libcst as cst
import numpy as np

from s2sad.backend import emit
from s2sad.frontend import load, source
from s2sad import runtime
from s2sad.errors import BadArgument, Origin


def slope(function, jvp_function, wrt: tuple[str, ...], direction: tuple[str, ...] | None):
    """The wrapper returning ``<grad function(x), v>`` along ``direction``'s keyword-only parameters.

    ``direction=None`` fixes the direction to 1.0 (the wrt argument must then be
    a scalar: the wrapper checks it at run time).
    """
    jvp_function = inspect.unwrap(jvp_function)  # the jvp generated for arrays, not the one choosing a form
    unit = load.from_function(function)
    params = unit.function.params
    directions = [cst.Param(name=cst.Name(name)) for name in direction or ()]
    signature = params.with_changes(
        star_arg=cst.ParamStar() if directions and not params.kwonly_params else params.star_arg,
        kwonly_params=[*params.kwonly_params, *directions],
    )
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    keywords = [p.name.value for p in params.kwonly_params]
    tangents = list(inspect.signature(jvp_function).parameters)[-len(wrt) :]
    seeds = direction or ("1.0",) * len(wrt)
    arguments = positional + [f"{k}={k}" for k in keywords] + [f"{t}={s}" for t, s in zip(tangents, seeds, strict=True)]
    name = f"slope_{unit.name}"
    lines = [f"def {name}{_parameters_code(signature)}:"]
    # Names the jvp's own file: wrappers of different functions never share a text (nor a cache entry).
    lines.append(
        f'    """The slope of {unit.name} along {", ".join(seeds)}, from {jvp_function.__code__.co_filename}."""'
    )
    if direction is None:
        start = unit.positions[unit.function.name].start
        where = f"{unit.path}:{start.line}:{start.column}"
        lines += [f'    _rt.require_scalar({w}, "{where}")' for w in wrt]
    lines.append(f"    _, slope = {jvp_function.__name__}({', '.join(arguments)})")
    lines.append("    return slope")
    namespace = load.live_namespace(function).new_namespace()
    namespace.update({jvp_function.__name__: jvp_function, "_rt": runtime})
    return emit.compile_source("\n".join(lines) + "\n", name, namespace)


def _parameters_code(params: cst.Parameters) -> str:
    definition = cst.FunctionDef(name=cst.Name("f"), params=params, body=cst.SimpleStatementSuite(body=[cst.Pass()]))
    code = cst.Module(body=[definition]).code
    return code[code.index("(") : code.rindex(":")]


def direction_names(function, wrt: tuple[str, ...]) -> tuple[str, ...]:
    """A keyword-only parameter name for each direction, ``v_<wrt>``, clear of the function's own names."""
    taken = set(inspect.signature(function).parameters)
    names = []
    for name in wrt:
        chosen, serial = f"v_{name}", 1
        while chosen in taken:
            serial += 1
            chosen = f"v_{name}_{serial}"
        taken.add(chosen)
        names.append(chosen)
    return tuple(names)


def hessian_from_products(product, positions: list[int], several: bool):
    """``H`` from ``product(*args, v) = H v``: one product per basis direction of the inputs.

    Block ``[i][j]`` has shape ``x_i.shape + x_j.shape``: ``H[i][j][a, b]`` is the
    derivative of ``df/dx_i[a]`` with respect to ``x_j[b]``.
    """

    def hessian_of(*args, **keywords):
        inputs = [args[p] for p in positions]
        dtype = np.result_type(*inputs)
        blocks = [[np.zeros(np.shape(xi) + np.shape(xj), dtype=dtype) for xj in inputs] for xi in inputs]
        for j, xj in enumerate(inputs):
            for index in np.ndindex(np.shape(xj)):
                directions = [np.zeros(np.shape(x), dtype=dtype) for x in inputs]
                directions[j][index] = 1.0
                directions = [d if np.ndim(x) else float(d) for d, x in zip(directions, inputs, strict=True)]
                columns = product(*args, tuple(directions) if several else directions[0], **keywords)
                for i, column in enumerate(columns if several else (columns,)):
                    blocks[i][j][(Ellipsis, *index)] = column
        if several:
            return tuple(tuple(row) for row in blocks)
        return float(blocks[0][0]) if type(inputs[0]) is float else blocks[0][0]

    return hessian_of


def refuse_derivative_of(generated, kind: str) -> None:
    """Only the gradient of a generated gradient of one argument is itself a gradient s2sad can form."""
    derivative_kind, original, wrt, wrt_tuple = generated.__s2sad_derivative__
    code = original.__code__
    where = Origin(source.display_path(code.co_filename), code.co_firstlineno, 0)
    if kind not in ("grad", "value_and_grad") or derivative_kind != "grad" or wrt_tuple:
        raise BadArgument(
            f"s2sad.{kind} of {generated.__name__} (s2sad's {derivative_kind} of {original.__name__}) is not supported",
            where,
            hint="for second derivatives use s2sad.hvp(f) (H v) or s2sad.hessian(f); "
            "s2sad.grad(s2sad.grad(f)) works when f's wrt argument is a scalar",
        )
