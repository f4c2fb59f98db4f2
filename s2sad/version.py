"""The s2sad version (pyproject.toml states it too; a test keeps them equal)."""

VERSION = "0.1.0"
