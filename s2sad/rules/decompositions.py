"""Matrix decompositions and functions (numpy.linalg and scipy.linalg): cholesky, slogdet, eigh, svd, qr,
pinv, lstsq, triangular and factored solves, expm, sqrtm; the norms of every ord.
"""
