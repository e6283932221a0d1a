"""What tests/, bench/ and docker/minimal share: the sample site, the real server as a process, ports, load.

One importable place, beside cmd/ and server/ and imported from the repository root as they are,
so that no benchmark or build script reaches into tests/ and no test into bench/. The Docker
build copies it next to tests/ (the suite runs there) and into the minimal-tree stage (smoke.py
serves the sample site). Never shipped: the run images copy only server/.
"""
