-- VES and legacy commitments (SQLite). Encodings as in 0001_events.sql (UUID → TEXT,
-- BYTEA → BLOB, TIMESTAMPTZ → INTEGER µs). Same tables and columns as
-- migrations/postgres/0004_commitments.sql (wire-contract §7.1). The chain fields stay NULL
-- until the anchor service reports a transaction.

CREATE TABLE ves_commitments (
    batch_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    ves_version INTEGER NOT NULL DEFAULT 1,
    tree_depth INTEGER NOT NULL,
    leaf_count INTEGER NOT NULL,
    padded_leaf_count INTEGER NOT NULL,
    merkle_root BLOB NOT NULL CHECK (length(merkle_root) = 32),
    prev_state_root BLOB NOT NULL CHECK (length(prev_state_root) = 32),
    new_state_root BLOB NOT NULL CHECK (length(new_state_root) = 32),
    sequence_start INTEGER NOT NULL,
    sequence_end INTEGER NOT NULL,
    committed_at INTEGER NOT NULL,
    chain_id INTEGER,
    chain_tx_hash BLOB CHECK (chain_tx_hash IS NULL OR length(chain_tx_hash) = 32),
    chain_block_number INTEGER,
    anchored_at INTEGER,
    CHECK (sequence_end >= sequence_start),
    CHECK (leaf_count = sequence_end - sequence_start + 1),
    UNIQUE (tenant_id, store_id, sequence_start)
) STRICT;

CREATE INDEX ves_commitments_stream_end ON ves_commitments (tenant_id, store_id, sequence_end);
CREATE INDEX ves_commitments_pending ON ves_commitments (committed_at)
    WHERE chain_tx_hash IS NULL;

CREATE TABLE commitments (
    batch_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    prev_state_root BLOB NOT NULL CHECK (length(prev_state_root) = 32),
    new_state_root BLOB NOT NULL CHECK (length(new_state_root) = 32),
    events_root BLOB NOT NULL CHECK (length(events_root) = 32),
    sequence_start INTEGER NOT NULL,
    sequence_end INTEGER NOT NULL,
    event_count INTEGER NOT NULL,
    committed_at INTEGER NOT NULL,
    chain_tx_hash BLOB CHECK (chain_tx_hash IS NULL OR length(chain_tx_hash) = 32),
    CHECK (sequence_end >= sequence_start),
    UNIQUE (tenant_id, store_id, sequence_start)
) STRICT;

CREATE INDEX commitments_stream_end ON commitments (tenant_id, store_id, sequence_end);
CREATE INDEX commitments_pending ON commitments (committed_at) WHERE chain_tx_hash IS NULL;
