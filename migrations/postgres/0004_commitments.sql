-- VES and legacy commitments (PostgreSQL), the reference's tables (wire-contract §7.1:
-- `commitments` from its migrations 001/003, `ves_commitments` from 002/003). The chain fields
-- stay NULL until the anchor service reports a transaction.

CREATE TABLE ves_commitments (
    batch_id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    ves_version INTEGER NOT NULL DEFAULT 1,
    tree_depth INTEGER NOT NULL,
    leaf_count INTEGER NOT NULL,
    padded_leaf_count INTEGER NOT NULL,
    merkle_root BYTEA NOT NULL CHECK (length(merkle_root) = 32),
    prev_state_root BYTEA NOT NULL CHECK (length(prev_state_root) = 32),
    new_state_root BYTEA NOT NULL CHECK (length(new_state_root) = 32),
    sequence_start BIGINT NOT NULL,
    sequence_end BIGINT NOT NULL,
    committed_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    chain_id INTEGER,
    chain_tx_hash BYTEA CHECK (chain_tx_hash IS NULL OR length(chain_tx_hash) = 32),
    chain_block_number BIGINT,
    anchored_at TIMESTAMPTZ,
    CHECK (sequence_end >= sequence_start),
    CHECK (leaf_count = sequence_end - sequence_start + 1),
    UNIQUE (tenant_id, store_id, sequence_start)
);

CREATE INDEX ves_commitments_stream_end ON ves_commitments (tenant_id, store_id, sequence_end);
CREATE INDEX ves_commitments_pending ON ves_commitments (committed_at)
    WHERE chain_tx_hash IS NULL;

CREATE TABLE commitments (
    batch_id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    prev_state_root BYTEA NOT NULL,
    new_state_root BYTEA NOT NULL,
    events_root BYTEA NOT NULL,
    sequence_start BIGINT NOT NULL,
    sequence_end BIGINT NOT NULL,
    event_count INTEGER NOT NULL,
    committed_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    chain_tx_hash BYTEA CHECK (chain_tx_hash IS NULL OR length(chain_tx_hash) = 32),
    CHECK (sequence_end >= sequence_start),
    UNIQUE (tenant_id, store_id, sequence_start)
);

CREATE INDEX commitments_stream_end ON commitments (tenant_id, store_id, sequence_end);
CREATE INDEX commitments_pending ON commitments (chain_tx_hash) WHERE chain_tx_hash IS NULL;
