"""The pure elevator model: what the regulations say, as data and functions.

Nothing here does I/O: no SQL, no event store, no threads or processes
(tests/unit/test_architecture.py
holds every module here to that)."""
