"""Stress tests: crash, concurrency, damaged store, fuzzing, hostile text, resource bounds (README: What digest guarantees)."""
