"""Shapes: which operands surely have the shape of an elementwise operation's output.

Requires: the normalized program (after memory). Provides, for activity:
``ShapeClasses`` (per elementwise statement, the parameters shaped like its
output, and whether the function surely returns a scalar) and ``shaped_by``
(the names an operand's shape comes from, so the reverse sweep need not keep
the operand to unbroadcast to it).
"""

from __future__ import annotations

import itertools
from collections import Counter

import libcst as cst
import libcst.matchers as m

from s2sad.core import ir
from s2sad import rules
from s2sad.rules import syntax
from s2sad.analysis.dataflow import loop_body
from s2sad.analysis.forms import Form, broadcast_form, indexed_form, literal_int, matmul_form, reduced_form, summed_axes

_SCALAR = ("", 0)


class ShapeClasses:
    """Per elementwise statement, the parameters whose operand has the output's shape for sure.

    Each assignment makes a new version of its name; versions fall into shape
    classes (union-find): an elementwise operation whose non-scalar name
    operands share one class (numbers broadcast without changing shape) gives
    an output of that class; so do equal literal slices of one class
    (``u[1:-1]``, ``u[2:]``). One class is "a scalar": numbers, results of
    math.* functions and of full reductions, elementwise results of scalars,
    and the arguments of math.* functions (they raise on arrays) together with
    what they were computed from elementwise. A name assigned inside a branch
    or loop gets a new version there and after it: a scalar one where every
    path leaves a scalar (loops: assumed at the head, then checked at the end
    of the body). Items of a list need not share a shape.
    """

    def __init__(self, lists: frozenset[str], forms: dict[str, "Form"] | None = None, arrays=frozenset()):
        self.lists = lists  # names that hold lists (or a function's parts): their items differ in shape
        self.arrays = arrays  # parameters that hold an array or a number (differentiated, not containers)
        self.versions: Counter = Counter()  # name -> its current version, numbered uniquely across the function
        self.fresh = itertools.count(1)
        self.parent: dict[tuple[str, int], tuple[str, int]] = {}
        self.depth_of: dict[tuple[str, int], int] = {}  # version -> how many branches/loops enclose its assignment
        self.operands_of: dict[tuple[str, int], list] = {}  # elementwise output version -> operand versions
        self.elementwise: dict[int, tuple] = {}  # statement id -> (output version, {parameter: operand version})
        self.indexed: dict[tuple, tuple[str, int]] = {}  # (class of x, index signature) -> a version of x[index]
        # Known from a call (Options.shapes): the form (number of axes, those of length one) of versions
        # of names; rank 0 is a scalar. Two arrays of one form broadcast together have one shape: numpy
        # makes lengths other than one agree.
        self.forms: dict[tuple[str, int], Form] = {}
        self.integers: set[tuple[str, int]] = set()  # versions that hold a Python int (loop counters, i + 1)
        self.made: dict[str, list[tuple[str, int]]] = {}  # name -> every version made of it
        self.shapes_held: set[tuple[str, int]] = set()  # versions that hold an array's ``.shape``
        # Elementwise statement id -> the output's form and each operand's, when all are known.
        self.broadcasts: dict[int, tuple[Form, dict[str, Form]]] = {}
        for name, form in (forms or {}).items():
            self.forms[self.key(name)] = form
            if form.rank == 0:
                self.parent[self.key(name)] = _SCALAR

    def key(self, name: str) -> tuple[str, int]:
        return (name, self.versions[name])

    def root(self, key):
        while self.parent.get(key, key) != key:
            key = self.parent[key]
        return key

    def scalar(self, key) -> bool:
        return self.root(key) == _SCALAR

    def new_version(self, name: str, depth: int):
        self.versions[name] = next(self.fresh)
        self.made.setdefault(name, []).append(self.key(name))
        self.depth_of[self.key(name)] = depth
        return self.key(name)

    def make_scalar(self, key, depth: int) -> None:
        """``key`` is a scalar; so are the operands it was computed from elementwise at the same depth."""
        pending, seen = [key], set()
        while pending:
            key = pending.pop()
            if key in seen:
                continue
            seen.add(key)
            if not self.scalar(key):
                self.parent[self.root(key)] = _SCALAR
            pending += [k for k in self.operands_of.get(key, ()) if self.depth_of.get(k, 0) == depth]

    def forget(self, statements, depth: int) -> None:
        for name in sorted(ir.assigned(statements)):
            self.new_version(name, depth)

    def state(self):
        return (
            Counter(self.versions),
            dict(self.parent),
            dict(self.operands_of),
            dict(self.elementwise),
            dict(self.indexed),
        )

    def restore(self, state) -> None:
        versions, self.parent, self.operands_of, self.elementwise, self.indexed = state
        self.versions = Counter(versions)

    def returns_scalar(self, returned: ir.Return) -> bool:
        value = returned.value
        return is_number(value) or (isinstance(value, cst.Name) and self.scalar(self.key(value.value)))

    def same_shape(self) -> dict[int, frozenset[str]]:
        """From the classes as finally known (later facts, like a math.* call, tell about earlier values)."""
        found = {}
        for statement_id, (output, keys) in self.elementwise.items():
            same = frozenset(p for p, k in keys.items() if self.root(k) == self.root(output))
            if same:
                found[statement_id] = same
        return found

    def block(self, statements, depth: int) -> None:
        for statement in statements:
            match statement:
                case ir.If():
                    self.branch(statement, depth)
                case ir.Loop():
                    self.loop(statement, depth)
                case ir.Assign():
                    self.assign(statement, depth)
                case ir.Append() | ir.SetItem() | ir.Return() | ir.Guard():
                    pass  # makes no new version of a name
                case _:
                    ir.unknown(statement)

    def branch(self, statement: ir.If, depth: int) -> None:
        entering = Counter(self.versions)
        ends = []
        for arm in (statement.body, statement.orelse):
            self.versions = Counter(entering)  # each arm starts from what held before the branch
            self.block(arm, depth + 1)
            ends.append(Counter(self.versions))
        self.versions = Counter(entering)
        assigned = ir.assigned(statement.body + statement.orelse)
        scalar = {n for n in assigned if all(n in end and self.scalar((n, end[n])) for end in ends)}
        self.forget(statement.body + statement.orelse, depth)
        for name in scalar:
            self.parent[self.key(name)] = _SCALAR

    def loop(self, statement: ir.Loop, depth: int) -> None:
        assigned = ir.assigned([statement])
        # Scalars before the loop stay scalars if the body keeps them so (checked, else dropped);
        # so do forms known before it (an RNN's state: the body makes it of its own form again).
        assumed = {n for n in assigned if n in self.versions and self.scalar(self.key(n))}
        forms = {n: self.forms[self.key(n)] for n in assigned if n in self.versions and self.key(n) in self.forms}
        before = self.state()
        while True:
            self.forget([statement], depth + 1)
            for name in assumed | ({statement.target} if statement.target else set()):
                self.parent[self.key(name)] = _SCALAR  # the loop variable counts iterations
            for name, form in forms.items():
                self.forms[self.key(name)] = form
            if statement.target:
                self.integers.add(self.key(statement.target))
            self.block(loop_body(statement), depth + 1)
            kept = {n for n in assumed if self.scalar(self.key(n))}
            kept_forms = {n: form for n, form in forms.items() if self.forms.get(self.key(n)) == form}
            if kept == assumed and kept_forms == forms:
                break
            self.restore(before)
            assumed, forms = kept, kept_forms
        self.forget([statement], depth)
        for name in assumed:
            self.parent[self.key(name)] = _SCALAR
        for name, form in forms.items():
            self.forms[self.key(name)] = form

    def assign(self, statement: ir.Assign, depth: int) -> None:
        rule = rules.lookup(statement.rule) if statement.rule else None
        operands = {p: statement.operands.get(p) for p in rule.differentiable} if rule else {}
        names = {p: o.value for p, o in operands.items() if isinstance(o, cst.Name)}
        others = [o for p, o in operands.items() if p not in names]
        keys = {p: self.key(n) for p, n in names.items()}
        if rule is not None and rule.scalar_arguments:
            for key in keys.values():
                if self.depth_of.get(key, 0) == depth:
                    self.make_scalar(key, depth)
        integer = self.is_integer(statement, rule, keys, others)
        output = self.new_version(statement.target, depth)
        if integer:
            self.integers.add(output)
        if rule is None:
            if is_number(statement.value):
                self.parent[output] = _SCALAR
            elif m.matches(statement.value, m.Attribute(attr=m.Name("shape"))):
                self.shapes_held.add(output)
            elif m.matches(statement.value, m.Attribute(attr=m.Name("ndim") | m.Name("size"))):
                self.make_integer(output)
            return
        if rule.elementwise and all(is_number(o) for o in others):
            self.elementwise_output(statement, output, keys)
        elif rule.name == syntax.OPERATORS["@"] and len(keys) == 2 and not others:
            product = matmul_form(self.forms.get(keys["x1"]), self.forms.get(keys["x2"]))
            if product is not None:
                self.forms[output] = product
                if product.rank == 0:
                    self.parent[output] = _SCALAR
        elif rule.name in rules.FULL_REDUCTIONS and _full_reduction(statement):
            self.parent[output] = _SCALAR
            self.forms[output] = Form(0)
        elif rule.name in rules.FULL_REDUCTIONS:
            form = reduced_form(statement, rule, {p: self.form(k) for p, k in keys.items()})
            if form is not None:
                self.forms[output] = form
        elif rule.name == "operator.getitem" and isinstance(statement.operands.get("a"), cst.Name):
            self.indexed_output(statement, output)

    def elementwise_output(self, statement: ir.Assign, output, keys: dict) -> None:
        """An elementwise operation's output: in its operands' class if they have one, of the form they
        broadcast to if all are known."""
        self.operands_of[output] = list(keys.values())
        self.elementwise[statement.id] = (output, keys)
        classes = {self.root(k) for k in keys.values()} - {_SCALAR}
        if not classes:
            self.parent[output] = _SCALAR
        elif len(classes) == 1:
            self.parent[output] = classes.pop()
        forms = {p: self.form(k) for p, k in keys.items()}
        self.broadcasts.pop(statement.id, None)  # (known in an earlier pass over a loop's body)
        if keys and None not in forms.values():
            self.forms[output] = form = broadcast_form(list(forms.values()))
            self.broadcasts[statement.id] = (form, forms)
            for parameter, operand in forms.items():
                if operand == form:
                    self.union(keys[parameter], output)

    def indexed_output(self, statement: ir.Assign, output) -> None:
        """``x[index]``: an int of a shape (``x.shape[0]``), or of a form or class the index tells."""
        base = self.key(statement.operands["a"].value)
        index = statement.operands.get("index")
        if base in self.shapes_held:
            if m.matches(index, m.Subscript(slice=[m.SubscriptElement(slice=m.Index())])) and indexed_form(
                Form(1), index, self.holds_integer
            ):
                self.make_integer(output)  # x.shape[0]
            return
        if statement.operands["a"].value in self.lists:
            return
        # u[1:-1], u[2:] and u[:-2] have one shape, whatever u's: its shape less two rows.
        form = indexed_form(self.forms.get(base), index, self.holds_integer)
        if form is not None:
            self.forms[output] = form
            if form.rank == 0:
                self.parent[output] = _SCALAR
                return
        signature = _index_signature(index)
        if signature is not None and not self.may_be_sequence(base):
            place = (self.root(base), signature)
            if place in self.indexed:
                self.parent[output] = self.root(self.indexed[place])
            else:
                self.indexed[place] = output

    def may_be_sequence(self, key) -> bool:
        """Whether ``key`` may hold a tuple or list, whose items (``p[0]``, ``p[2]``) need not share a
        shape as an array's rows do: a value from outside the function (a parameter, a global) whose
        form no call told, or a copy of one."""
        root = self.root(key)
        return root != _SCALAR and root[1] == 0 and root[0] not in self.arrays and self.form(root) is None

    def form(self, key) -> Form | None:
        """The form of a version: known from a call or an operation, or a scalar's."""
        return Form(0) if self.scalar(key) else self.forms.get(key)

    def holds_integer(self, name: cst.Name) -> bool:
        return self.key(name.value) in self.integers

    def make_integer(self, key) -> None:
        self.integers.add(key)
        self.parent[key] = _SCALAR
        self.forms[key] = Form(0)

    def sums(self) -> dict[tuple[int, str], tuple[tuple[int, ...], tuple[int, ...]]]:
        """(statement id, parameter) -> the axes summing its contribution down to the operand's form:
        leading axes dropped, then axes of length one in the operand kept (numpy broadcast them)."""
        found = {}
        for statement_id, (output, operands) in self.broadcasts.items():
            for parameter, form in operands.items():
                if form != output:
                    found[(statement_id, parameter)] = summed_axes(output, form)
        return found

    def ranks(self, parameters) -> dict[str, int]:
        """Names whose every version (a parameter's as called too) has a known number of axes, the same."""
        found = {}
        for name in sorted(set(self.made) | set(parameters)):
            versions = self.made.get(name, []) + ([(name, 0)] if name in parameters else [])
            ranks = {getattr(self.form(key), "rank", None) for key in versions}
            if len(ranks) == 1 and None not in ranks:
                found[name] = ranks.pop()
        return found

    def is_integer(self, statement: ir.Assign, rule, keys: dict, others: list) -> bool:
        """Whether ``statement`` makes a Python int: integer arithmetic on ints and integer literals."""
        if rule is None or rule.name not in _INTEGER_ARITHMETIC:
            return False
        return all(k in self.integers for k in keys.values()) and all(literal_int(o) is not None for o in others)

    def union(self, one, other) -> None:
        """``one`` and ``other`` have one shape (a scalar's class stays the root)."""
        first, second = self.root(one), self.root(other)
        if first != second:
            if first == _SCALAR:
                first, second = second, first
            self.parent[first] = second


