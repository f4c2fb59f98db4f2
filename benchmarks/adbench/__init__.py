"""The AD field's standard benchmark problems, written in plain numpy as a user would write them.

One module per problem: ``objective(...)`` (the natural version, a scalar), ``inputs(size, rng)``
(sizes "small" and "medium", generated the way ADBench generates them) and ``WRT`` (the
arguments differentiated). ``python -m benchmarks.adbench`` runs them (see runner.py).
"""

PROBLEMS = ("gmm", "ba", "hand", "lstm", "least_squares", "logsumexp", "ode", "kmeans", "det", "saddle", "particle")
