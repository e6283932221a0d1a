"""prezip: pack the built site into one deterministic zip, the server's precompressed store.

Every file is stored with DEFLATE at level 9, except the formats that are
compressed already (images, fonts, archives), which are stored as they are.  A zip entry's raw DEFLATE
stream, followed by the entry's CRC-32 and uncompressed size, is exactly the
body and trailer of a gzip member (RFC 1952).  So the server answers
``Accept-Encoding: gzip`` by prefixing a fixed 10-byte gzip header to the
stream it finds in the zip and appending the 8-byte trailer: no compression at
request time, and the work is done once, here, at level 9.

Determinism: entries are sorted by path, carry one fixed timestamp
(SOURCE_DATE_EPOCH when set, else 1980-01-01) and fixed permissions, and no
extra fields (but zip64's, on an entry past 4 GiB), so the same site gives a
byte-identical zip and Docker's layer cache stays warm downstream.

Safety: the zip is replaced only whole and synced (``-o FILE``), a symlink
never brings in a file from outside OUT_DIR, and OUT_DIR is read under a
shared lock, so never while a build that takes cmd.shared.buildlock writes it.
"""
