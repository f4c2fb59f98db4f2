"""The front end: from a file or a live function to a resolved libcst tree.

- ``load``: reads the file or the function's module, parses it, and builds the Unit.
- ``source``: vouches that the text differentiated is the text the function was compiled from.
- ``gate``: the language gate; the first construct outside the supported language is a located error.
- ``resolve``: what each name in call position is (a rule, a user function, a helper, unknown).
- ``prepare``: the gate then resolve, for the function and for each helper normalize inlines.
"""
