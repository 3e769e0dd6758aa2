"""The recording proxy between examples and the endpoint: recording.py (the proxy, which swaps a run's key for the
real one), process.py (the one process that holds the real key, and its client for pytest's workers).
"""
