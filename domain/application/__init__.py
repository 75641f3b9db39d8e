"""The domain's machinery: the eventsourcing application, its recorders, the write path's
threads and processes, the log's event store checks and re-verification. It runs the pure
model (:mod:`domain.model`) against storage."""
