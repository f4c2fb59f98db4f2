"""What every pass shares: the unit of compilation and its facts, the normalized program (IR) with
its invariants, the generated function before it is printed (target), and hygienic names.

- ``unit``: the Unit, one user function and what the passes found about it.
- ``facts``: the fact types passes record in the Unit (resolutions, activity), as plain data.
- ``ir``: the normalized program in A-normal form; ``ir_lint``: its invariants, checked on demand.
- ``target``: the generated function as sections of lines, each with its source origin.
- ``naming``: placeholders while compiling, readable names at the end.
"""
