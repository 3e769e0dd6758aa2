"""Judging examples: verdict.py (the order every example goes through), static.py (what is wrong before running),
features.py (a brand's platform features), claims.py (an error table's rows tried against the platform).
"""
