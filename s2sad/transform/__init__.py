"""The transforms: the normalized, analysed program -> the generated derivative function.

Each mode is a pass, ``run(unit, options) -> unit``:

- forward.py: forward mode (jvp), each statement followed by its tangent;
- reverse.py: reverse mode (grad, value_and_grad, vjp), a forward sweep and a reverse sweep;

built from what they share:

- replay.py: the statements written out again in order, one case per statement kind;
- tape.py: reverse mode's forward sweep, the replay plus what the reverse sweep reads back;
- rule_instances.py: a rule's tangent or adjoint template bound to one statement.
"""
