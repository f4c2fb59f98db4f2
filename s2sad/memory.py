"""Memory: an in-place update made visible to every name that sees the updated array (DESIGN.md 7).

Requires: the normalized program. numpy code aliases: after ``z = y[1:]`` (or
``z = y``, ``y.T``, ``y.reshape(...)``, a list item, a helper that returns its
argument) the update ``z[0] = 5.0`` changes ``y`` too. This pass keeps, at
every program point, which arrays each name may lie in (a may-alias analysis
over the statements that make arrays: branches join, loops go round to a fixed
point), and rewrites each update that another name read later may see:

    z = y[1:]                      z = y[1:]
    w = y[:2]                      w = y[:2]
    z[0] = 5.0                     _n1 = _rt.region(y, z, np.s_[0], ...)
                                   y[_n1] = 5.0
                                   _n2 = _rt.reseen(y, w)
                                   w = _n2
    ... w and y read ...           ... w and y read ...

The update is made on a name that holds the whole array (so its adjoint zeroes
the overwritten part of that array's adjoint), and every other name that sees
the array and is read later is taken from it again (so what flows back through
it reaches the whole array after the update, not before). ``_rt.region`` finds
the part from memory addresses, so any chain of views works.

Where numpy decides at run time between a view and a copy (``y[i]`` with an
array ``i``, a reshape), the code asks ``_rt.lies_in`` and updates what the
user's code updates. A name that may hold one of several arrays (chosen by a
branch; made by a loop in earlier trips, which the analysis tells apart from
the latest one) is updated through a name holding each of them whole, and
``_rt.region`` refuses at run time, located, an update that lies elsewhere.
``a op= e`` on a name (normalize: ``a[...] op= e`` where ``a`` holds an array)
stays a rebinding where no other name read later, nor the caller, sees ``a``.

Refuses, located: updating the caller's arrays (``a op= e`` at run time, where
``a`` is an array); an update that a list or tuple read later may see; an
update that another name read later sees when no name holds the array whole.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections import defaultdict

import libcst as cst
import libcst.matchers as m

from s2sad import ir, rules
from s2sad.errors import UnsupportedSyntax
from s2sad.options import Options
from s2sad.unit import Unit

_UNBOUND = "unbound"  # the allocation of a name not bound on some path
_CONSTANT_NAMES = {"True", "False", "None"}


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a name's value may lie: in the array (or list) made by ``allocation``, whole or in part.

    An allocation is the id of the statement that made the value (its latest array), ``("older", id)``
    (the arrays it made before, in earlier trips of a loop), ``("argument", name)`` or ``("outside",
    name)`` (a module's or an enclosing function's array).
    """

    allocation: int | tuple[str, str] | str
    whole: bool
    maybe_copy: bool = False  # made by an operation numpy may do as a copy (y[i] with an array i, a reshape)
    # An update through another name changed the array since, and this name, read no more, was not
    # taken again: its value in the program is out of date, so no update may be made through it.
    stale: bool = False


State = dict[str, frozenset[Place]]


def run(unit: Unit, options: Options) -> Unit:
    function = unit.ir
    # Live names are asked for at the updates only (kept for every statement, they grow as the square).
    updates = {s.id for s in ir.walk(function.body) if isinstance(s, (ir.SetItem, ir.Append))}
    live = ir.live_after(function.body, frozenset(), keep=updates)
    analysis = _Aliases(function, live)
    state = {p: frozenset({Place(("argument", p), True)}) for p in function.parameters}
    for name, places in state.items():
        analysis.index(name, places)
    analysis.block(function.body, state)
    rewrite = _Rewrite(unit, analysis, live)
    body = rewrite.block(function.body)
    # A name taken again that some path leaves unbound there starts as None (_rt.reseen passes it on).
    unbound = [
        ir.Assign(next(rewrite.ids), name, cst.Name("None"), None, {}, function.origin)
        for name in sorted(rewrite.maybe_unbound)
    ]
    body = (*unbound, *body)
    return dataclasses.replace(unit, ir=dataclasses.replace(function, body=body))


