"""Executable examples: find the guide's code blocks per brand, run them against an endpoint, compare output."""
