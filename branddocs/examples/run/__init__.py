"""Running examples: each in a process of its own, in a sandbox whose only way out is the recording proxy.

process.py: one example's process (limits, output, traffic) and the endpoint under test (Target); sandbox.py:
bubblewrap; relay.py: a sandbox's first process; pool.py: processes started ahead (python_zygote.py forks one
Python process per example, running python_child.py; node_standby.mjs waits for one JavaScript example);
rows.py: the error tables' clients (rows_client.py: curl and the Python SDK; rows_client.mjs: the Node.js SDK);
first_run.py: what is decided before any example runs (whether to run, the endpoint's first answer, the proxy's
settings).
"""
