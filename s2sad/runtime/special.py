"""The helpers of the rules in s2sad/rules/special.py."""
