"""Expressions: atoms and literals, one operation on atoms (operators, comparisons, conditional
expressions, lists and tuples), attributes, and indexing. Calls are lowered in calls.py."""

from __future__ import annotations

import libcst as cst

from s2sad.core import ir
from s2sad.normalize import assignments, calls, comprehensions, control, dicts, known, tuples
from s2sad.normalize.nodes import bare, module_name, sequence
from s2sad.normalize.state import State
from s2sad.frontend.scope import dotted
from s2sad.rules import syntax

# Python's operators, as rules.syntax.OPERATORS spells them.
_OPERATOR_TOKENS = {
    cst.Add: "+",
    cst.Subtract: "-",
    cst.Multiply: "*",
    cst.Divide: "/",
    cst.Power: "**",
    cst.MatrixMultiply: "@",
    cst.Modulo: "%",
}
# Piecewise constant (floor division) or defined on booleans and integers only.
_PASSIVE_BINARY = (cst.FloorDivide, cst.BitAnd, cst.BitOr, cst.BitXor, cst.LeftShift, cst.RightShift)


def atom(state: State, node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` if it is a name or literal (canonically spelled), else a temporary holding it."""
    written = node
    node = bare(node)
    constant = literal(state, node)
    if constant is not None:
        return constant
    if isinstance(node, cst.Name):
        _refuse_whole_dict(state, node)
        if node.value in state.local_functions:  # inlined where called: no value the generated code holds
            state.refuse(
                written,
                "a function defined inside (a lambda, a def, a partial) used as a value other than called "
                "or passed to your own functions is",
                "define it at module level, where numpy and the generated code can call it",
            )
        return node
    text = dotted(node)
    if text is not None and state.resolution(text) in ("global", *_FUNCTION_KINDS):
        return node  # a global, or a function named as a value (called elsewhere): apply(np.cos, x)
    name = state.temp()
    assignments.assign_name(state, name, node, state.where(written) if written in state.unit.positions else None)
    return cst.Name(name)


# What a name of a function resolves to when it is also called in the function (resolve keeps one).
_FUNCTION_KINDS = ("function", "rule", "zero_derivative", "inactive_only")


def literal(state: State, node: cst.BaseExpression) -> cst.BaseExpression | None:
    """The canonical form of a literal (numbers, strings, True/None, np.pi, tuples of those)."""
    node = bare(node)
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)):
        return node
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return node
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        if isinstance(bare(node.expression), (cst.Integer, cst.Float)):
            return node.with_changes(expression=bare(node.expression))
    if isinstance(node, cst.Tuple):  # a list is a value the function may append to
        items = [literal(state, e.value) for e in node.elements]
        if all(item is not None for item in items):
            return sequence(node, items)
        return None
    text = dotted(node)
    if text is not None:
        found = state.unit.resolutions.get(text)
        if found is not None and found.kind == "constant" and text.split(".")[0] not in state.unit.local_names:
            return module_name(state.names, found.name)
    return None


def operand(state: State, node: cst.BaseExpression) -> cst.BaseExpression:
    """An operand: an atom, or a tuple/list of atoms written out (a shape, a list of arrays)."""
    node = bare(node)
    if isinstance(node, (cst.Tuple, cst.List)) and literal(state, node) is None:
        return sequence(node, [atom(state, element.value) for element in node.elements])
    return atom(state, node)


def operation(state: State, node: cst.BaseExpression):
    """(value, rule, operands, inactive_only) for one operation whose operands are atoms."""
    node = bare(node)
    constant = literal(state, node)
    if constant is not None:
        return constant, None, {}, False
    if isinstance(node, cst.Name):
        _refuse_whole_dict(state, node)
        if node.value in state.unit.local_names or state.names.is_placeholder(node.value):
            return node, "s2sad.copy", {"x": node}, False
        return node, None, {}, False
    if isinstance(node, cst.List):
        return _list(state, node)
    if isinstance(node, cst.Tuple):
        # A tuple built from values (a shape): it carries no derivative, so
        # nothing that depends on what is differentiated may go into it.
        return operand(state, node), None, {}, True
    if isinstance(node, cst.BinaryOperation):
        return _binary_operation(state, node)
    if isinstance(node, cst.UnaryOperation):
        return _unary_operation(state, node)
    if isinstance(node, cst.Comparison):
        left = atom(state, node.left)
        targets = [c.with_changes(comparator=atom(state, c.comparator)) for c in node.comparisons]
        return cst.Comparison(left=left, comparisons=targets), None, {}, False
    if isinstance(node, cst.IfExp):
        return _conditional(state, node)
    if isinstance(node, (cst.ListComp, cst.GeneratorExp)):
        return operation(state, comprehensions.lower(state, node))
    if isinstance(node, cst.FormattedString):  # a message (raise, assert, print): text, no derivative
        return _formatted(state, node), None, {}, False
    if isinstance(node, cst.BooleanOperation):
        state.refuse(node, "'and' / 'or' outside a condition are", "use them in if and while tests")
    if isinstance(node, cst.Subscript):
        return _subscript(state, node)
    if isinstance(node, cst.Attribute):
        return _attribute(state, node)
    if isinstance(node, cst.Call):
        return calls.call(state, node)
    state.refuse(node, f"{type(node).__name__} expressions are")


def _list(state: State, node: cst.List):
    """A list the function builds (and may append to): its adjoint is a list too."""
    items = tuple(atom(state, element.value) for element in node.elements)
    value = cst.List(elements=[cst.Element(value=i) for i in items])
    if any(tuples.is_static_tuple(state, item) for item in items):
        # A list of tuples carries no derivative: nothing differentiated may go into it.
        return value.with_changes(elements=[cst.Element(tuples.plain(state, i)) for i in items]), None, {}, True
    return value, "s2sad.list", {"items": items}, False


def _binary_operation(state: State, node: cst.BinaryOperation):
    left, right = atom(state, node.left), atom(state, node.right)
    value = cst.BinaryOperation(left=left, operator=node.operator, right=right)
    if isinstance(node.operator, _PASSIVE_BINARY):
        return value, None, {}, False
    if any(
        tuples.is_static_tuple(state, a) or isinstance(a, cst.Name) and a.value in state.lists for a in (left, right)
    ):
        # `t + (y,)`, `hs * 2`: joining or repeating tuples and lists, which carries no
        # derivative, so nothing differentiated may go into it (analyse refuses that).
        return value.with_changes(left=tuples.plain(state, left), right=tuples.plain(state, right)), None, {}, True
    return value, syntax.OPERATORS[_OPERATOR_TOKENS[type(node.operator)]], {"x1": left, "x2": right}, False


def _unary_operation(state: State, node: cst.UnaryOperation):
    operand_atom = atom(state, node.expression)
    value = node.with_changes(expression=operand_atom)
    if isinstance(node.operator, cst.Minus):
        return value, syntax.OPERATORS["unary -"], {"x": operand_atom}, False
    if isinstance(node.operator, cst.Plus):
        return value, syntax.OPERATORS["unary +"], {"x": operand_atom}, False
    return value, None, {}, False


def _conditional(state: State, node: cst.IfExp):
    """``a if c else b`` is a branch: held = a, or held = b (only the one chosen when ``c`` is known)."""
    chosen = known.decided(state, node.test)
    if chosen is not None:
        return operation(state, node.body if chosen else node.orelse)
    held = state.temp()
    test = control.condition(state, node.test)
    branches = []
    for value in (node.body, node.orelse):
        with state.buffer() as branch:
            assignments.assign_name(state, held, value)
            if state.tuples.pop(held, None) is not None:
                state.refuse(
                    value,
                    "a tuple chosen by a conditional expression is",
                    "choose each item: a = x if c else y, or use arrays",
                )
        branches.append(tuple(branch))
    state.statements.append(ir.If(state.next_id(), test, branches[0], branches[1], state.origin))
    return cst.Name(held), "s2sad.copy", {"x": cst.Name(held)}, False


def _refuse_whole_dict(state: State, node: cst.Name) -> None:
    if node.value in state.dicts:
        state.refuse(
            node,
            f"using the dict '{node.value}' other than by its items is",
            'read its items (d["w"], for k, v in d.items()), or pass it to a function of yours',
        )


def _subscript(state: State, node: cst.Subscript):
    item = dicts.item(state, node)
    if item is None:
        item = tuples.tuple_item(state, node)
    if item is not None:
        return (item, "s2sad.copy", {"x": item}, False) if isinstance(item, cst.Name) else (item, None, {}, False)
    helper = calls.index_helper(state, node.value)
    if helper in syntax.CONCATENATORS:
        return calls.concatenation(state, node, helper)
    if helper in syntax.INDEX_BUILDERS:
        # np.s_[1:n], np.mgrid[0:n, 0:m]: a new index or grid. It carries no derivative, so
        # analyse refuses it if it depends on what is differentiated (issue 13).
        value = node.with_changes(value=literal(state, node.value), slice=index_elements(state, node), lpar=[], rpar=[])
        return value, None, {}, True
    # Any other base (an array, a list, a global): the index carries no derivative, and the
    # operator.getitem rule declares it inactive, so analyse refuses a differentiated value there.
    base = atom(state, node.value)
    elements = index_elements(state, node)
    value = node.with_changes(value=base, slice=elements, lpar=[], rpar=[])
    return value, "operator.getitem", {"a": base, "index": index_value(state, elements)}, False


def index_elements(state: State, node: cst.Subscript) -> list[cst.SubscriptElement]:
    """The subscript's index, its parts made atoms."""
    elements = []
    for element in node.slice:
        index = element.slice
        if isinstance(index, cst.Index):
            index = index.with_changes(value=operand(state, index.value))
        else:
            index = index.with_changes(
                lower=_bound(state, index.lower), upper=_bound(state, index.upper), step=_bound(state, index.step)
            )
        elements.append(element.with_changes(slice=index))
    return elements


def index_value(state: State, elements: list[cst.SubscriptElement]) -> cst.Subscript:
    """The index as a value of its own (``np.s_[i, 1:n]``), the operand the getitem rule reads."""
    return cst.Subscript(
        value=cst.Attribute(value=cst.Name(state.names.module("np")), attr=cst.Name("s_")), slice=elements
    )


def _bound(state: State, bound):
    return None if bound is None else atom(state, bound)


def _attribute(state: State, node: cst.Attribute):
    text = dotted(node)
    if text is not None and state.resolution(text) == "global":
        return node, None, {}, False
    name = node.attr.value
    if name in syntax.ATTRIBUTES:  # x.T is np.transpose(x), x.mT np.matrix_transpose(x), ...
        base = atom(state, node.value)
        return calls.apply(state, syntax.ATTRIBUTES[name], node, [base], {})
    if name in syntax.PASSIVE_ATTRIBUTES:
        return node.with_changes(value=atom(state, node.value)), None, {}, False
    base = atom(state, node.value)
    parts = state.parts.get(base.value, ()) if isinstance(base, cst.Name) else ()
    if name in parts:  # res.eigenvectors of res = np.linalg.eigh(a): res[1]
        position = cst.Index(value=cst.Integer(str(parts.index(name))))
        index = index_value(state, [cst.SubscriptElement(slice=position)])
        return node.with_changes(value=base, lpar=[], rpar=[]), "operator.getitem", {"a": base, "index": index}, False
    if parts:
        state.refuse(node.attr, f"'.{name}' is not a field of this result ({', '.join(parts)}): reading it is")
    if isinstance(base, cst.Name) and name not in syntax.NDARRAY_ATTRIBUTES and name not in syntax.REFUSED_ATTRIBUTES:
        # A field of an object (a named tuple's, a dataclass's, a config's cfg.lr): the object is a
        # container, its adjoint a dict by field (the runtime's structures), as a dict's by key.
        state.lists.add(base.value)
        state.ever_lists.add(base.value)
        index = index_value(state, [cst.SubscriptElement(slice=cst.Index(value=cst.SimpleString(repr(name))))])
        return node.with_changes(value=base, lpar=[], rpar=[]), "operator.getitem", {"a": base, "index": index}, False
    supported = ", ".join("." + a for a in sorted({*syntax.ATTRIBUTES, *syntax.PASSIVE_ATTRIBUTES}))
    state.refuse(
        node.attr,
        f"the attribute '.{name}' is",
        syntax.REFUSED_ATTRIBUTES.get(name, f"supported array attributes: {supported}"),
    )


def _formatted(state: State, node: cst.FormattedString) -> cst.FormattedString:
    """An f-string whose replacement fields are atoms (computed before it, as Python computes them)."""
    parts = []
    for part in node.parts:
        if isinstance(part, cst.FormattedStringExpression):
            if part.format_spec is not None and any(
                isinstance(p, cst.FormattedStringExpression) for p in part.format_spec
            ):
                state.refuse(part, "a nested replacement field in a format spec is", "write the format out: {x:.3f}")
            part = part.with_changes(expression=atom(state, part.expression))
        parts.append(part)
    return node.with_changes(parts=parts, lpar=[], rpar=[])
