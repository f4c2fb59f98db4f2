"""The helpers of the rules in s2sad/rules/decompositions.py."""