class _Aliases:
    """Forward, may: the places each name's value lies in; the items of each list or tuple."""

    def __init__(self, function: ir.Function, live: dict[int, frozenset[str]]):
        self.live = live
        self.integers = {s.target for s in ir.walk(function.body) if isinstance(s, ir.Loop) and s.target}
        self.containers: set = set()  # allocations that are lists or tuples
        self.items: dict = defaultdict(set)  # container allocation -> places of its items
        # Update id -> the part of the state it runs in (at the fixed point) that the rewrite reads:
        # its target, the names live after it, and the names that may hold its target's arrays.
        self.before: dict[int, State] = {}
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

    def snapshot(self, statement, state: State) -> State:
        """What the rewrite of the update ``statement`` reads of the state it runs in."""
        names = {statement.target, *self.live.get(statement.id, ())}
        for place in state.get(statement.target, ()):
            names |= self.holders.get(place.allocation, set())
        return {name: state[name] for name in names if name in state}

    def block(self, statements, state: State) -> State:
        for statement in statements:
            if isinstance(statement, ir.Assign):
                self.age(statement.id, state)
                self.bind(state, statement.target, self.assign(statement, state))
            elif isinstance(statement, ir.SetItem):
                self.before[statement.id] = self.snapshot(statement, state)
                self.outdate(statement, state)
            elif isinstance(statement, ir.Append):
                self.before[statement.id] = self.snapshot(statement, state)
                added = self.places(ir.names_read(statement.value), state)
                for place in state.get(statement.target, ()):
                    if place.allocation in self.containers:
                        self.items[place.allocation] |= added
            elif isinstance(statement, ir.If):
                self.bound.append(set())
                body = self.block(statement.body, dict(state))
                orelse = self.block(statement.orelse, dict(state))
                joined = self.join(body, orelse, self.bound.pop())
                for update in statement.body:
                    if isinstance(update, ir.SetItem) and update.whole_name:
                        # `a op= e`: the other arm rebinds a number, which no update can go through.
                        self.bind(joined, update.target, body[update.target])
                state = joined
            elif isinstance(statement, ir.Loop):
                state = self.loop(statement, state)
        return state

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
        unbound = frozenset({Place(_UNBOUND, True)})
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
        if statement.rule == "s2sad.runtime.reseen":
            return self.places(statement.operand_names("view"), state)  # the very same object
        if rule is not None and rule.custom:
            # A user's rule may return its argument, or a view of it: numpy tells at run time.
            arrays = set().union(*map(statement.operand_names, rule.differentiable))
            return frozenset(Place(p.allocation, False, True) for p in self.places(arrays, state)) | made
        if not ir.may_be_view(statement.rule, statement.operands, rules.VIEWS):
            return made
        bases = statement.operand_names(next(iter(rule.signature.parameters)))  # what it is a view of
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


def _argument(allocation) -> bool:
    """Whether ``allocation`` is an array the caller (or a module) holds: never updated in place."""
    return isinstance(allocation, tuple) and allocation[0] in ("argument", "outside")


def _summary(allocation) -> bool:
    """Whether ``allocation`` stands for several arrays (those a loop made in earlier trips)."""
    return isinstance(allocation, tuple) and allocation[0] == "older"


def _basic(index) -> bool:
    """Whether a subscript's elements are slices, numbers written out, ``...`` or ``None``: it names each
    position once (an array index may repeat one)."""
    return all(
        isinstance(e.slice, cst.Slice)
        or m.matches(
            e.slice.value, m.Integer() | m.UnaryOperation(expression=m.Integer()) | m.Ellipsis() | m.Name("None")
        )
        for e in index
    )


def _slices(index) -> bool:
    """Whether the index (``np.s_[...]``) has a slice: a list indexed so gives a new list."""
    return isinstance(index, cst.Subscript) and any(isinstance(e.slice, cst.Slice) for e in index.slice)


