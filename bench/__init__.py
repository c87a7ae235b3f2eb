"""Benchmarks: build speed against Hugo, Lambda cold start."""
