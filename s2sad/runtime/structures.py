"""Containers of arrays as arguments: dicts, lists, tuples, named tuples, dataclass instances and
``types.SimpleNamespace`` objects, nested as deep as the user likes.

Generated code holds a container's adjoint or tangent as a list (one entry per item) or a dict (one
per key or field); ``gradient_like`` turns an adjoint back into the argument's own type at the end. A
leaf that cannot have a derivative (a Python int or bool, a string, None, a function) gets None
there, as a setting held beside the weights (a layer count, an activation's name) has no gradient.
"""

from __future__ import annotations

import copy
import dataclasses
import types

import numpy as np

from s2sad.errors import BadArgument

CONTAINERS = "dicts, lists, tuples, named tuples, dataclass instances and types.SimpleNamespace objects"


def _is_named_tuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def fields_of(x) -> dict | None:
    """The named parts of a named tuple, a dataclass instance or a SimpleNamespace; None for anything else."""
    if _is_named_tuple(x):
        return dict(zip(x._fields, x, strict=True))
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: getattr(x, f.name) for f in dataclasses.fields(x)}
    if isinstance(x, types.SimpleNamespace):
        return dict(vars(x))
    return None


def is_container(x) -> bool:
    return isinstance(x, (list, tuple, dict)) or fields_of(x) is not None


def has_derivative(leaf) -> bool:
    """Whether a leaf of a container gets a gradient: floats and float arrays do; settings do not."""
    if isinstance(leaf, (float, np.floating)):
        return True
    dtype = getattr(leaf, "dtype", None)
    return getattr(dtype, "kind", None) == "f"


def is_setting(leaf) -> bool:
    """A leaf that holds no floats and is no array of numbers: its gradient is None."""
    return not isinstance(leaf, (np.ndarray, np.generic, complex)) and not has_derivative(leaf)


class NamedParts(list):
    """A named tuple's adjoint or tangent, item by item as the tuple's (a rule's result is one: eigh's);
    read by field name too, as the tuple is."""

    def __init__(self, items, fields: tuple[str, ...]):
        super().__init__(items)
        self.fields = fields

    def __getitem__(self, key):
        return super().__getitem__(self.fields.index(key) if isinstance(key, str) else key)


def part_key(x, index):
    """The key a part of ``x`` is kept under in its adjoint: a named tuple's field becomes its position."""
    if _is_named_tuple(x) and isinstance(index, str) and index in x._fields:
        return x._fields.index(index)
    fields = fields_of(x) if isinstance(index, str) else None
    if fields is not None and index not in fields:
        raise BadArgument(
            f"'{index}' of {type(x).__name__} is differentiated, but it is not one of its fields "
            f"({', '.join(fields)}): a property or a method has no gradient s2sad can give back",
            hint="read the fields themselves, or compute the value in the function",
        )
    return index


def gradient_like(g, x, element):
    """The adjoint ``g`` of the container ``x`` in ``x``'s type; ``element(g, leaf)`` converts each leaf's."""
    if _is_named_tuple(x):
        return type(x)(*(_part(d, value, element) for d, value in zip(g, x, strict=True)))
    fields = fields_of(x)
    if fields is not None:
        parts = {name: _part(g.get(name), value, element) for name, value in fields.items()}
        return _rebuilt(x, parts)
    if isinstance(x, dict):
        return {key: _part(g[key], value, element) for key, value in x.items()}
    return type(x)(_part(d, value, element) for d, value in zip(g, x, strict=True))


def _part(g, leaf, element):
    if is_container(leaf):
        return gradient_like(g, leaf, element)
    if g is None or not has_derivative(leaf):
        return None if is_setting(leaf) else element(0.0 if g is None else g, leaf)
    return element(g, leaf)


def _rebuilt(x, parts: dict):
    """An object of ``x``'s type holding ``parts``; a dataclass's __init__ (its checks) is not run."""
    rebuilt = copy.copy(x)
    for name, value in parts.items():
        object.__setattr__(rebuilt, name, value)  # frozen dataclasses too
    return rebuilt


def zero_parts(x, zero):
    """A container's zero adjoint: a dict for a dict or an object with fields, else a list."""
    if _is_named_tuple(x):
        return NamedParts((_zero_part(item, zero) for item in x), x._fields)
    fields = fields_of(x)
    if fields is not None or isinstance(x, dict):
        return {key: _zero_part(value, zero) for key, value in (fields or x).items()}
    return [_zero_part(item, zero) for item in x]


def _zero_part(leaf, zero):
    return None if is_setting(leaf) and not is_container(leaf) else zero(leaf)


def parts(tangent, x):
    """The tangent of the container ``x`` (given in ``x``'s type) as generated code reads it: lists for
    sequences, dicts for dicts and fields; a setting's tangent is zero, whatever was given for it."""
    if _is_named_tuple(x):
        return NamedParts((_tangent_part(d, item) for d, item in zip(tangent, x, strict=True)), x._fields)
    fields = fields_of(x)
    if fields is not None:
        return {name: _tangent_part(_field(tangent, name), value) for name, value in fields.items()}
    if isinstance(x, dict):
        return {key: _tangent_part(tangent[key], value) for key, value in x.items()}
    return [_tangent_part(d, item) for d, item in zip(tangent, x, strict=True)]


def _tangent_part(tangent, leaf):
    if is_container(leaf):
        return parts(tangent, leaf)
    return tangent if has_derivative(leaf) else 0.0


def _field(x, name: str):
    return x[name] if isinstance(x, dict) else getattr(x, name)


def require_floats(value, name: str, refuse) -> None:
    """Refuse a container holding arrays of integers, booleans or complex numbers (``refuse(path, leaf)``)."""
    fields = fields_of(value)
    if fields is not None:
        items = ((f"{name}.{key}", item) for key, item in fields.items())
    elif isinstance(value, dict):
        items = ((f"{name}[{key!r}]", item) for key, item in value.items())
    else:
        items = ((f"{name}[{index}]", item) for index, item in enumerate(value))
    for path, item in items:
        if is_container(item):
            require_floats(item, path, refuse)
        elif not (has_derivative(item) or is_setting(item)):
            refuse(path, item)


def structure_of(x):
    """The form of a container of arrays, as a derivative is generated for it (hashable, written in
    generated code): None for a leaf; ("items", form) for a list or tuple whose items share one form,
    ("positions", forms) for one whose items do not; ("keys", ((key, form), ...)) for a dict, and
    ("fields", ((name, form), ...)) for a named tuple, a dataclass instance or a SimpleNamespace."""
    fields = fields_of(x)
    if fields is not None:
        return "fields", tuple((name, structure_of(value)) for name, value in fields.items())
    if isinstance(x, dict):
        return "keys", tuple((key, structure_of(value)) for key, value in x.items())
    if isinstance(x, (list, tuple)):
        forms = tuple(structure_of(item) for item in x)
        return ("items", forms[0]) if forms and all(f == forms[0] for f in forms) else ("positions", forms)
    return None
