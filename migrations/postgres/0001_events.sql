-- Event logs, receipts, entity versions and command dedupe (PostgreSQL).
-- Column names and types follow the reference (stateset-sequencer) wherever a table means the
-- same thing. Heads are MAX(sequence_number) of each log; the counter tables exist only so
-- operators of the reference find them, and are never read, locked or required.

-- VES events (reference migrations 002/014/015). `payload` holds the event's JCS payload as
-- JSONB; the store re-canonicalises it (RFC 8785) on read, so the signed bytes come back exactly.
CREATE TABLE ves_events (
    event_id UUID PRIMARY KEY,
    command_id UUID,
    ves_version INTEGER NOT NULL DEFAULT 1 CHECK (ves_version >= 1),
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    source_agent_id UUID NOT NULL,
    agent_key_id INTEGER NOT NULL,
    entity_type VARCHAR(128) NOT NULL,
    entity_id VARCHAR(512) NOT NULL,
    event_type VARCHAR(256) NOT NULL,
    -- parsed from created_at_str; NULL only if the signed string is not RFC 3339
    created_at TIMESTAMPTZ,
    created_at_str TEXT NOT NULL,
    sequenced_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    payload_kind INTEGER NOT NULL DEFAULT 0 CHECK (payload_kind IN (0, 1)),
    payload JSONB,
    payload_encrypted JSONB,
    payload_plain_hash BYTEA NOT NULL CHECK (length(payload_plain_hash) = 32),
    payload_cipher_hash BYTEA NOT NULL CHECK (length(payload_cipher_hash) = 32),
    event_signing_hash BYTEA NOT NULL CHECK (length(event_signing_hash) = 32),
    agent_signature BYTEA NOT NULL CHECK (length(agent_signature) = 64),
    sequence_number BIGINT NOT NULL CHECK (sequence_number > 0),
    base_version BIGINT,
    agent_signature_scheme SMALLINT NOT NULL DEFAULT 0,
    agent_signature_bundle BYTEA,
    CONSTRAINT ves_events_payload_shape CHECK (
        (payload_kind = 0 AND payload IS NOT NULL AND payload_encrypted IS NULL)
        OR (payload_kind = 1 AND payload IS NULL AND payload_encrypted IS NOT NULL)),
    CONSTRAINT ves_events_stream_sequence_key UNIQUE (tenant_id, store_id, sequence_number)
);
CREATE INDEX idx_ves_events_entity
    ON ves_events (tenant_id, store_id, entity_type, entity_id, sequence_number);
CREATE INDEX idx_ves_events_command ON ves_events (command_id) WHERE command_id IS NOT NULL;
CREATE INDEX idx_ves_events_agent ON ves_events (tenant_id, source_agent_id, sequenced_at);

CREATE TABLE ves_sequencer_receipts (
    event_id UUID PRIMARY KEY REFERENCES ves_events (event_id),
    sequencer_id UUID NOT NULL,
    sequence_number BIGINT NOT NULL,
    sequenced_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    receipt_hash BYTEA NOT NULL CHECK (length(receipt_hash) = 32),
    sequencer_signature BYTEA
        CHECK (sequencer_signature IS NULL OR length(sequencer_signature) = 64),
    sequencer_key_version INTEGER NOT NULL DEFAULT 0,
    receipt_signature_scheme SMALLINT NOT NULL DEFAULT 0,
    receipt_signature_bundle BYTEA
);

-- Legacy (non-VES) events (reference migrations 001/014).
-- DEVIATION from the reference: the payload is kept as its compact JSON text in `payload`
-- (document order, byte-exact). The reference's `payload_encrypted` (its at-rest blob) is kept
-- for column parity but is nullable and not written by this project.
CREATE TABLE events (
    event_id UUID PRIMARY KEY,
    command_id UUID,
    sequence_number BIGINT NOT NULL CHECK (sequence_number > 0),
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    entity_type VARCHAR(128) NOT NULL,
    entity_id VARCHAR(512) NOT NULL,
    event_type VARCHAR(256) NOT NULL,
    payload TEXT NOT NULL,
    payload_encrypted BYTEA,
    payload_hash BYTEA NOT NULL CHECK (length(payload_hash) = 32),
    base_version BIGINT,
    source_agent UUID NOT NULL,
    signature BYTEA,
    created_at TIMESTAMPTZ NOT NULL,
    sequenced_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT events_stream_sequence_key UNIQUE (tenant_id, store_id, sequence_number)
);
CREATE INDEX idx_events_entity
    ON events (tenant_id, store_id, entity_type, entity_id, sequence_number);
CREATE INDEX idx_events_command ON events (command_id) WHERE command_id IS NOT NULL;
CREATE INDEX idx_events_type ON events (tenant_id, store_id, event_type, sequence_number);

-- Shared by the legacy and VES paths; written only through compare-and-set.
CREATE TABLE entity_versions (
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    entity_type VARCHAR(128) NOT NULL,
    entity_id VARCHAR(512) NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (tenant_id, store_id, entity_type, entity_id)
);

CREATE TABLE event_command_dedupe (
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    command_id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (tenant_id, store_id, command_id)
);

CREATE TABLE ves_command_dedupe (
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    command_id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (tenant_id, store_id, command_id)
);

-- Operator parity only: never read, locked or required by this project.
CREATE TABLE sequence_counters (
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    current_sequence BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (tenant_id, store_id)
);

CREATE TABLE ves_sequence_counters (
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    current_sequence BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (tenant_id, store_id)
);

-- Raised by commit_group when an entity-version compare-and-set misses (SQLSTATE SQ409), so the
-- whole group fails inside the same pipeline that carries its COMMIT.
CREATE FUNCTION seq_require_cas(applied BIGINT, wanted BIGINT) RETURNS BIGINT
LANGUAGE plpgsql AS $$
BEGIN
    IF applied <> wanted THEN
        RAISE EXCEPTION 'entity version compare-and-set failed (% of % applied)', applied, wanted
            USING ERRCODE = 'SQ409';
    END IF;
    RETURN applied;
END
$$;