# `i + 1` of ints is an int (Python's operators, as generated code writes them).
_INTEGER_ARITHMETIC = {syntax.OPERATORS[operator] for operator in ("+", "-", "*", "unary -", "unary +")}


def _index_signature(index) -> tuple | None:
    """What the shape of ``x[index]`` depends on besides x's shape, for literal basic indices.

    Per axis: ("trim", k) for a slice leaving out k items in all (``1:-1``, ``2:``,
    ``:-2``; ``:`` is trim 0), ("first", k) for ``:k``, ("drop",) for an integer.
    None for anything else (names, steps, arrays, None, ...).
    """
    if not m.matches(index, m.Subscript(value=m.Attribute(attr=m.Name("s_")))):
        return None
    signature = []
    for element in index.slice:
        item = element.slice
        if isinstance(item, cst.Index):
            if literal_int(item.value) is None:
                return None
            signature.append(("drop",))
            continue
        if not isinstance(item, cst.Slice) or item.step is not None:
            return None
        lower = 0 if item.lower is None else literal_int(item.lower)
        upper = None if item.upper is None else literal_int(item.upper)
        if lower is None or lower < 0 or (item.upper is not None and upper is None):
            return None
        if upper is None or upper < 0:
            signature.append(("trim", lower - (upper or 0)))
        elif lower == 0:
            signature.append(("first", upper))
        else:
            return None
    return tuple(signature)


