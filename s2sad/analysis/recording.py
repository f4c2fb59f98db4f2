"""To be recorded: which statements overwrite a value the reverse sweep reads later.

Requires: the normalized program and its active statements. Provides the
ids of recorded statements (the forward sweep saves the old value on the
tape before them), of those whose old value gives only a shape, and what the
reverse sweep reads of each active statement (``reverse_reads``,
``reads_output``).
"""

from __future__ import annotations

from s2sad.core import ir
from s2sad import rules
from s2sad.analysis.checkpoints import Plan, snapshot
from s2sad.analysis.dataflow import Shared, loop_body, loop_head


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


class Recorder:
    """Forward: which assignments overwrite a value that the reverse sweep reads at an earlier point.

    ``pending`` holds the names whose current value the reverse sweep reads
    somewhere before this point (so it must find that value again there), and
    ``"shape of " + name`` for those it reads only the shape of: rebinding one
    records it, updating part of it in place (same shape) does not. The
    gradients are returned in their arguments' types, so the ``wrt`` arguments
    start pending: reassigning one records it.

    A checkpointed loop (``plan``) reads, besides, the state its snapshots hold (``checkpointed``):
    after the loop, updating one of those arrays in place records it.
    """

    def __init__(self, active, same_shape, zeros_before, zeros_after, shaped_by, seen_through, shares, plan=None):
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
        self.plan = plan or Plan({}, {}, {})
        self.needed: dict[int, set[str]] = {}  # checkpointed loop id -> names whose value at its head is read
        self.checkpointed: dict = {}

    def block(self, statements, pending: set[str]) -> set[str]:
        for statement in statements:
            match statement:
                case ir.Assign():
                    self.assign(statement, pending)
                case ir.Append() | ir.SetItem():
                    self.update(statement, pending)
                case ir.If():
                    pending |= self.zeros_after[statement.id]
                    pending = self.block(statement.body, set(pending)) | self.block(statement.orelse, set(pending))
                    pending |= self.zeros_before[statement.id]
                case ir.Loop():
                    pending = self.loop(statement, pending)
                case ir.Return() | ir.Guard():
                    pass  # overwrites nothing
                case _:
                    ir.unknown(statement)
        return pending

    def assign(self, statement: ir.Assign, pending: set[str]) -> None:
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

    def update(self, statement: ir.Append | ir.SetItem, pending: set[str]) -> None:
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

    def loop(self, loop: ir.Loop, pending: set[str]) -> set[str]:
        variable = {loop.target, _SHAPE + str(loop.target)}
        if variable & pending:
            self.recorded.add(loop.id)
        state: set[str] = set()
        if loop.id in self.plan.snapshots:
            needed = self.needed.setdefault(loop.id, set(self.plan.live_at_head[loop.id]))
            needed |= {name.removeprefix(_SHAPE) for name in pending | self.zeros_after[loop.id]}
            found = snapshot(loop, self.plan.snapshots[loop.id], needed, self.shares)
            self.checkpointed[loop.id] = found
            state = {*found.kept, *found.copied, *found.in_place}
        # The reversed loop sets its variable again at each iteration.
        head = loop_head(pending | self.zeros_after[loop.id], lambda head: self.block(loop_body(loop), head) - variable)
        return (head | self.zeros_before[loop.id] | state) - variable

    def with_bases(self, names: set[str]) -> set[str]:
        """``names`` and the arrays they may be views of: reading a view reads its base, so an
        in-place update of the base before the reverse sweep reads the view must be undone."""
        return set(names).union(*(self.seen_through.get(name, ()) for name in names))


def updated_bases(shares: Shared, function: ir.Function) -> dict[str, frozenset[str]]:
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
