-- x402 payment intents, batches, nonces (PostgreSQL): the reference's tables (wire-contract
-- §7.1, its migrations 011/016). `nonce` holds the u64 nonce as its i64 bit pattern (as the
-- reference does). Intents are written by the stream sequencer's group commit, already
-- `sequenced`; the head of the x402 space is MAX(sequence_number) (the counter table exists
-- for operator parity only and is never locked).

CREATE TABLE x402_payment_intents (
    intent_id UUID PRIMARY KEY,
    x402_version INTEGER NOT NULL DEFAULT 1,
    status VARCHAR(20) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sequenced', 'batched', 'settled', 'expired', 'failed')),
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    source_agent_id UUID NOT NULL,
    agent_key_id INTEGER,
    payer_address VARCHAR(66) NOT NULL,
    payee_address VARCHAR(66) NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    asset VARCHAR(20) NOT NULL DEFAULT 'usdc',
    network VARCHAR(30) NOT NULL DEFAULT 'set_chain',
    chain_id BIGINT NOT NULL,
    token_address VARCHAR(66),
    created_at_unix BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    nonce BIGINT NOT NULL,
    idempotency_key VARCHAR(255),
    resource_uri TEXT,
    description TEXT,
    order_id UUID,
    merchant_id VARCHAR(1024),
    signing_hash BYTEA NOT NULL CHECK (length(signing_hash) = 32),
    payer_signature BYTEA NOT NULL CHECK (length(payer_signature) = 64),
    payer_public_key BYTEA CHECK (payer_public_key IS NULL OR length(payer_public_key) = 32),
    sequence_number BIGINT CHECK (sequence_number IS NULL OR sequence_number > 0),
    sequenced_at TIMESTAMPTZ,
    batch_id UUID,
    tx_hash VARCHAR(66),
    block_number BIGINT,
    settled_at TIMESTAMPTZ,
    metadata JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CHECK (valid_until >= created_at_unix),
    CONSTRAINT x402_intents_stream_sequence_key UNIQUE (tenant_id, store_id, sequence_number)
);
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
    batch_id UUID PRIMARY KEY,
    status VARCHAR(20) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'committed', 'submitted', 'settled', 'failed')),
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    network VARCHAR(30) NOT NULL,
    payment_count INTEGER NOT NULL DEFAULT 0,
    total_amounts JSONB NOT NULL DEFAULT '[]',
    merkle_root BYTEA CHECK (merkle_root IS NULL OR length(merkle_root) = 32),
    prev_state_root BYTEA CHECK (prev_state_root IS NULL OR length(prev_state_root) = 32),
    new_state_root BYTEA CHECK (new_state_root IS NULL OR length(new_state_root) = 32),
    sequence_start BIGINT NOT NULL DEFAULT 0,
    sequence_end BIGINT NOT NULL DEFAULT 0,
    tx_hash VARCHAR(66),
    block_number BIGINT,
    gas_used BIGINT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    committed_at TIMESTAMPTZ,
    submitted_at TIMESTAMPTZ,
    settled_at TIMESTAMPTZ
);
CREATE INDEX idx_x402_batches_stream
    ON x402_payment_batches (tenant_id, store_id, network, status, created_at);

CREATE TABLE x402_sequence_counters (
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    current_sequence BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (tenant_id, store_id)
);

CREATE TABLE x402_nonce_tracking (
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    payer_address VARCHAR(66) NOT NULL,
    nonce BIGINT NOT NULL,
    intent_id UUID NOT NULL REFERENCES x402_payment_intents (intent_id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (tenant_id, store_id, payer_address, nonce)
);
CREATE INDEX idx_x402_nonce_created ON x402_nonce_tracking (created_at);
