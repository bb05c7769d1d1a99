-- The tables of 0003_projections.sql move to the projection file (../sqlite_projections/,
-- attached as schema `projection`; adapters/storage/sqlite/sqlite_event_store.hpp), so that a
-- projector commit neither waits for nor takes the event log's write lock, and does not empty
-- the event writer's page cache. The projection file's own migrations run first and create
-- the tables there; this one copies the rows of a database migrated before, then drops the
-- originals (on a fresh database they are empty).
--
-- In WAL mode a transaction over two files is atomic per file only. If a crash commits one
-- file and not the other: either the event database rolled back, and this migration runs again
-- (`INSERT OR REPLACE` copies the same rows again), or the projection file rolled back, and it
-- lost its copy together with its checkpoints, so the projector re-projects those streams from
-- their first event.
INSERT OR REPLACE INTO projection.projections SELECT * FROM main.projections;
INSERT OR REPLACE INTO projection.projection_checkpoints SELECT * FROM main.projection_checkpoints;
INSERT OR REPLACE INTO projection.dead_letter_events SELECT * FROM main.dead_letter_events;
INSERT OR REPLACE INTO projection.audit_log SELECT * FROM main.audit_log;
INSERT OR REPLACE INTO projection.projections_rebuild SELECT * FROM main.projections_rebuild;
INSERT OR REPLACE INTO projection.projection_checkpoints_rebuild
    SELECT * FROM main.projection_checkpoints_rebuild;
INSERT OR REPLACE INTO projection.dead_letter_events_rebuild
    SELECT * FROM main.dead_letter_events_rebuild;
DROP TABLE main.projections;
DROP TABLE main.projection_checkpoints;
DROP TABLE main.dead_letter_events;
DROP TABLE main.audit_log;
DROP TABLE main.projections_rebuild;
DROP TABLE main.projection_checkpoints_rebuild;
DROP TABLE main.dead_letter_events_rebuild;
