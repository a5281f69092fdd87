"""Copies of rules the product has replaced, kept only so benchmarks can measure against them."""
