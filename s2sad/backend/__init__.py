"""The back end: from the generated function to a module and a callable.

- ``emit``: readable names, the parentheses precedence needs, black, compilation, linecache.
- ``printer``: the function's statements as text, in one walk over their nodes.
- ``layout``: that text as black lays it out, black run only on the statements that need it.
- ``precedence``: parentheses where Python's precedence needs them, nowhere else.
- ``cache``: the decorator's on-disk cache of generated modules, and what it trusts.
"""
