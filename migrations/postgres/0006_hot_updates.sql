-- Room for heap-only (HOT) updates in the tables that are updated in place on every event or
-- every batch. Their updated columns are not indexed, so an update that finds free space on
-- its page writes no new index entry. Without the room, every update of an entity version or a
-- projection added an entry to the primary key, and the key filled with dead entries that each
-- later probe walked: the compare-and-set of a 100-event group went from 1 ms to 4 ms within
-- 20 s of load (bench/README.md, tuning log). Existing pages get the room as they are rewritten.
ALTER TABLE entity_versions SET (fillfactor = 50);
ALTER TABLE projections SET (fillfactor = 70);
ALTER TABLE projections_rebuild SET (fillfactor = 70);
ALTER TABLE projection_checkpoints SET (fillfactor = 50);
