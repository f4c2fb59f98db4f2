"""The helpers of the rules in s2sad/rules/products.py: einsum, tensordot, kron, cross, convolutions."""
