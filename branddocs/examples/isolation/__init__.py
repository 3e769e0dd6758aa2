"""What the kernel gives to keep examples apart, and the real key out of sight: no module here imports branddocs.

namespaces.py: user, PID, mount, IPC and network namespaces, mounts and capabilities through libc (loaded by path
by the Python zygote too); uids.py: the users isolation units run as; cgroups.py: memory cgroups that bound every
kind of memory; harness.py (with init.py, its PID 1): where pytest and the repository's code run during
`branddocs check`, unable to see the process that holds the real key.
"""