def _full_reduction(statement: ir.Assign) -> bool:
    """``np.sum(x)``: no axis and no keepdims given (or given as None / False)."""
    axis, keepdims = statement.operands.get("axis"), statement.operands.get("keepdims")
    return (axis is None or m.matches(axis, m.Name("None"))) and (
        keepdims is None or m.matches(keepdims, m.Name("False"))
    )


def is_number(node) -> bool:
    if isinstance(node, cst.UnaryOperation):
        node = node.expression
    return isinstance(node, (cst.Integer, cst.Float))


def shaped_by_sources(function: ir.Function, temporary_prefix: str) -> dict[tuple[int, str], tuple[str, ...]]:
    """(statement id, operand) -> names whose shapes broadcast to that operand's shape.

    For an operand that is a temporary made, earlier in the same block, by an
    elementwise operation on names none of which changed since: the reverse
    sweep can unbroadcast to their shapes and need not keep the temporary.
    """
    definitions = Counter(s.target for s in ir.walk(function.body) if isinstance(s, ir.Assign))
    found: dict[tuple[int, str], tuple[str, ...]] = {}

    def block(statements) -> None:
        made: dict[str, tuple[str, ...]] = {}  # temporary -> its shape's sources, still unchanged
        made_from: dict[str, set[str]] = {}  # source -> the temporaries in made it is a source of

        def forget(changed) -> None:
            """Drop what was made from the names ``changed``."""
            for name in changed:
                for temporary in made_from.pop(name, ()):
                    if name in made.get(temporary, ()):
                        del made[temporary]

        for statement in statements:
            match statement:
                case ir.Assign():
                    rule = rules.lookup(statement.rule) if statement.rule else None
                    if rule is not None and rule.elementwise:
                        for parameter in rule.differentiable:
                            operand = statement.operands.get(parameter)
                            if isinstance(operand, cst.Name) and operand.value in made:
                                found[(statement.id, operand.value)] = made[operand.value]
                    target = statement.target
                    forget((target,))
                    if definitions[target] == 1 and target.startswith(temporary_prefix):
                        sources = _elementwise_sources(statement, rule, made)
                        if sources:
                            made[target] = sources
                            for name in sources:
                                made_from.setdefault(name, set()).add(target)
                    continue
                case ir.If():
                    block(statement.body)
                    block(statement.orelse)
                case ir.Loop():
                    block(loop_body(statement))
                case ir.Append() | ir.SetItem() | ir.Return() | ir.Guard():
                    pass
                case _:
                    ir.unknown(statement)
            forget(ir.assigned([statement]))

    block(function.body)
    return found


