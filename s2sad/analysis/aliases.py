"""Aliases: at every program point, which arrays (and lists) each name's value may lie in.

Requires: the normalized program and the names live after each update.
Provides, for memory's rewrite: ``Aliases.before``, per update (``SetItem``,
``Append``), the part of the state it runs in that the rewrite reads (a
may-alias analysis over the statements that make arrays: branches join, loops
go round to a fixed point), and the items of each list or tuple.
A value lies in an allocation (``Place``): the statement that made it, the
arrays a loop made in earlier trips, an argument or an outside array.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import libcst as cst

from s2sad.core import ir
from s2sad import rules
from s2sad.analysis.dataflow import may_be_view

UNBOUND = "unbound"  # the allocation of a name not bound on some path
_CONSTANT_NAMES = {"True", "False", "None"}


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a name's value may lie: in the array (or list) made by ``allocation``, whole or in part.

    An allocation is the id of the statement that made the value (its latest array), ``("older", id)``
    (the arrays it made before, in earlier trips of a loop), ``("parts", id)`` (the arrays of the tuple
    a function returns, in every trip), ``("argument", name)`` or ``("outside", name)`` (a module's
    or an enclosing function's array).
    """

    allocation: int | tuple[str, str] | str
    whole: bool
    maybe_copy: bool = False  # made by an operation numpy may do as a copy (y[i] with an array i, a reshape)
    # An update through another name changed the array since, and this name, read no more, was not
    # taken again: its value in the program is out of date, so no update may be made through it.
    stale: bool = False


State = dict[str, frozenset[Place]]


