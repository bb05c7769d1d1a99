-- The reference's legacy ingest transaction (wire-contract §6.1) with its inserts batched
-- ("multi-row" variant; legacy_per_event.sql.in is the reference's form), as a pgbench script against
-- the project's own schema: counter row (sequence_counters) inserted if missing and locked with
-- SELECT … FOR UPDATE, :batch events inserted into `events` (payload as its compact JSON text,
-- as this project stores it), each event's entity version bumped, the counter updated, COMMIT.
-- Same generosity as ves_multirow.sql: one multi-row INSERT per batch, no look-up of existing
-- event ids, no command reservations.
--
--   pgbench -n -M prepared -f legacy_multirow.sql -D streams=64 -D batch=100 -c 8 -j 2 -T 10 URL
\set s random(1, :streams)
BEGIN;
INSERT INTO sequence_counters (tenant_id, store_id, current_sequence)
  VALUES ('7e7e7e7e-0000-4000-8000-000000000002',
          ('00000000-0000-4000-8000-' || lpad(:s::text, 12, '0'))::uuid, 0)
  ON CONFLICT (tenant_id, store_id) DO NOTHING;
SELECT current_sequence AS cur FROM sequence_counters
  WHERE tenant_id = '7e7e7e7e-0000-4000-8000-000000000002'
    AND store_id = ('00000000-0000-4000-8000-' || lpad(:s::text, 12, '0'))::uuid
  FOR UPDATE \gset
INSERT INTO events (event_id, command_id, sequence_number, tenant_id, store_id, entity_type,
    entity_id, event_type, payload, payload_encrypted, payload_hash, base_version,
    source_agent, signature, created_at, sequenced_at)
SELECT gen_random_uuid(), NULL, :cur::bigint + g, '7e7e7e7e-0000-4000-8000-000000000002',
    ('00000000-0000-4000-8000-' || lpad(:s::text, 12, '0'))::uuid, 'inventory',
    'sku-' || ((:cur::bigint + g) % 1000), 'inventory.adjusted',
    '{"amount":1000,"currency":"USD","customer_id":"cust-100000","lines":[{"qty":2,"sku":"SKU-1001","unit_price":625},{"qty":1,"sku":"SKU-2040","unit_price":1000}],"note":"bench","seq":0}',
    NULL, '\x20e1b134195439d673e53eddcd0b3877bd31654960a167076ccc346857a1a692'::bytea, NULL,
    'a9e00000-0000-4000-8000-000000000001', NULL, '2025-03-04T05:06:07.250Z'::timestamptz, now()
FROM generate_series(1, :batch::int) AS g;
INSERT INTO entity_versions (tenant_id, store_id, entity_type, entity_id, version, updated_at)
  SELECT '7e7e7e7e-0000-4000-8000-000000000002',
      ('00000000-0000-4000-8000-' || lpad(:s::text, 12, '0'))::uuid, 'inventory',
      'sku-' || ((:cur::bigint + g) % 1000), 1, now()
  FROM generate_series(1, :batch::int) AS g
  ON CONFLICT (tenant_id, store_id, entity_type, entity_id)
  DO UPDATE SET version = entity_versions.version + 1, updated_at = now();
UPDATE sequence_counters SET current_sequence = :cur::bigint + :batch::int, updated_at = now()
  WHERE tenant_id = '7e7e7e7e-0000-4000-8000-000000000002'
    AND store_id = ('00000000-0000-4000-8000-' || lpad(:s::text, 12, '0'))::uuid;
COMMIT;