def _elementwise_sources(statement: ir.Assign, rule, made: dict[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    """The names whose shapes broadcast to the shape of ``statement``'s value, if it is elementwise
    on names (their own sources when ``made`` knows them) and numbers; else None."""
    if rule is None or not rule.elementwise:
        return None
    sources: list[str] = []
    for parameter in rule.differentiable:
        operand = statement.operands.get(parameter)
        if isinstance(operand, cst.Name):
            for name in made.get(operand.value, (operand.value,)):
                if name not in sources:
                    sources.append(name)
        elif not is_number(operand):
            return None  # a tuple or an expression: shape unknown
    return tuple(sources) if sources and statement.target not in sources else None


def integer_names(function: ir.Function) -> frozenset[str]:
    """Names that hold a Python int wherever they are assigned: loop counters (every loop's target
    counts a range) and integer arithmetic on them and whole numbers written out (``i + 1``)."""
    assignments: dict[str, list[ir.Assign]] = {}
    counters = set()
    for statement in ir.walk(function.body):
        if isinstance(statement, ir.Assign):
            assignments.setdefault(statement.target, []).append(statement)
        elif isinstance(statement, ir.Loop) and statement.target:
            counters.add(statement.target)
    found = {name for name in counters if name not in assignments and name not in function.parameters}

    def integer(statement: ir.Assign) -> bool:
        if statement.rule not in _INTEGER_ARITHMETIC:
            return False
        operands = [statement.operands.get(p) for p in rules.lookup(statement.rule).differentiable]
        return all(
            (isinstance(o, cst.Name) and o.value in found) or (o is not None and literal_int(o) is not None)
            for o in operands
        )

    changed = True
    while changed:
        new = {
            name
            for name, made in assignments.items()
            if name not in found and name not in function.parameters and all(map(integer, made))
        }
        found |= new
        changed = bool(new)
    return frozenset(found)
