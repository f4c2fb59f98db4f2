"""Analyse: which statements get adjoints, which overwritten values the reverse sweep needs, shapes.

Requires: the normalized program. Dataflow over its structure (branches
join, loops iterate to a fixed point), keyed by statement id:

- active statements: the target depends on a ``wrt`` parameter (varied) and
  reaches the returned value (useful). Only these get adjoint code, and only
  for their active operands.
- live names at each branch and loop boundary (varied and useful there): the
  adjoints the reverse sweep keeps in variables across it; ``zeros`` says
  which of them it may have to start at zero there.
- recorded statements: those that overwrite a value the reverse sweep reads
  later (an operand of an adjoint, or the shape of a zero adjoint); the forward
  sweep saves the old value on the tape before them. A loop is recorded when
  its loop variable overwrites such a value.
- operands known to have the output's shape, so their adjoint needs no
  ``unbroadcast`` (elementwise operations on names of one shape class).

Refuses, at the statement, a value that depends on ``wrt`` flowing somewhere
that carries no derivative (``np.arange(x)``, a tuple of active values, an
index, a shape, an option such as ``axis``, the items of ``np.s_[...]``):
nothing differentiated is ever taken for a constant.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from collections.abc import Mapping

import libcst as cst
import libcst.matchers as m

from s2sad import ir, rules
from s2sad.errors import UnsupportedSyntax
from s2sad.options import Options
from s2sad.unit import Unit


@dataclasses.dataclass(frozen=True)
class Activity:
    active_operands: Mapping[int, tuple[str, ...]]  # active statement id -> its active parameters
    active_names: Mapping[int, frozenset[str]]  # active statement id -> its operand names that are varied
    recorded: frozenset[int]  # ids of statements (and loops) whose overwritten value must be saved
    same_shape: Mapping[int, frozenset[str]]  # statement id -> parameters shaped like the output
    # Branch or loop id -> names whose adjoint it reads or writes and that are live at its exit
    # (zeros_before: the reverse sweep starts them at zero there if it has none) and at its
    # entry or loop head (zeros_after: likewise at the end of each branch or reversed iteration).
    zeros_before: Mapping[int, frozenset[str]]
    zeros_after: Mapping[int, frozenset[str]]
    reversed: frozenset[int]  # branch and loop ids with reverse code (they push their direction or count)
    # (statement id, operand) -> the names whose shapes broadcast to the operand's shape (it came
    # from an elementwise operation on them), so unbroadcasting to it reads them, not it.
    shaped_by: Mapping[tuple[int, str], tuple[str, ...]] = dataclasses.field(default_factory=dict)
    scalar_result: bool = False  # the function certainly returns a scalar (np.sum(...), math.*, a number)
    shape_only: frozenset[int] = frozenset()  # recorded assignments whose old value is read for its shape alone

    def is_active(self, statement: ir.Statement) -> bool:
        return statement.id in self.active_operands


def run(unit: Unit, options: Options) -> Unit:
    function = unit.ir
    varied = _Varied(_mentioned(function.body))
    varied.block(function.body, set(options.wrt))
    useful = _Useful(varied)
    useful.block(function.body, set())
    active = dict(sorted(useful.active.items()))
    names = {id_: frozenset(varied.names.get(id_, ())) for id_ in active}
    zeros_before, zeros_after = _zeros(function.body, active, names, varied.at, useful.at)
    shapes = _ShapeClasses()
    shapes.block(function.body, depth=0)
    same_shape = shapes.same_shape()
    shaped_by = _shaped_by(function, unit.names.temp("n", 0)[:-1])
    shares = ir.views(function.body, rules.VIEWS | set(rules.CUSTOM))  # a user's rule may return a view
    recorder = _Recorder(
        active, same_shape, zeros_before, zeros_after, shaped_by, _updated_bases(shares, function), shares
    )
    recorder.block(function.body, set(options.wrt))
    reverse = _with_reverse(function.body, active, recorder.recorded, zeros_before, zeros_after)
    return dataclasses.replace(
        unit,
        activity=Activity(
            active,
            names,
            frozenset(recorder.recorded),
            same_shape,
            zeros_before,
            zeros_after,
            reverse,
            shaped_by,
            shapes.returns_scalar(function.body[-1]),
            frozenset(recorder.shape_only),
        ),
    )


def _body(statement) -> tuple[ir.Statement, ...]:
    """What a loop runs each iteration, test included."""
    return statement.test_block + statement.body


class _Varied:
    """Forward: the names that depend on ``wrt`` after each statement."""

    def __init__(self, mentioned: Mapping[int, frozenset[str]]):
        self.operands: dict[int, set[str]] = {}  # statement id -> varied differentiable parameters
        self.names: dict[int, set[str]] = {}  # statement id -> varied operand names
        # (branch or loop id, "entry" or "exit") -> the names varied there, of those it mentions (_zeros
        # asks for no others; all of them, at every branch of a long function, take memory as the square).
        self.at: dict[tuple[int, str], set[str]] = {}
        self.mentioned = mentioned

    def block(self, statements, varied: set[str]) -> set[str]:
        for statement in statements:
            if isinstance(statement, ir.Assign):
                self.assign(statement, varied)
            elif isinstance(statement, (ir.Append, ir.SetItem)):
                if isinstance(statement, ir.SetItem):
                    self.refuse_inactive(
                        ir.names_read(statement.index_value) & varied, "the index", self.INDEX_HINT, statement
                    )
                # The updated object keeps its other items: it stays varied if it was.
                depends = ir.names_read(statement.value) & varied
                if depends or statement.target in varied:
                    self.operands.setdefault(statement.id, set()).update({"value"} if depends else set())
                    self.names.setdefault(statement.id, set()).update(depends)
                    varied.add(statement.target)
            elif isinstance(statement, ir.If):
                self.at[(statement.id, "entry")] = varied & self.mentioned[statement.id]
                varied = self.block(statement.body, set(varied)) | self.block(statement.orelse, set(varied))
                self.at[(statement.id, "exit")] = varied & self.mentioned[statement.id]
            elif isinstance(statement, ir.Loop):
                if statement.target:
                    varied.discard(statement.target)
                head = set(varied)
                while True:
                    after = head | self.block(_body(statement), set(head))
                    if after == head:
                        break
                    head = after
                self.at[(statement.id, "entry")] = self.at[(statement.id, "exit")] = head & self.mentioned[statement.id]
                varied = head
        return varied

    def assign(self, statement: ir.Assign, varied: set[str]) -> None:
        if statement.rule is None:
            depends = statement.reads() & varied
            if statement.inactive_only and depends:
                if isinstance(statement.value, cst.Subscript):  # np.s_[...], np.mgrid[...] (issue 13)
                    raise UnsupportedSyntax(
                        f"this index or grid depends on {_names(depends)}, which is differentiated, "
                        "but s2sad carries no derivative through it",
                        statement.origin,
                        hint="keep the items of np.s_[...], np.index_exp[...], np.ogrid[...] and np.mgrid[...] "
                        "independent of the differentiated arguments (index the array directly: x[i:j])",
                    )
                raise UnsupportedSyntax(
                    f"this value depends on {_names(depends)}, which is differentiated, "
                    "but goes where s2sad carries no derivative",
                    statement.origin,
                    hint="build arrays with np.array([...]) or np.stack, and keep sizes and ranges "
                    "independent of the differentiated arguments",
                )
            varied.discard(statement.target)
            return
        rule = rules.lookup(statement.rule)
        # An index, a shape or an option (axis, ord, a custom rule's parameter with a default) gets no
        # derivative: a differentiated value there would be taken for a constant (issue 13).
        for parameter in statement.operands:
            if parameter in rule.inactive or parameter not in rule.differentiable:
                depends = statement.operand_names(parameter) & varied
                if rule.name == "operator.getitem":
                    self.refuse_inactive(depends, "the index", self.INDEX_HINT, statement)
                elif rule.custom:
                    self.refuse_inactive(
                        depends,
                        f"'{parameter}' of {rules.spelling(rule.name)}",
                        f"in the rule of {rules.spelling(rule.name)}, a parameter without a "
                        "default gets a derivative; or keep this one independent of the "
                        "differentiated arguments",
                        statement,
                    )
                else:
                    self.refuse_inactive(
                        depends,
                        f"'{parameter}' of {rules.spelling(rule.name)}",
                        "keep indices, shapes and options independent of the differentiated " "arguments",
                        statement,
                    )
        parameters = set()
        names: set[str] = set()
        for index, parameter in enumerate(rule.differentiable):
            depends = statement.operand_names(parameter) & varied
            if not depends:
                continue
            operand = statement.operands.get(parameter)
            if isinstance(operand, (cst.Tuple, cst.List)) and parameter not in rule.sequences:
                raise UnsupportedSyntax(
                    f"a tuple or list holding {_names(depends)} (differentiated) is passed as "
                    f"'{parameter}' of {rules.spelling(rule.name)}",
                    statement.origin,
                    hint="pass an array: np.array([...]) or np.stack([...])",
                )
            if rule.adjoint.results[index] is not None:
                parameters.add(parameter)
                names |= depends
        if parameters:
            self.operands.setdefault(statement.id, set()).update(parameters)
            self.names.setdefault(statement.id, set()).update(names)
            varied.add(statement.target)
        else:
            varied.discard(statement.target)

    INDEX_HINT = (
        "index with integers, slices or masks that do not depend on the differentiated arguments "
        "(to join arrays, use np.concatenate([a, b]))"
    )

    @staticmethod
    def refuse_inactive(depends: set[str], what: str, hint: str, statement) -> None:
        """Refuse a differentiated value (``depends``) reaching ``what``, an operand that carries no derivative."""
        if depends:
            raise UnsupportedSyntax(
                f"{what} depends on {_names(depends)}, which is differentiated, but s2sad carries no derivative "
                "through it",
                statement.origin,
                hint=hint,
            )


class _Useful:
    """Backward: the names that reach the result before each statement; marks active statements."""

    def __init__(self, varied: _Varied):
        self.varied = varied
        self.active: dict[int, tuple[str, ...]] = {}
        self.at: dict[tuple[int, str], set[str]] = {}  # like _Varied.at: the names it mentions only

    def block(self, statements, useful: set[str]) -> set[str]:
        for statement in reversed(statements):
            if isinstance(statement, ir.Return):
                useful = ir.names_read(statement.value)
            elif isinstance(statement, ir.Assign):
                self.assign(statement, useful)
            elif isinstance(statement, (ir.Append, ir.SetItem)):
                if statement.target in useful and statement.id in self.varied.operands:
                    parameters = self.varied.operands[statement.id]
                    self.active[statement.id] = tuple(sorted(parameters))
                    if parameters:
                        useful |= ir.names_read(statement.value)
            elif isinstance(statement, ir.If):
                self.at[(statement.id, "exit")] = useful & self.varied.mentioned[statement.id]
                useful = self.block(statement.body, set(useful)) | self.block(statement.orelse, set(useful))
                self.at[(statement.id, "entry")] = useful & self.varied.mentioned[statement.id]
            elif isinstance(statement, ir.Loop):
                self.at[(statement.id, "exit")] = useful & self.varied.mentioned[statement.id]
                head = set(useful)
                while True:
                    before = head | self.block(_body(statement), set(head))
                    if before == head:
                        break
                    head = before
                self.at[(statement.id, "entry")] = head & self.varied.mentioned[statement.id]
                useful = head
        return useful

    def assign(self, statement: ir.Assign, useful: set[str]) -> None:
        if statement.target not in useful:
            return
        useful.discard(statement.target)
        parameters = self.varied.operands.get(statement.id)
        if not parameters:
            return
        rule = rules.lookup(statement.rule)
        self.active[statement.id] = tuple(p for p in rule.differentiable if p in parameters)
        for parameter in parameters:
            useful |= statement.operand_names(parameter)


def _mentioned(body) -> dict[int, frozenset[str]]:
    """Per branch or loop id, the names it assigns or updates and the operands of its statements:
    all those whose adjoint its reverse may write (``_touched``), whatever turns out active."""
    found: dict[int, frozenset[str]] = {}

    def block(statements) -> set[str]:
        names: set[str] = set()
        for statement in statements:
            if isinstance(statement, ir.Assign):
                names.add(statement.target)
                names.update(*map(statement.operand_names, statement.operands))
            elif isinstance(statement, (ir.Append, ir.SetItem)):
                names.add(statement.target)
                names |= ir.names_read(statement.value)
            elif isinstance(statement, (ir.If, ir.Loop)):
                inner = block(statement.body + statement.orelse if isinstance(statement, ir.If) else _body(statement))
                if isinstance(statement, ir.Loop) and statement.target:
                    inner.add(statement.target)
                found[statement.id] = frozenset(inner)
                names |= inner
        return names

    block(body)
    return found


def _touched(statements, active, names) -> set[str]:
    """Names whose adjoint the reverse of ``statements`` writes: active targets and operands,
    and every name they rebind (the reverse sweep drops the adjoint of an overwritten value)."""
    found: set[str] = ir.rebound(statements)
    for statement in ir.walk(statements):
        if statement.id in active:
            found.add(statement.target)
            found |= names[statement.id]
    return found


def _zeros(body, active, names, varied_at, useful_at):
    before: dict[int, frozenset[str]] = {}
    after: dict[int, frozenset[str]] = {}
    for statement in ir.walk(body):
        if isinstance(statement, (ir.If, ir.Loop)):
            touched = _touched([statement], active, names)
            key = statement.id
            exit_live = varied_at[(key, "exit")] & useful_at[(key, "exit")]
            entry_live = varied_at[(key, "entry")] & useful_at[(key, "entry")]
            if isinstance(statement, ir.Loop):
                # The adjoints carried around a reversed loop: the same set at every iteration,
                # at zero again at its end only where the iteration consumed one and gave none back.
                carried = frozenset(touched & (entry_live | exit_live))
                before[key] = carried
                after[key] = frozenset(
                    n for n in carried & ir.rebound(statement.body) if not _reproduced(n, statement.body, active, names)
                )
            else:
                before[key] = frozenset(touched & exit_live)
                branches_assign = ir.rebound(statement.body + statement.orelse)
                after[key] = frozenset(n for n in touched & entry_live if n not in before[key] or n in branches_assign)
    return before, after


def _reproduced(name: str, body, active, names) -> bool:
    """Whether reversing ``body`` always gives ``name`` an adjoint again after consuming it.

    True when an unconditional active statement reads ``name`` before the body
    first assigns it (the reverse sweep meets that read after the assignment).
    """
    for statement in body:
        if isinstance(statement, ir.Assign) and statement.target == name:
            return False
        if isinstance(statement, (ir.If, ir.Loop)) and name in ir.assigned([statement]):
            return False
        if isinstance(statement, ir.Assign) and statement.id in active and name in names[statement.id]:
            return True
    return False


def _shaped_by(function: ir.Function, temporary_prefix: str) -> dict[tuple[int, str], tuple[str, ...]]:
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
            if isinstance(statement, ir.If):
                block(statement.body)
                block(statement.orelse)
            elif isinstance(statement, ir.Loop):
                block(_body(statement))
            if not isinstance(statement, ir.Assign):
                forget(ir.assigned([statement]))
                continue
            rule = rules.lookup(statement.rule) if statement.rule else None
            if rule is not None and rule.elementwise:
                for parameter in rule.differentiable:
                    operand = statement.operands.get(parameter)
                    if isinstance(operand, cst.Name) and operand.value in made:
                        found[(statement.id, operand.value)] = made[operand.value]
            target = statement.target
            forget((target,))
            if rule is None or not rule.elementwise or definitions[target] != 1:
                continue
            if not target.startswith(temporary_prefix):
                continue
            sources: list[str] = []
            for parameter in rule.differentiable:
                operand = statement.operands.get(parameter)
                if isinstance(operand, cst.Name):
                    for name in made.get(operand.value, (operand.value,)):
                        if name not in sources:
                            sources.append(name)
                elif not _is_number(operand):
                    break  # a tuple or an expression: shape unknown
            else:
                if sources and target not in sources:
                    made[target] = tuple(sources)
                    for name in sources:
                        made_from.setdefault(name, set()).add(target)

    block(function.body)
    return found


def reads_output(statement: ir.Assign, parameters) -> bool:
    """Whether the adjoint of ``statement`` reads the value it assigned (then it runs before the restore)."""
    rule = rules.lookup(statement.rule)
    return any("out" in rule.adjoint.reads(rule.differentiable.index(p)) for p in parameters)


def reverse_reads(statement: ir.Assign, parameters, same_shape, shaped_by) -> tuple[set[str], set[str]]:
    """Names the adjoint of ``statement`` reads (besides its own target), for contributions to
    ``parameters``: those whose values it reads, and those it reads only the shape of."""
    rule = rules.lookup(statement.rule)
    values: set[str] = set()
    shapes: set[str] = set()
    for parameter in parameters:
        index = rule.differentiable.index(parameter)
        value_parameters = rule.adjoint.reads(index, values_only=True)
        for used in rule.adjoint.reads(index):
            if used != "out":
                (values if used in value_parameters else shapes).update(statement.operand_names(used))
        if rule.elementwise and len(rule.differentiable) > 1 and parameter not in same_shape:
            for name in statement.operand_names(parameter):  # unbroadcast reads its shape
                shapes.update(shaped_by.get((statement.id, name), (name,)))
    return values, shapes - values


_SHAPE = "shape of "  # pending entry for a name whose shape alone the reverse sweep reads


class _Recorder:
    """Forward: which assignments overwrite a value that the reverse sweep reads at an earlier point.

    ``pending`` holds the names whose current value the reverse sweep reads
    somewhere before this point (so it must find that value again there), and
    ``"shape of " + name`` for those it reads only the shape of: rebinding one
    records it, updating part of it in place (same shape) does not. The
    gradients are returned in their arguments' types, so the ``wrt`` arguments
    start pending: reassigning one records it.
    """

    def __init__(self, active, same_shape, zeros_before, zeros_after, shaped_by, seen_through, shares):
        self.active = active
        self.seen_through = seen_through
        self.shares = shares  # per name, the arrays it may be a view or a copy of
        self.shaped_by = shaped_by
        self.same_shape = same_shape
        self.zeros_before = zeros_before
        self.zeros_after = zeros_after
        self.recorded: set[int] = set()
        self.shape_only: set[int] = set()  # of those, the ones whose old value only gives a shape
        self.value_saved: set[int] = set()

    def block(self, statements, pending: set[str]) -> set[str]:
        for statement in statements:
            if isinstance(statement, ir.Assign):
                active = self.active.get(statement.id)
                if active is not None:
                    # Read where the old values are back: the target is restored first
                    # unless the adjoint reads the value the statement assigned.
                    shaped = self.same_shape.get(statement.id, frozenset())
                    values, shapes = reverse_reads(statement, active, shaped, self.shaped_by)
                    pending |= self.with_bases(values) | {_SHAPE + name for name in shapes}
                if statement.target in pending or _SHAPE + statement.target in pending:
                    self.recorded.add(statement.id)
                    if statement.target in pending:
                        self.value_saved.add(statement.id)
                    # Those whose old shape alone is read: recorded, never with their value saved.
                    if statement.id in self.value_saved:
                        self.shape_only.discard(statement.id)
                    else:
                        self.shape_only.add(statement.id)
                    pending -= {statement.target, _SHAPE + statement.target}
                if active is not None and reads_output(statement, active):
                    pending.add(statement.target)
            elif isinstance(statement, (ir.Append, ir.SetItem)):
                # The update changes the target's own memory, and so the arrays it is a view or a copy of.
                changed = self.shares.group(statement.target)
                if changed & pending or (isinstance(statement, ir.Append) and _SHAPE + statement.target in pending):
                    # Saved and undone in reverse; later updates of the same object must be too, and
                    # the target must still name that object when the reverse sweep undoes this one.
                    self.recorded.add(statement.id)
                    pending.add(statement.target)
                if statement.id in self.active and isinstance(statement, ir.SetItem):
                    # Its adjoint takes d_target[index] and sums it to the value's shape.
                    pending |= self.with_bases(ir.names_read(statement.index_value))
                    pending |= {_SHAPE + name for name in ir.names_read(statement.value)}
            elif isinstance(statement, ir.If):
                pending |= self.zeros_after[statement.id]
                pending = self.block(statement.body, set(pending)) | self.block(statement.orelse, set(pending))
                pending |= self.zeros_before[statement.id]
            elif isinstance(statement, ir.Loop):
                if statement.target in pending or _SHAPE + str(statement.target) in pending:
                    self.recorded.add(statement.id)
                head = pending | self.zeros_after[statement.id]
                while True:
                    end = self.block(_body(statement), set(head))
                    end -= {statement.target, _SHAPE + str(statement.target)}  # the reversed loop sets it again
                    if end <= head:
                        break
                    head |= end
                pending = head | self.zeros_before[statement.id]
                pending -= {statement.target, _SHAPE + str(statement.target)}
        return pending

    def with_bases(self, names: set[str]) -> set[str]:
        """``names`` and the arrays they may be views of: reading a view reads its base, so an
        in-place update of the base before the reverse sweep reads the view must be undone."""
        return set(names).union(*(self.seen_through.get(name, ()) for name in names))


def _updated_bases(shares: ir.Shared, function: ir.Function) -> dict[str, frozenset[str]]:
    """Per name, the arrays it may be a view of (``shares``) that are updated in place somewhere."""
    updated = {s.target for s in ir.walk(function.body) if isinstance(s, (ir.Append, ir.SetItem))}
    found: dict[str, frozenset[str]] = {}
    for group in shares.groups():
        hit = group & updated
        if hit:
            for name in group:
                bases = hit - {name} if name in hit else hit  # (one set for all the others)
                if bases:
                    found[name] = bases
    return found


def _with_reverse(body, active, recorded, zeros_before, zeros_after) -> frozenset[int]:
    """Branches and loops that contain something the reverse sweep must do (an adjoint, a
    restore, or an overwrite that drops an adjoint)."""
    found = set()
    for statement in ir.walk(body):
        if isinstance(statement, (ir.If, ir.Loop)):
            inner = list(ir.walk(statement.body + getattr(statement, "orelse", ())))
            if any(s.id in active or s.id in recorded for s in inner):
                found.add(statement.id)
            elif (zeros_before[statement.id] | zeros_after[statement.id]) & ir.rebound([statement]):
                found.add(statement.id)
    return frozenset(found)


_SCALAR = ("", 0)


class _ShapeClasses:
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
    of the body).
    """

    def __init__(self):
        self.versions: Counter = Counter()  # name -> its current version, numbered uniquely across the function
        self.fresh = itertools.count(1)
        self.parent: dict[tuple[str, int], tuple[str, int]] = {}
        self.depth_of: dict[tuple[str, int], int] = {}  # version -> how many branches/loops enclose its assignment
        self.operands_of: dict[tuple[str, int], list] = {}  # elementwise output version -> operand versions
        self.elementwise: dict[int, tuple] = {}  # statement id -> (output version, {parameter: operand version})
        self.indexed: dict[tuple, tuple[str, int]] = {}  # (class of x, index signature) -> a version of x[index]

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
        return _is_number(value) or (isinstance(value, cst.Name) and self.scalar(self.key(value.value)))

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
            if isinstance(statement, ir.If):
                self.branch(statement, depth)
            elif isinstance(statement, ir.Loop):
                self.loop(statement, depth)
            elif isinstance(statement, ir.Assign):
                self.assign(statement, depth)

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
        # Scalars before the loop stay scalars if the body keeps them so (checked, else dropped).
        assumed = {n for n in assigned if n in self.versions and self.scalar(self.key(n))}
        before = self.state()
        while True:
            self.forget([statement], depth + 1)
            for name in assumed | ({statement.target} if statement.target else set()):
                self.parent[self.key(name)] = _SCALAR  # the loop variable counts iterations
            self.block(_body(statement), depth + 1)
            kept = {n for n in assumed if self.scalar(self.key(n))}
            if kept == assumed:
                break
            self.restore(before)
            assumed = kept
        self.forget([statement], depth)
        for name in assumed:
            self.parent[self.key(name)] = _SCALAR

    def assign(self, statement: ir.Assign, depth: int) -> None:
        rule = rules.lookup(statement.rule) if statement.rule else None
        operands = {p: statement.operands.get(p) for p in rule.differentiable} if rule else {}
        names = {p: o.value for p, o in operands.items() if isinstance(o, cst.Name)}
        others = [o for p, o in operands.items() if p not in names]
        keys = {p: self.key(n) for p, n in names.items()}
        if rule is not None and rule.name.startswith("math."):
            for key in keys.values():  # math.* raises on an array: its arguments are scalars
                if self.depth_of.get(key, 0) == depth:
                    self.make_scalar(key, depth)
        output = self.new_version(statement.target, depth)
        if rule is None:
            if _is_number(statement.value):
                self.parent[output] = _SCALAR
            return
        if rule.elementwise and all(_is_number(o) for o in others):
            self.operands_of[output] = list(keys.values())
            self.elementwise[statement.id] = (output, keys)
            classes = {self.root(k) for k in keys.values()} - {_SCALAR}
            if not classes:
                self.parent[output] = _SCALAR
            elif len(classes) == 1:
                self.parent[output] = classes.pop()
        elif rule.name in rules.FULL_REDUCTIONS and _full_reduction(statement):
            self.parent[output] = _SCALAR
        elif rule.name == "operator.getitem" and isinstance(statement.operands.get("a"), cst.Name):
            # u[1:-1], u[2:] and u[:-2] have one shape, whatever u's: its shape less two rows.
            signature = _index_signature(statement.operands.get("index"))
            if signature is not None:
                place = (self.root(self.key(statement.operands["a"].value)), signature)
                if place in self.indexed:
                    self.parent[output] = self.root(self.indexed[place])
                else:
                    self.indexed[place] = output


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
            if _literal_int(item.value) is None:
                return None
            signature.append(("drop",))
            continue
        if not isinstance(item, cst.Slice) or item.step is not None:
            return None
        lower = 0 if item.lower is None else _literal_int(item.lower)
        upper = None if item.upper is None else _literal_int(item.upper)
        if lower is None or lower < 0 or (item.upper is not None and upper is None):
            return None
        if upper is None or upper < 0:
            signature.append(("trim", lower - (upper or 0)))
        elif lower == 0:
            signature.append(("first", upper))
        else:
            return None
    return tuple(signature)


def _literal_int(node) -> int | None:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        value = _literal_int(node.expression)
        return None if value is None else -value
    return int(node.value) if isinstance(node, cst.Integer) else None


def _full_reduction(statement: ir.Assign) -> bool:
    """``np.sum(x)``: no axis and no keepdims given (or given as None / False)."""
    axis, keepdims = statement.operands.get("axis"), statement.operands.get("keepdims")
    return (axis is None or m.matches(axis, m.Name("None"))) and (
        keepdims is None or m.matches(keepdims, m.Name("False"))
    )


def _is_number(node) -> bool:
    if isinstance(node, cst.UnaryOperation):
        node = node.expression
    return isinstance(node, (cst.Integer, cst.Float))


def _names(names: set[str]) -> str:
    """The user's names among ``names``, for a message (s2sad's own temporaries mean nothing to a user)."""
    shown = sorted(n for n in names if not n.startswith("_s2sad_"))
    return ", ".join(f"'{n}'" for n in shown) if shown else "an intermediate value"
