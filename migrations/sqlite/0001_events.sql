-- Event logs, receipts, entity versions and command dedupe (SQLite, embedded backend).
-- Same tables and column names as migrations/postgres/0001_events.sql, with these encodings:
--   UUID        -> TEXT, canonical lowercase hyphenated form
--   BYTEA       -> BLOB
--   TIMESTAMPTZ -> INTEGER microseconds since the Unix epoch (UTC)
--   JSONB       -> TEXT (ves_events.payload holds the JCS text verbatim)
-- Heads are MAX(sequence_number) of each log; the counter tables exist only for operator parity
-- and are never read, locked or required.

CREATE TABLE ves_events (
    event_id TEXT PRIMARY KEY,
    command_id TEXT,
    ves_version INTEGER NOT NULL DEFAULT 1 CHECK (ves_version >= 1),
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    source_agent_id TEXT NOT NULL,
    agent_key_id INTEGER NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    created_at INTEGER,
    created_at_str TEXT NOT NULL,
    sequenced_at INTEGER NOT NULL,
    payload_kind INTEGER NOT NULL DEFAULT 0 CHECK (payload_kind IN (0, 1)),
    payload TEXT,
    payload_encrypted TEXT,
    payload_plain_hash BLOB NOT NULL CHECK (length(payload_plain_hash) = 32),
    payload_cipher_hash BLOB NOT NULL CHECK (length(payload_cipher_hash) = 32),
    event_signing_hash BLOB NOT NULL CHECK (length(event_signing_hash) = 32),
    agent_signature BLOB NOT NULL CHECK (length(agent_signature) = 64),
    sequence_number INTEGER NOT NULL CHECK (sequence_number > 0),
    base_version INTEGER,
    agent_signature_scheme INTEGER NOT NULL DEFAULT 0,
    agent_signature_bundle BLOB,
    CONSTRAINT ves_events_payload_shape CHECK (
        (payload_kind = 0 AND payload IS NOT NULL AND payload_encrypted IS NULL)
        OR (payload_kind = 1 AND payload IS NULL AND payload_encrypted IS NOT NULL)),
    CONSTRAINT ves_events_stream_sequence_key UNIQUE (tenant_id, store_id, sequence_number)
) STRICT;
CREATE INDEX idx_ves_events_entity
    ON ves_events (tenant_id, store_id, entity_type, entity_id, sequence_number);
CREATE INDEX idx_ves_events_command ON ves_events (command_id) WHERE command_id IS NOT NULL;
CREATE INDEX idx_ves_events_agent ON ves_events (tenant_id, source_agent_id, sequenced_at);

CREATE TABLE ves_sequencer_receipts (
    event_id TEXT PRIMARY KEY REFERENCES ves_events (event_id),
    sequencer_id TEXT NOT NULL,
    sequence_number INTEGER NOT NULL,
    sequenced_at INTEGER NOT NULL,
    receipt_hash BLOB NOT NULL CHECK (length(receipt_hash) = 32),
    sequencer_signature BLOB
        CHECK (sequencer_signature IS NULL OR length(sequencer_signature) = 64),
    sequencer_key_version INTEGER NOT NULL DEFAULT 0,
    receipt_signature_scheme INTEGER NOT NULL DEFAULT 0,
    receipt_signature_bundle BLOB
) STRICT;

-- Legacy (non-VES) events.
-- DEVIATION from the reference: the payload is kept as its compact JSON text in `payload`
-- (document order, byte-exact); `payload_encrypted` exists for column parity only (unused).
CREATE TABLE events (
    event_id TEXT PRIMARY KEY,
    command_id TEXT,
    sequence_number INTEGER NOT NULL CHECK (sequence_number > 0),
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    payload_encrypted BLOB,
    payload_hash BLOB NOT NULL CHECK (length(payload_hash) = 32),
    base_version INTEGER,
    source_agent TEXT NOT NULL,
    signature BLOB,
    created_at INTEGER NOT NULL,
    sequenced_at INTEGER NOT NULL,
    CONSTRAINT events_stream_sequence_key UNIQUE (tenant_id, store_id, sequence_number)
) STRICT;
CREATE INDEX idx_events_entity
    ON events (tenant_id, store_id, entity_type, entity_id, sequence_number);
CREATE INDEX idx_events_command ON events (command_id) WHERE command_id IS NOT NULL;
CREATE INDEX idx_events_type ON events (tenant_id, store_id, event_type, sequence_number);

CREATE TABLE entity_versions (
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, store_id, entity_type, entity_id)
) STRICT;

CREATE TABLE event_command_dedupe (
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    command_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, store_id, command_id)
) STRICT;

CREATE TABLE ves_command_dedupe (
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    command_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, store_id, command_id)
) STRICT;

-- Operator parity only: never read, locked or required by this project.
CREATE TABLE sequence_counters (
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    current_sequence INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, store_id)
) STRICT;

CREATE TABLE ves_sequence_counters (
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    current_sequence INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, store_id)
) STRICT;
