"""Tests of bench/'s own logic (not of the figures it measures).

The Docker test stage copies tests/ without bench/: there nothing here can be imported, so nothing
is collected. Everywhere else (CI included) these run.
"""

from testing.collection import only_beside

collect_ignore_glob = only_beside("bench")
