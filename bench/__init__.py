"""Benchmarks with their targets. Run by hand: python -m bench.<name> --help."""
