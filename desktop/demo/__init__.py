"""Deterministic demo and benchmark data: a populated bannette for newcomers and for bench/."""
