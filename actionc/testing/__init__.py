"""Hypothesis strategies and property checks for actionc models (needs the
`test` extra: pip install "actionc[test]").

- actionc.testing.text: strategies for .act source text (well-formed models
  of every kind, and raw token soup for fuzzing).
"""
