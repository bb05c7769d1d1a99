-- The reference's VES ingest transaction (wire-contract §6.2, stateset-sequencer v0.2.7) with
-- its inserts batched ("multi-row" variant, the strongest lock-based form), as a pgbench script
-- against the project's own schema (migrations/postgres). One transaction per
-- request of :batch events into stream :s out of :streams (one tenant, stores numbered 1..S):
-- counter row inserted if missing, locked with SELECT … FOR UPDATE, the events and their
-- receipts inserted, each event's entity version bumped, the counter updated, COMMIT.
-- Rows have the shapes and sizes the server writes (adapters/storage/postgres/pg_event_store.cpp):
-- the load generator's ~175-byte order payload as JSONB, 32-byte hashes, 64-byte signatures,
-- entity ids cycling over 1000 per stream.
--
-- Deliberately generous to the baseline: the events of a batch go in ONE multi-row INSERT (the
-- reference issues one INSERT per event: ves_per_event.sql.in is that form), receipts ride in
-- the same statement, and the reference's look-up of existing event ids is left out. No HTTP, no JSON parsing of a
-- request, no signature verification or receipt signing.
--
--   pgbench -n -M prepared -f ves_multirow.sql -D streams=1 -D batch=1 -c 32 -j 2 -T 10 URL
\set s random(1, :streams)
BEGIN;
INSERT INTO ves_sequence_counters (tenant_id, store_id, current_sequence)
  VALUES ('7e7e7e7e-0000-4000-8000-000000000001',
          ('00000000-0000-4000-8000-' || lpad(:s::text, 12, '0'))::uuid, 0)
  ON CONFLICT (tenant_id, store_id) DO NOTHING;
SELECT current_sequence AS cur FROM ves_sequence_counters
  WHERE tenant_id = '7e7e7e7e-0000-4000-8000-000000000001'
    AND store_id = ('00000000-0000-4000-8000-' || lpad(:s::text, 12, '0'))::uuid
  FOR UPDATE \gset
WITH e AS (
  INSERT INTO ves_events (event_id, command_id, ves_version, tenant_id, store_id,
      source_agent_id, agent_key_id, entity_type, entity_id, event_type, created_at,
      created_at_str, sequenced_at, payload_kind, payload, payload_encrypted,
      payload_plain_hash, payload_cipher_hash, event_signing_hash, agent_signature,
      sequence_number, base_version, agent_signature_scheme)
  SELECT gen_random_uuid(), NULL, 1, '7e7e7e7e-0000-4000-8000-000000000001',
      ('00000000-0000-4000-8000-' || lpad(:s::text, 12, '0'))::uuid,
      'a9e00000-0000-4000-8000-000000000001', 1, 'inventory', 'sku-' || ((:cur::bigint + g) % 1000),
      'inventory.adjusted', '2025-03-04T05:06:07.250Z'::timestamptz, '2025-03-04T05:06:07.250Z',
      now(), 0,
      '{"amount":1000,"currency":"USD","customer_id":"cust-100000","lines":[{"qty":2,"sku":"SKU-1001","unit_price":625},{"qty":1,"sku":"SKU-2040","unit_price":1000}],"note":"bench","seq":0}'::jsonb,
      NULL,
      '\xea5e90efb039d68ec86c725eed0803ba6ef555476b200e381f334b9805ce4d45'::bytea,
      '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea,
      '\xe111e2b4750c4a4eeb7b39ee9683a28b96dd52c970b70fed4dd23d359db9595e'::bytea,
      '\xb54a1c8ee3a2b869455bb6a747a410fd9384494a275d80700b003ee83ce560ed46133350bf4453985062f9648953de00af08613473908defe3895fa4446093e1'::bytea,
      :cur::bigint + g, NULL, 0
  FROM generate_series(1, :batch::int) AS g
  RETURNING event_id, sequence_number, sequenced_at)
INSERT INTO ves_sequencer_receipts (event_id, sequencer_id, sequence_number, sequenced_at,
    receipt_hash, sequencer_signature, sequencer_key_version)
SELECT event_id, '5e9c0000-0000-4000-8000-00000000be0c', sequence_number, sequenced_at,
    '\x9fea7c6e305d24478ea5ba407eb68b5e8507bf644ba4b680096c43169bfcfd1d'::bytea,
    '\xce3b02cf6486d6ab9ba90ecb3c0517455b0ab5bd26ba38f1a1f11426c7ce5377d809b3ea31496b8dd195317d02a3d700a24ca0d9632296c34b7d84e95113fa68'::bytea,
    0
FROM e;
INSERT INTO entity_versions (tenant_id, store_id, entity_type, entity_id, version, updated_at)
  SELECT '7e7e7e7e-0000-4000-8000-000000000001',
      ('00000000-0000-4000-8000-' || lpad(:s::text, 12, '0'))::uuid, 'inventory',
      'sku-' || ((:cur::bigint + g) % 1000), 1, now()
  FROM generate_series(1, :batch::int) AS g
  ON CONFLICT (tenant_id, store_id, entity_type, entity_id)
  DO UPDATE SET version = entity_versions.version + 1, updated_at = now();
UPDATE ves_sequence_counters SET current_sequence = :cur::bigint + :batch::int, updated_at = now()
  WHERE tenant_id = '7e7e7e7e-0000-4000-8000-000000000001'
    AND store_id = ('00000000-0000-4000-8000-' || lpad(:s::text, 12, '0'))::uuid;
COMMIT;