class _Rewrite:
    def __init__(self, unit: Unit, aliases: _Aliases, live: dict[int, frozenset[str]]):
        self.aliases = aliases
        self.live = live
        self.names = unit.names
        self.ids = itertools.count(max((s.id for s in ir.walk(unit.ir.body)), default=0) + 1)
        self.temps = itertools.count(1)
        self.maybe_unbound: set[str] = set()  # names taken again where some path has not bound them

    def block(self, statements) -> tuple[ir.Statement, ...]:
        rewritten: list[ir.Statement] = []
        for statement in statements:
            if isinstance(statement, ir.If) and self.rebinding_will_do(statement):
                rewritten.extend(self.block(statement.orelse))
            elif isinstance(statement, ir.If):
                rewritten.append(
                    dataclasses.replace(statement, body=self.block(statement.body), orelse=self.block(statement.orelse))
                )
            elif isinstance(statement, ir.Loop):
                rewritten.append(
                    dataclasses.replace(
                        statement, test_block=self.block(statement.test_block), body=self.block(statement.body)
                    )
                )
            elif isinstance(statement, ir.SetItem):
                rewritten.extend(self.update(statement))
            elif isinstance(statement, ir.Append):
                self.check_append(statement)
                rewritten.append(statement)
            else:
                rewritten.append(statement)
        return tuple(rewritten)

    def rebinding_will_do(self, branch: ir.If) -> bool:
        """Whether ``a op= e`` (normalize's ``if _rt.is_array(a): a[...] op= e else: a = a op e``) may
        rebind ``a`` even where it holds an array: no other name read later, nor the caller, sees it."""
        updates = [s for s in branch.body if isinstance(s, ir.SetItem) and s.whole_name]
        if not updates:
            return False
        (update,) = updates
        state = self.aliases.before[update.id]
        allocations = self.allocations(state.get(update.target, ()))
        return not any(_argument(a) for a in allocations) and not self.sharing(update, state)

    def allocations(self, places) -> set:
        return {place.allocation for place in places} - {_UNBOUND}

    def reaches(self, places, allocations) -> bool:
        """Whether a value in ``places`` is, or holds (as a list or tuple item), one of ``allocations``."""
        seen, pending = set(), list(places)
        while pending:
            place = pending.pop()
            if place.allocation in allocations:
                return True
            if place.allocation in self.aliases.containers and place not in seen:
                seen.add(place)
                pending.extend(self.aliases.items[place.allocation])
        return False

    def sharing(self, statement, state: State) -> list[str]:
        """The other names read after ``statement`` that may see the array it updates."""
        allocations = self.allocations(state.get(statement.target, ()))
        live = self.live.get(statement.id, frozenset()) - {statement.target}
        return sorted(name for name in live if self.reaches(state.get(name, ()), allocations))

    def check_append(self, statement: ir.Append) -> None:
        state = self.aliases.before[statement.id]
        others = self.sharing(statement, state)
        if others:
            listed = self.quoted(statement.target, "a list")
            _refuse(
                statement,
                f"appending to {listed} while {self.quoted(others[0], 'another name')}, which sees "
                "the same list, is read afterwards is",
                "build a new list instead: hs = hs + [h]",
            )

    def update(self, statement: ir.SetItem) -> list[ir.Statement]:
        try:
            return self.update_shared(statement)
        except UnsupportedSyntax:
            if statement.whole_name:  # `a op= e`: fine where a holds a number, refused at run time on an array
                return [self.refused_at_run_time(statement)]
            raise

    def update_shared(self, statement: ir.SetItem) -> list[ir.Statement]:
        state = self.aliases.before[statement.id]
        name = statement.target
        allocations = self.allocations(state.get(name, ()))
        updating = f"updating part of {self.quoted(name, 'an array')} in place"
        copy_hint = "work on a copy: " + (
            f"{name} = {name}.copy()" if not self.names.is_placeholder(name) else "y = y.copy() before the update"
        )
        if any(map(_argument, allocations)):
            whose = (
                "an argument: the caller's array"
                if any(a[0] == "argument" for a in allocations if _argument(a))
                else "an array of the module or of an enclosing function"
            )
            _refuse(statement, f"{updating} (it is {whose}) is", copy_hint)
        others = self.sharing(statement, state)
        if not others:
            return [statement]
        held = [o for o in others if any(p.allocation in self.aliases.containers for p in state[o])]
        if held:
            holder = f"the list or tuple {self.quoted(held[0], '')}".rstrip()
            _refuse(
                statement,
                f"{updating} while {holder}, which holds it, is read afterwards is",
                f"update the array before putting it into the list, or {copy_hint}",
            )
        doing = f"{updating} while {self.quoted(others[0], 'another name')}"
        # The carrier holds whole whichever array the target lies in: the target itself, or a name
        # whole in the same arrays (then _rt.region checks at run time that the target lies in it).
        whole = frozenset(Place(allocation, True) for allocation in allocations)
        holders = sorted(
            (n not in self.live.get(statement.id, ()), self.names.is_placeholder(n), n)
            for n, places in state.items()
            if places == whole
        )
        if state[name] == whole:
            carrier = name
        elif holders:
            carrier = holders[0][2]
        elif len(allocations) != 1:
            _refuse(
                statement,
                f"{doing}, which may see the same array (it is decided at run time), is read " "afterwards is",
                copy_hint,
            )
        else:
            _refuse(
                statement,
                f"{doing}, which sees the same array, is read afterwards (and no name holds "
                "that whole array any more) is",
                copy_hint,
            )
        several = len(allocations) != 1 or any(map(_summary, allocations))
        live = self.live.get(statement.id, frozenset())
        again = sorted({*others, *({name} & live)} - {carrier})
        self.maybe_unbound.update(n for n in again if Place(_UNBOUND, True) in state[n])
        if carrier == name:
            return [statement, *self.take_all_again(again, carrier, statement.origin)]
        on_carrier = [*self.on_carrier(statement, carrier), *self.take_all_again(again, carrier, statement.origin)]
        if not any(place.maybe_copy for place in state[name]) and not several:
            return on_carrier  # a view of the array the carrier holds, for sure
        # A view or a copy (numpy decides at run time), or part of another of the arrays the names may
        # hold: where it does not lie in the carrier, it is updated as the user's code does; a name
        # read later that lies in it is taken again from it, and one that overlaps it otherwise is refused.
        beside = sorted(set(others) - {name})
        on_copy = [
            *(
                ir.Guard(
                    next(self.ids),
                    _runtime_call(
                        self.names,
                        "require_inside_or_apart",
                        cst.Name(other),
                        cst.Name(name),
                        *map(_string, (self.shown(other), self.shown(name), str(statement.origin))),
                    ),
                    statement.origin,
                )
                for other in beside
            ),
            statement,
            *self.take_all_again(beside, name, statement.origin),
        ]
        flag = self.temp("is_view")
        test = _runtime_call(self.names, "lies_in", cst.Name(name), cst.Name(carrier))
        return [
            ir.Assign(next(self.ids), flag, test, None, {}, statement.origin),
            ir.If(next(self.ids), cst.Name(flag), tuple(on_carrier), tuple(on_copy), statement.origin),
        ]

    def take_all_again(self, views, carrier: str, origin) -> list[ir.Statement]:
        return [line for view in views for line in self.take_again(view, carrier, origin)]

    def on_carrier(self, statement: ir.SetItem, carrier: str) -> list[ir.Statement]:
        """``statement`` made on the whole array ``carrier``, at the part its target occupies."""
        index = self.temp("part")
        where = _runtime_call(
            self.names,
            "region",
            cst.Name(carrier),
            cst.Name(statement.target),
            statement.index_value,
            *(_string(text) for text in (self.shown(statement.target), self.shown(carrier), str(statement.origin))),
        )
        update = dataclasses.replace(
            statement,
            id=next(self.ids),
            target=carrier,
            index=(cst.SubscriptElement(cst.Index(cst.Name(index))),),
            index_value=cst.Name(index),
            distinct=_basic(statement.index),
        )
        return [ir.Assign(next(self.ids), index, where, None, {}, statement.origin), update]

    def refused_at_run_time(self, statement: ir.SetItem) -> ir.Guard:
        """The forward sweep refuses ``a op= e`` where ``a`` is an array the caller sees."""
        check = cst.Call(
            func=cst.Attribute(value=cst.Name(self.names.module("_rt")), attr=cst.Name("require_unshared")),
            args=[
                cst.Arg(cst.Name(statement.target)),
                *(cst.Arg(_string(text)) for text in (self.shown(statement.target), str(statement.origin))),
            ],
        )
        return ir.Guard(next(self.ids), check, statement.origin)

    def take_again(self, view: str, carrier: str, origin) -> list[ir.Statement]:
        """``view = _rt.reseen(carrier, view)``, through a temporary (no statement assigns a name it reads)."""
        held = self.temp("seen")
        operands = {"base": cst.Name(carrier), "view": cst.Name(view)}
        value = cst.Call(
            func=cst.Attribute(value=cst.Name(self.names.module("_rt")), attr=cst.Name("reseen")),
            args=[cst.Arg(cst.Name(carrier)), cst.Arg(cst.Name(view))],
        )
        return [
            ir.Assign(next(self.ids), held, value, "s2sad.runtime.reseen", operands, origin),
            ir.Assign(next(self.ids), view, cst.Name(held), "s2sad.copy", {"x": cst.Name(held)}, origin),
        ]

    def temp(self, role: str) -> str:
        return self.names.role(f"v_{role}_{next(self.temps)}")

    def shown(self, name: str) -> str:
        """``name`` as a message shows it (s2sad's own temporaries mean nothing to a user)."""
        return "the array" if self.names.is_placeholder(name) else name

    def quoted(self, name: str, otherwise: str) -> str:
        return otherwise if self.names.is_placeholder(name) else f"'{name}'"


def _runtime_call(names, function: str, *args: cst.BaseExpression) -> cst.Call:
    return cst.Call(
        func=cst.Attribute(value=cst.Name(names.module("_rt")), attr=cst.Name(function)),
        args=[cst.Arg(arg) for arg in args],
    )


def _string(text: str) -> cst.SimpleString:
    return cst.SimpleString(json.dumps(text))


def _refuse(statement, what: str, hint: str):
    raise UnsupportedSyntax(f"{what} not supported", statement.origin, hint=hint)