class Aliases:
    """Forward, may: the places each name's value lies in; the items of each list or tuple."""

    def __init__(self, function: ir.Function, live: dict[int, frozenset[str]]):
        self.live = live
        self.integers = {s.target for s in ir.walk(function.body) if isinstance(s, ir.Loop) and s.target}
        self.containers: set = set()  # allocations that are lists or tuples
        self.items: dict = defaultdict(set)  # container allocation -> places of its items
        # Update id -> the part of the state it runs in (at the fixed point) that the rewrite reads:
        # its target, the names live after it, and the names that may hold its target's arrays.
        self.before: dict[int, State] = {}
        # Update id -> the items of each list or tuple where it runs: an item made in an earlier loop
        # trip is an older array of its site, which the list made in this trip never is.
        self.items_before: dict[int, dict] = {}
        # Allocation -> every name some state has bound to a value lying in it (a superset: checked
        # against the state), so that an update or a new array looks at those names, not at all.
        self.holders: dict = defaultdict(set)
        self.made: set = set()  # the sites (assignment ids) analysed at least once: their arrays exist
        # The names bound in each branch or loop body being analysed, innermost last: the states at
        # its ends differ in those alone (joining them looks at those, not at every name).
        self.bound: list[set[str]] = []

    def index(self, name: str, places: frozenset[Place]) -> None:
        for place in places:
            self.holders[place.allocation].add(name)

    def bind(self, state: State, name: str, places: frozenset[Place]) -> None:
        state[name] = places
        self.index(name, places)
        if self.bound:
            self.bound[-1].add(name)

    def current_items(self) -> dict:
        return {container: frozenset(items) for container, items in self.items.items() if items}

    def snapshot(self, statement, state: State) -> State:
        """What the rewrite of the update ``statement`` reads of the state it runs in."""
        names = {statement.target, *self.live.get(statement.id, ())}
        for place in state.get(statement.target, ()):
            names |= self.holders.get(place.allocation, set())
        return {name: state[name] for name in names if name in state}

    def block(self, statements, state: State) -> State:
        for statement in statements:
            match statement:
                case ir.Assign():
                    self.age(statement.id, state)
                    self.bind(state, statement.target, self.assign(statement, state))
                case ir.SetItem():
                    self.before[statement.id] = self.snapshot(statement, state)
                    self.items_before[statement.id] = self.current_items()
                    self.outdate(statement, state)
                case ir.Append():
                    self.before[statement.id] = self.snapshot(statement, state)
                    self.items_before[statement.id] = self.current_items()
                    added = self.places(ir.names_read(statement.value), state)
                    for place in state.get(statement.target, ()):
                        if place.allocation in self.containers:
                            self.items[place.allocation] |= added
                case ir.If():
                    state = self.branch(statement, state)
                case ir.Loop():
                    state = self.loop(statement, state)
                case ir.Return() | ir.Guard():
                    pass  # makes and moves no array
                case _:
                    ir.unknown(statement)
        return state

    def branch(self, branch: ir.If, state: State) -> State:
        self.bound.append(set())
        body = self.block(branch.body, dict(state))
        orelse = self.block(branch.orelse, dict(state))
        joined = self.join(body, orelse, self.bound.pop())
        for update in branch.body:
            if isinstance(update, ir.SetItem) and update.whole_name:
                # `a op= e`: the other arm rebinds a number, which no update can go through.
                self.bind(joined, update.target, body[update.target])
        return joined

    def loop(self, loop: ir.Loop, state: State) -> State:
        head = state
        while True:
            items = sum(len(places) for places in self.items.values())
            start = dict(head)
            self.bound.append(set())
            if loop.target is not None:
                self.bind(start, loop.target, frozenset({Place(loop.id, True)}))
            end = self.block(loop.test_block + loop.body, start)
            after = self.join(head, end, self.bound.pop())
            if after == head and items == sum(len(places) for places in self.items.values()):
                return head
            head = after

    def outdate(self, update: ir.SetItem, state: State) -> None:
        """After ``update``, the names that see its array and are read no more are stale (the rewrite
        takes again only those read later); so is its target unless it holds the array whole."""
        target = state.get(update.target, frozenset())
        allocations = {p.allocation for p in target}
        current = {update.target} if all(p.whole and not p.stale for p in target) else set()
        live = self.live.get(update.id, ())
        for name in set().union(*(self.holders.get(allocation, ()) for allocation in allocations)):
            places = state.get(name)
            if places is None or name in live or name in current:
                continue
            if any(p.allocation in allocations and not p.stale for p in places):  # (else it stays as it is)
                self.bind(
                    state,
                    name,
                    frozenset(dataclasses.replace(p, stale=True) if p.allocation in allocations else p for p in places),
                )

    def age(self, site: int, state: State) -> None:
        """The statement ``site`` makes a new array again (a loop goes round): what it made before is
        one of the older arrays of that site, which the new one never is (recency abstraction)."""
        if site not in self.made:  # its first time: no value lies in an array it made
            self.made.add(site)
            return
        older = ("older", site)

        def aged(places):
            return frozenset(dataclasses.replace(p, allocation=older) if p.allocation == site else p for p in places)

        for name in list(self.holders.get(site, ())):
            places = state.get(name)
            if places is not None and any(p.allocation == site for p in places):
                self.bind(state, name, aged(places))
        if site in self.containers:
            self.containers.add(older)
            self.items[older] |= self.items.pop(site)
        for container, items in self.items.items():
            if any(p.allocation == site for p in items):
                self.items[container] = set(aged(items))

    def places(self, names, state: State) -> frozenset[Place]:
        return frozenset().union(*(state.get(name, frozenset()) for name in names))

    def join(self, one: State, other: State, bound: set[str]) -> State:
        """Where either path may have left each name (unbound: a path that did not bind it).

        Both paths start from one state, and ``bound`` holds the names either bound since: the
        others are the same in both. The names it holds are bound in the enclosing block too.
        """
        unbound = frozenset({Place(UNBOUND, True)})
        joined = dict(one)
        for name in bound:
            mine, theirs = one.get(name, unbound), other.get(name, unbound)
            if mine is not theirs:
                joined[name] = mine | theirs
                self.index(name, joined[name])
        if self.bound:
            self.bound[-1] |= bound
        return joined

    def assign(self, statement: ir.Assign, state: State) -> frozenset[Place]:
        value = statement.value
        made = frozenset({Place(statement.id, True)})
        if isinstance(value, cst.Name) and value.value not in _CONSTANT_NAMES:
            return state.get(value.value, _outside(value.value))  # the same object under another name
        if statement.rule == "s2sad.list" or isinstance(value, (cst.List, cst.Tuple)):
            self.containers.add(statement.id)
            self.items[statement.id] |= self.places(ir.names_read(value), state)
            return made
        if statement.rule is None and isinstance(value, cst.Attribute):
            root = value
            while isinstance(root, cst.Attribute):
                root = root.value
            if isinstance(root, cst.Name) and root.value not in state:
                return _outside(root.value)  # a module's array (cfg.BUF)
        rule = rules.lookup(statement.rule) if statement.rule else None
        if rule is not None and rule.returns_several:
            self.containers.add(statement.id)
            if may_be_view(statement.rule, statement.operands, rules.VIEWS):  # np.split's pieces: views
                names = statement.operand_names(rule.view_of)
                bases = self.places(names, state) | {p for n in names if n not in state for p in _outside(n)}
                self.items[statement.id] |= {Place(p.allocation, False, p.maybe_copy) for p in bases}
            else:  # new arrays (np.linalg.eigh's), each its own
                self.items[statement.id].add(Place(("parts", str(statement.id)), True))
            return made
        if statement.rule == "s2sad.runtime.reseen":
            return self.places(statement.operand_names("view"), state)  # the very same object
        if rule is not None and rule.custom:
            # A user's rule may return its argument, or a view of it: numpy tells at run time.
            arrays = set().union(*map(statement.operand_names, rule.differentiable))
            return frozenset(Place(p.allocation, False, True) for p in self.places(arrays, state)) | made
        if not may_be_view(statement.rule, statement.operands, rules.VIEWS):
            return made
        bases = statement.operand_names(rule.view_of)  # what it is a view of
        places: set[Place] = set()
        # (Not bases - state.keys(): that scans the whole state.)
        outside = {p for name in bases if name not in state for p in _outside(name)}
        for place in self.places(bases, state) | outside:
            if place.allocation in self.containers and _slices(statement.operands.get("index")):
                places |= made  # a new list of the same items
                self.containers.add(statement.id)
                self.items[statement.id] |= self.items[place.allocation]
            elif place.allocation in self.containers:
                places |= self.items[place.allocation]  # an item itself
            else:
                places.add(Place(place.allocation, False, place.maybe_copy or self.may_copy(statement)))
        return frozenset(places) or made

    def may_copy(self, statement: ir.Assign) -> bool:
        """Whether numpy may return a copy here, not a view: that depends on the values at run time."""
        if statement.rule != "operator.getitem":
            return statement.rule in rules.MAY_COPY
        index = statement.operands.get("index")
        elements = index.slice if isinstance(index, cst.Subscript) else ()
        return any(
            isinstance(e.slice, cst.Index)
            and isinstance(e.slice.value, cst.Name)
            and e.slice.value.value not in self.integers | {"None"}
            for e in elements
        )


def _outside(name: str) -> frozenset[Place]:
    """A name the function reads but does not bind (a module's or an enclosing function's array)."""
    return frozenset({Place(("outside", name), True)})


def _slices(index) -> bool:
    """Whether the index (``np.s_[...]``) has a slice: a list indexed so gives a new list."""
    return isinstance(index, cst.Subscript) and any(isinstance(e.slice, cst.Slice) for e in index.slice)
