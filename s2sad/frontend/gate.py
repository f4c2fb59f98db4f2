"""The language gate. The first construct outside the supported language -> a located error.

Runs before everything else, so a user sees "while loops are not supported"
rather than a puzzling message from a later stage. It looks at syntax only;
what names refer to is resolve's business.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from s2sad.errors import Origin, UnsupportedSyntax
from s2sad.options import Options
from s2sad.core.unit import Unit

UNSUPPORTED_EXPRESSIONS = {
    cst.Lambda: "a lambda other than assigned to a name, called or passed to a function is",
    cst.SetComp: "set comprehensions are",
    cst.DictComp: "dict comprehensions are",
    cst.Set: "set literals are",
    cst.Await: "await is",
    cst.Yield: "yield is",
    cst.NamedExpr: "assignment expressions (:=) are",
    cst.Imaginary: "complex numbers are",
    cst.StarredElement: "starred expressions are",
}
UNSUPPORTED_STATEMENTS = {
    cst.Try: "try statements are",
    cst.TryStar: "try statements are",
    cst.ClassDef: "class definitions are",
    cst.Match: "match statements are",
    cst.Global: "global statements are",
    cst.Nonlocal: "nonlocal statements are",
    cst.Import: "imports inside the function are",
    cst.ImportFrom: "imports inside the function are",
    cst.Del: "del statements are",
}
SUPPORTED = (
    "assignments (also tuple unpacking and +=), return, if/elif/else, for and while loops with "
    "break and continue, arithmetic, numpy and math calls, array methods, indexing reads, assert, raise, "
    "print, with np.errstate"
)


def run(unit: Unit, options: Options) -> Unit:
    _Gate(unit).check()
    return unit


class _Gate(cst.CSTVisitor):
    def __init__(self, unit: Unit):
        self.unit = unit

    def refuse(self, node: cst.CSTNode, what: str, hint: str | None = None):
        start = self.unit.positions[node].start
        raise UnsupportedSyntax(
            f"{what} not supported",
            Origin(self.unit.path, start.line, start.column),
            hint=hint or f"s2sad differentiates {SUPPORTED}; rewrite this with those",
        )

    def check(self) -> None:
        definition = self.unit.function
        if definition.asynchronous is not None:
            self.refuse(definition, "async functions are")
        params = definition.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.default is not None:
                param.default.visit(self)
        self.block(definition.body, in_loop=False, docstring_allowed=True)
        if not _always_returns(definition.body):
            self.refuse(
                definition.name,
                f"'{definition.name.value}' may end without returning a value: a function that can is",
                "make every path end with a return statement",
            )

    def block(self, body, in_loop: bool, docstring_allowed: bool = False) -> None:
        lines = body.body if isinstance(body, cst.IndentedBlock) else [cst.SimpleStatementLine(body=body.body)]
        for index, line in enumerate(lines):
            if isinstance(line, cst.SimpleStatementLine):
                for small in line.body:
                    self.statement(small, docstring_allowed and index == 0, in_loop)
            elif isinstance(line, cst.If):
                self.if_statement(line, in_loop)
            elif isinstance(line, (cst.For, cst.While)):
                self.loop(line)
            elif isinstance(line, cst.FunctionDef):
                self.local_function(line)
            elif isinstance(line, cst.With):  # normalize accepts np.errstate(...) alone
                for item in line.items:
                    if item.asname is not None:
                        self.refuse(item.asname.name, "with ... as ... is", "use with np.errstate(...): alone")
                    item.visit(self)
                self.block(line.body, in_loop)
            else:
                self.refuse(line, UNSUPPORTED_STATEMENTS.get(type(line), f"{type(line).__name__} is"))

    def local_function(self, node: cst.FunctionDef) -> None:
        """A function defined inside: gated where it is called (inlined), as the user's other functions."""
        if node.asynchronous is not None or node.decorators:
            self.refuse(node, "a decorated or async function defined inside the function is", "define it plainly")

    def if_statement(self, node: cst.If, in_loop: bool) -> None:
        node.test.visit(self)
        self.block(node.body, in_loop)
        if isinstance(node.orelse, cst.If):
            self.if_statement(node.orelse, in_loop)
        elif node.orelse is not None:
            self.block(node.orelse.body, in_loop)

    def loop(self, node: cst.For | cst.While) -> None:
        if node.orelse is not None:
            self.refuse(
                node.orelse,
                f"{'for' if isinstance(node, cst.For) else 'while'} ... else is",
                "set a flag before break and test it after the loop",
            )
        if isinstance(node, cst.For):
            if node.asynchronous is not None:
                self.refuse(node, "async for is")
            self.target(node.target, loop_target=True)
            if not isinstance(node.target, (cst.Name, cst.Tuple, cst.List)):
                self.refuse(node.target, "this loop target is", "loop over names: for x in ..., for i, x in ...")
            node.iter.visit(self)
        else:
            node.test.visit(self)
        self.block(node.body, in_loop=True)

    def statement(self, node: cst.BaseSmallStatement, docstring_allowed: bool, in_loop: bool) -> None:
        if isinstance(node, (cst.Break, cst.Continue)):
            if not in_loop:
                self.refuse(node, f"{'break' if isinstance(node, cst.Break) else 'continue'} outside a loop is")
            return
        if isinstance(node, cst.Return):
            if node.value is None:
                self.refuse(node, "a bare return is", "return the value to differentiate")
        elif isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            for target in targets:
                self.target(target)
            if isinstance(node, cst.Assign) and isinstance(node.value, cst.Lambda) and len(targets) == 1:
                if not isinstance(targets[0], cst.Name):
                    self.refuse(node.value, "a lambda assigned other than to a name is", "act = lambda v: ...")
                return  # a function defined inside, by a name: gated where it is called
            if isinstance(node.value, (cst.DictComp, cst.SetComp)) and len(targets) == 1:
                for child in node.value.children:  # normalize lowers it, assigned to a name
                    child.visit(self)
                return
        elif isinstance(node, cst.Expr):
            if m.matches(node.value, m.Call(func=m.Attribute(value=m.Name(), attr=m.Name("append")))):
                if len(node.value.args) != 1 or node.value.args[0].keyword is not None:
                    self.refuse(node.value, "this call of append is", "append one value: hs.append(h)")
            elif isinstance(node.value, cst.Call):
                # normalize keeps a call made for its effect (print, a run-time check), refuses the others
                node.value.visit(self)
            elif not (docstring_allowed and isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString))):
                node.value.visit(self)  # `yield x`, `await y`: refused as what they are
                self.refuse(
                    node,
                    "expression statements (a value computed and dropped) are",
                    "assign the value to a name, or remove the line",
                )
            return
        elif not isinstance(node, (cst.Pass, cst.Assert, cst.Raise)):
            self.refuse(node, UNSUPPORTED_STATEMENTS.get(type(node), f"{type(node).__name__} is"))
        node.visit(self)

    def target(self, target: cst.BaseExpression, loop_target: bool = False) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                if isinstance(element, cst.StarredElement):
                    self.refuse(element, "starred assignment targets are", "assign each name separately")
                self.target(element.value, loop_target)
        elif isinstance(target, cst.Subscript) and not loop_target:
            # y[i] = ..., y.T[i] = ..., u[0] = u[-1] = 0.0, a[i], a[j] = ...: normalize checks the array
            target.value.visit(self)
        elif isinstance(target, (cst.Subscript, cst.Attribute)):
            self.refuse(
                target,
                "assignment into an attribute, or into a subscript as a loop target, is",
                "assign into a name or an array: y[i] = ...",
            )

    def call(self, node: cst.Call) -> bool:
        """A lambda called at once or passed to a function: gated where it is called (inlined)."""
        if not isinstance(node.func, cst.Lambda):
            node.func.visit(self)
        for arg in node.args:
            self.on_visit(arg)
            if not isinstance(arg.value, cst.Lambda):
                arg.value.visit(self)
        return False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Call):
            return self.call(node)
        what = UNSUPPORTED_EXPRESSIONS.get(type(node))
        if what is not None:
            self.refuse(node, what)
        if isinstance(node, cst.Arg) and node.star:
            self.refuse(node, "star arguments (*args, **kwargs) in calls are", "pass the arguments one by one")
        if isinstance(node, cst.Index) and node.star is not None:
            self.refuse(node, "starred indices are")
        return True


def _always_returns(body) -> bool:
    """Whether every path through ``body`` ends in a return (loops are not counted on)."""
    lines = body.body if isinstance(body, cst.IndentedBlock) else [cst.SimpleStatementLine(body=body.body)]
    for line in lines:
        if isinstance(line, cst.SimpleStatementLine):
            if any(isinstance(small, cst.Return) for small in line.body):
                return True
        elif isinstance(line, cst.If) and _if_returns(line):
            return True
    return False


def _if_returns(node: cst.If) -> bool:
    if not _always_returns(node.body):
        return False
    if isinstance(node.orelse, cst.If):
        return _if_returns(node.orelse)
    return node.orelse is not None and _always_returns(node.orelse.body)
