"""The ``eblog`` command: one entry point for the tools in cmd/ and the server in server/.

Installed from the wheel, this package also carries those two (as eblog/cmd and eblog/server);
see eblog/tree.py for how their imports find them.  In the repo they are found at the root.
"""
