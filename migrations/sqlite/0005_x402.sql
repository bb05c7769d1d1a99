-- x402 payment intents, batches, nonces (SQLite). Encodings as in 0001_events.sql (UUID → TEXT,
-- BYTEA → BLOB, TIMESTAMPTZ → INTEGER µs, JSONB → TEXT). Same tables and columns as
-- migrations/postgres/0005_x402.sql (wire-contract §7.1, the reference's migrations 011/016).
-- `nonce` holds the u64 nonce as its i64 bit pattern (as the reference does). Intents are
-- written by the stream sequencer's group commit, already `sequenced`; the head of the x402
-- space is MAX(sequence_number) (the counter table exists for operator parity only).

CREATE TABLE x402_payment_intents (
    intent_id TEXT PRIMARY KEY,
    x402_version INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sequenced', 'batched', 'settled', 'expired', 'failed')),
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    source_agent_id TEXT NOT NULL,
    agent_key_id INTEGER,
    payer_address TEXT NOT NULL CHECK (length(payer_address) <= 66),
    payee_address TEXT NOT NULL CHECK (length(payee_address) <= 66),
    amount INTEGER NOT NULL CHECK (amount > 0),
    asset TEXT NOT NULL DEFAULT 'usdc',
    network TEXT NOT NULL DEFAULT 'set_chain',
    chain_id INTEGER NOT NULL,
    token_address TEXT,
    created_at_unix INTEGER NOT NULL,
    valid_until INTEGER NOT NULL,
    nonce INTEGER NOT NULL,
    idempotency_key TEXT,
    resource_uri TEXT,
    description TEXT,
    order_id TEXT,
    merchant_id TEXT,
    signing_hash BLOB NOT NULL CHECK (length(signing_hash) = 32),
    payer_signature BLOB NOT NULL CHECK (length(payer_signature) = 64),
    payer_public_key BLOB CHECK (payer_public_key IS NULL OR length(payer_public_key) = 32),
    sequence_number INTEGER CHECK (sequence_number IS NULL OR sequence_number > 0),
    sequenced_at INTEGER,
    batch_id TEXT,
    tx_hash TEXT,
    block_number INTEGER,
    settled_at INTEGER,
    metadata TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK (valid_until >= created_at_unix),
    CONSTRAINT x402_intents_stream_sequence_key UNIQUE (tenant_id, store_id, sequence_number)
) STRICT;
CREATE UNIQUE INDEX idx_x402_intents_idempotency
    ON x402_payment_intents (tenant_id, store_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX idx_x402_intents_created ON x402_payment_intents (tenant_id, store_id, created_at);
CREATE INDEX idx_x402_intents_status ON x402_payment_intents (status);
CREATE INDEX idx_x402_intents_payer ON x402_payment_intents (tenant_id, payer_address);
CREATE INDEX idx_x402_intents_payee ON x402_payment_intents (tenant_id, payee_address);
CREATE INDEX idx_x402_intents_batch ON x402_payment_intents (batch_id)
    WHERE batch_id IS NOT NULL;
CREATE INDEX idx_x402_intents_pending
    ON x402_payment_intents (tenant_id, store_id, network, sequence_number)
    WHERE status = 'sequenced';

CREATE TABLE x402_payment_batches (
    batch_id TEXT PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'committed', 'submitted', 'settled', 'failed')),
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    network TEXT NOT NULL,
    payment_count INTEGER NOT NULL DEFAULT 0,
    total_amounts TEXT NOT NULL DEFAULT '[]',
    merkle_root BLOB CHECK (merkle_root IS NULL OR length(merkle_root) = 32),
    prev_state_root BLOB CHECK (prev_state_root IS NULL OR length(prev_state_root) = 32),
    new_state_root BLOB CHECK (new_state_root IS NULL OR length(new_state_root) = 32),
    sequence_start INTEGER NOT NULL DEFAULT 0,
    sequence_end INTEGER NOT NULL DEFAULT 0,
    tx_hash TEXT,
    block_number INTEGER,
    gas_used INTEGER,
    created_at INTEGER NOT NULL,
    committed_at INTEGER,
    submitted_at INTEGER,
    settled_at INTEGER
) STRICT;
CREATE INDEX idx_x402_batches_stream
    ON x402_payment_batches (tenant_id, store_id, network, status, created_at);

CREATE TABLE x402_sequence_counters (
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    current_sequence INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, store_id)
) STRICT;

CREATE TABLE x402_nonce_tracking (
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    payer_address TEXT NOT NULL,
    nonce INTEGER NOT NULL,
    intent_id TEXT NOT NULL REFERENCES x402_payment_intents (intent_id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, store_id, payer_address, nonce)
) STRICT;
CREATE INDEX idx_x402_nonce_created ON x402_nonce_tracking (created_at);
