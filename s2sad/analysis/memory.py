"""Memory: an in-place update made visible to every name that sees the updated array (DESIGN.md 7).

Requires: the normalized program. Provides: the program with its in-place
updates rewritten (``Unit.ir``), or a located refusal.

numpy code aliases: after ``z = y[1:]`` (or ``z = y``, ``y.T``,
``y.reshape(...)``, a list item, a helper that returns its argument) the
update ``z[0] = 5.0`` changes ``y`` too. This pass finds, at every program
point, which arrays each name may lie in (``aliases``: a may-alias analysis
over the statements that make arrays; branches join, loops go round to a
fixed point), and rewrites each update that another name read later may see:

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

import libcst as cst
import libcst.matchers as m

from s2sad.core import ir
from s2sad.analysis.aliases import UNBOUND, Aliases, Place, State
from s2sad.analysis.dataflow import live_after
from s2sad.errors import UnsupportedSyntax
from s2sad.options import Options
from s2sad.core.unit import Unit


def run(unit: Unit, options: Options) -> Unit:
    function = unit.ir
    analysis, live = _aliases(function)
    updated = _updated_arguments(function, analysis)
    if updated:
        # The function updates the caller's arrays: the derivative is the one with respect to the values on
        # entry, and the generated code works on copies of its own (the caller's arrays stay as they were).
        ids = itertools.count(max((s.id for s in ir.walk(function.body)), default=0) + 1)
        copies = {name: unit.names.role(f"v_{name}_copy") for name in updated}
        owned = tuple(_owned_copy(next(ids), copy, name, unit) for name, copy in copies.items())
        function = dataclasses.replace(function, body=(*owned, *ir.rename(function.body, copies)))
        unit = dataclasses.replace(unit, ir=function)
        analysis, live = _aliases(function)
    rewrite = _Rewrite(unit, analysis, live)
    body = rewrite.block(function.body)
    # A name taken again that some path leaves unbound there starts as None (_rt.reseen passes it on).
    unbound = [
        ir.Assign(next(rewrite.ids), name, cst.Name("None"), None, {}, function.origin)
        for name in sorted(rewrite.maybe_unbound)
    ]
    body = (*unbound, *body)
    return dataclasses.replace(unit, ir=dataclasses.replace(function, body=body))


def _aliases(function: ir.Function) -> tuple[Aliases, dict[int, frozenset[str]]]:
    # Live names are asked for at the updates only (kept for every statement, they grow as the square).
    updates = {s.id for s in ir.walk(function.body) if isinstance(s, (ir.SetItem, ir.Append))}
    live = live_after(function.body, frozenset(), keep=updates)
    analysis = Aliases(function, live)
    state = {p: frozenset({Place(("argument", p), True)}) for p in function.parameters}
    for name, places in state.items():
        analysis.index(name, places)
    analysis.block(function.body, state)
    return analysis, live


def _updated_arguments(function: ir.Function, analysis: Aliases) -> list[str]:
    """The parameters whose arrays an update in place may reach (``x[0] = ...``, ``x += ...``, through a
    view of x too)."""
    found = set()
    for statement in ir.walk(function.body):
        if isinstance(statement, ir.SetItem):
            for place in analysis.before[statement.id].get(statement.target, ()):
                if isinstance(place.allocation, tuple) and place.allocation[0] == "argument":
                    found.add(place.allocation[1])
    # A dict's arrays would be the caller's still in a copy of the dict: updating them stays refused.
    return sorted(found - function.lists)


def _owned_copy(statement_id: int, copy: str, name: str, unit: Unit) -> ir.Assign:
    """``x_copy = _rt.owned(x)``: a copy of an argument's array (a number as it is), which the function's
    statements use instead of the argument."""
    owned = cst.Attribute(value=cst.Name(unit.names.module("_rt")), attr=cst.Name("owned"))
    value = cst.Call(func=owned, args=[cst.Arg(cst.Name(name))])
    origin = unit.ir.parameter_origins[name]
    return ir.Assign(statement_id, copy, value, "s2sad.runtime.owned", {"value": cst.Name(name)}, origin)


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


class _Rewrite:
    def __init__(self, unit: Unit, aliases: Aliases, live: dict[int, frozenset[str]]):
        self.aliases = aliases
        self.live = live
        self.names = unit.names
        self.ids = itertools.count(max((s.id for s in ir.walk(unit.ir.body)), default=0) + 1)
        self.temps = itertools.count(1)
        self.maybe_unbound: set[str] = set()  # names taken again where some path has not bound them

    def block(self, statements) -> tuple[ir.Statement, ...]:
        rewritten: list[ir.Statement] = []
        for statement in statements:
            match statement:
                case ir.If() if self.rebinding_will_do(statement):
                    rewritten.extend(self.block(statement.orelse))
                case ir.If():
                    body, orelse = self.block(statement.body), self.block(statement.orelse)
                    rewritten.append(dataclasses.replace(statement, body=body, orelse=orelse))
                case ir.Loop():
                    test_block, body = self.block(statement.test_block), self.block(statement.body)
                    rewritten.append(dataclasses.replace(statement, test_block=test_block, body=body))
                case ir.SetItem():
                    rewritten.extend(self.update(statement))
                case ir.Append():
                    self.check_append(statement)
                    rewritten.append(statement)
                case ir.Assign() | ir.Return() | ir.Guard():
                    rewritten.append(statement)
                case _:
                    ir.unknown(statement)
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
        return {place.allocation for place in places} - {UNBOUND}

    def reaches(self, places, allocations, items: dict) -> bool:
        """Whether a value in ``places`` is, or holds (as a list or tuple item), one of ``allocations``."""
        seen, pending = set(), list(places)
        while pending:
            place = pending.pop()
            if place.allocation in allocations:
                return True
            if place.allocation in self.aliases.containers and place not in seen:
                seen.add(place)
                pending.extend(items.get(place.allocation, ()))
        return False

    def sharing(self, statement, state: State) -> list[str]:
        """The other names read after ``statement`` that may see the array it updates."""
        allocations = self.allocations(state.get(statement.target, ()))
        live = self.live.get(statement.id, frozenset()) - {statement.target}
        items = self.aliases.items_before[statement.id]
        return sorted(name for name in live if self.reaches(state.get(name, ()), allocations, items))

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
        copy_hint = "work on a copy: " + (
            f"{name} = {name}.copy()" if not self.names.is_placeholder(name) else "y = y.copy() before the update"
        )
        if any(map(_argument, allocations)):
            whose = (
                "an argument: the caller's array"
                if any(a[0] == "argument" for a in allocations if _argument(a))
                else "an array of the module or of an enclosing function"
            )
            _refuse(statement, f"{self.updating(name)} (it is {whose}) is", copy_hint)
        others = self.sharing(statement, state)
        if not others:
            return [statement]
        carrier = self.carrier(statement, state, allocations, others, copy_hint)
        several = len(allocations) != 1 or any(map(_summary, allocations))
        live = self.live.get(statement.id, frozenset())
        again = sorted({*others, *({name} & live)} - {carrier})
        self.maybe_unbound.update(n for n in again if Place(UNBOUND, True) in state[n])
        if carrier == name:
            return [statement, *self.take_all_again(again, carrier, statement.origin)]
        on_carrier = [*self.on_carrier(statement, carrier), *self.take_all_again(again, carrier, statement.origin)]
        if not any(place.maybe_copy for place in state[name]) and not several:
            return on_carrier  # a view of the array the carrier holds, for sure
        return self.where_it_lies(statement, carrier, others, on_carrier)

    def updating(self, name: str) -> str:
        return f"updating part of {self.quoted(name, 'an array')} in place"

    def carrier(self, statement: ir.SetItem, state: State, allocations, others: list[str], copy_hint: str) -> str:
        """The name to make the update on: it holds whole whichever array the target lies in (the
        target itself, or a name whole in the same arrays: then _rt.region checks at run time that
        the target lies in it). Refuses the update where there is none, or a list holds the array."""
        name = statement.target
        updating = self.updating(name)
        held = [o for o in others if any(p.allocation in self.aliases.containers for p in state[o])]
        if held:
            holder = f"the list or tuple {self.quoted(held[0], '')}".rstrip()
            _refuse(
                statement,
                f"{updating} while {holder}, which holds it, is read afterwards is",
                f"update the array before putting it into the list, or {copy_hint}",
            )
        doing = f"{updating} while {self.quoted(others[0], 'another name')}"
        whole = frozenset(Place(allocation, True) for allocation in allocations)
        holders = sorted(
            (n not in self.live.get(statement.id, ()), self.names.is_placeholder(n), n)
            for n, places in state.items()
            if places == whole
        )
        if state[name] == whole:
            return name
        if holders:
            return holders[0][2]
        if len(allocations) != 1:
            _refuse(
                statement,
                f"{doing}, which may see the same array (it is decided at run time), is read " "afterwards is",
                copy_hint,
            )
        _refuse(
            statement,
            f"{doing}, which sees the same array, is read afterwards (and no name holds "
            "that whole array any more) is",
            copy_hint,
        )

    def where_it_lies(
        self, statement: ir.SetItem, carrier: str, others: list[str], on_carrier: list[ir.Statement]
    ) -> list[ir.Statement]:
        """A view or a copy (numpy decides at run time), or part of another of the arrays the names may
        hold: where it does not lie in the carrier, it is updated as the user's code does; a name
        read later that lies in it is taken again from it, and one that overlaps it otherwise is refused."""
        name = statement.target
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
