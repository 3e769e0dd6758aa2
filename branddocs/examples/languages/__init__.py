"""The example languages, one module each behind one small base class and registry (base.py)."""
