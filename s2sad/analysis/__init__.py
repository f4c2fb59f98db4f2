"""Analysis of the normalized program, between normalize and the transforms.

Two passes, in pipeline order: ``memory`` (an in-place update made visible
to every name that sees the updated array; rewrites the IR) and ``activity``
(which statements get adjoints, which overwritten values are recorded; fills
``Unit.activity``). Their helpers: ``aliases`` (may-alias analysis, for
memory), ``shapes`` and ``recording`` (for activity), ``dataflow`` (shared).
"""
