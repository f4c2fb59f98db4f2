"""Products beyond matmul: einsum, tensordot, kron, cross, vdot, matrix_power, convolve and correlate, polyval."""
