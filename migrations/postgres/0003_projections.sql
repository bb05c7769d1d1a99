-- Projections, projection checkpoints, the dead-letter queue, the audit log, and the shadow
-- tables `ves projections rebuild` fills before it swaps them in (PostgreSQL). Column names
-- follow the reference where a table means the same thing (projection_checkpoints,
-- dead_letter_events, audit_log; wire-contract §7.1).

-- The current state of each entity of a stream. `version` counts the events applied to the
-- entity; (`space`, `last_sequence`) name the last one (space 0 = legacy, 1 = VES). Entity ids
-- sort bytewise (COLLATE "C") so paging is the same on both backends.
CREATE TABLE projections (
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    entity_type VARCHAR(128) COLLATE "C" NOT NULL,
    entity_id VARCHAR(512) COLLATE "C" NOT NULL,
    state JSONB NOT NULL,
    version BIGINT NOT NULL CHECK (version >= 0),
    space SMALLINT NOT NULL CHECK (space IN (0, 1)),
    last_sequence BIGINT NOT NULL CHECK (last_sequence >= 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (tenant_id, store_id, entity_type, entity_id)
);

-- The reference's table (its migration 001: PK (tenant_id, store_id), last_projected_sequence,
-- updated_at; never written by the reference server). `last_projected_sequence` is the legacy
-- space's checkpoint; this project adds `last_projected_ves_sequence` for the VES space.
CREATE TABLE projection_checkpoints (
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    last_projected_sequence BIGINT NOT NULL DEFAULT 0,
    last_projected_ves_sequence BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (tenant_id, store_id)
);

-- The reference's dead_letter_events (created only by its unused PgDeadLetterQueue) plus
-- space, sequence_number, entity_type, entity_id, blocked_behind and updated_at. Statuses:
-- pending, retrying, resolved, dead (the reference's `failed`). An event is dead-lettered at
-- most once per space: (event_id, space) is unique. `payload` and `metadata` are kept for
-- column parity and not written: a retry reads the event from its log.
CREATE TABLE dead_letter_events (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id UUID NOT NULL,
    tenant_id UUID NOT NULL,
    store_id UUID NOT NULL,
    space SMALLINT NOT NULL CHECK (space IN (0, 1)),
    sequence_number BIGINT NOT NULL CHECK (sequence_number > 0),
    entity_type VARCHAR(128) NOT NULL,
    entity_id VARCHAR(512) NOT NULL,
    event_type TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('version_conflict', 'invariant_violation',
        'invalid_state_transition', 'schema_validation', 'handler_error')),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'retrying', 'resolved', 'dead')),
    error_message TEXT NOT NULL DEFAULT '',
    retry_count INTEGER NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    max_retries INTEGER NOT NULL DEFAULT 10 CHECK (max_retries >= 0),
    last_retry_at TIMESTAMPTZ,
    next_retry_at TIMESTAMPTZ,
    blocked_behind BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    payload JSONB,
    metadata JSONB,
    CONSTRAINT dead_letter_events_event_key UNIQUE (event_id, space)
);
CREATE INDEX idx_dead_letter_events_stream
    ON dead_letter_events (tenant_id, store_id, space, sequence_number);
CREATE INDEX idx_dead_letter_events_entity
    ON dead_letter_events (tenant_id, store_id, entity_type, entity_id);
CREATE INDEX idx_dead_letter_events_reason ON dead_letter_events (reason);
CREATE INDEX idx_dead_letter_events_created ON dead_letter_events (created_at);
CREATE INDEX idx_dead_letter_events_retry
    ON dead_letter_events (status, next_retry_at) WHERE status = 'pending';

-- Operator actions (the reference's runtime-created table, same columns and indexes).
CREATE TABLE audit_log (
    id UUID PRIMARY KEY,
    timestamp TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    action TEXT NOT NULL,
    actor TEXT,
    actor_type TEXT,
    tenant_id UUID,
    resource_type TEXT,
    resource_id TEXT,
    request_id TEXT,
    ip_address TEXT,
    user_agent TEXT,
    details JSONB,
    success BOOLEAN DEFAULT TRUE,
    error_message TEXT
);
CREATE INDEX idx_audit_log_timestamp ON audit_log (timestamp DESC);
CREATE INDEX idx_audit_log_actor ON audit_log (actor);
CREATE INDEX idx_audit_log_action ON audit_log (action);
CREATE INDEX idx_audit_log_tenant ON audit_log (tenant_id);
CREATE INDEX idx_audit_log_resource ON audit_log (resource_type, resource_id);

-- Shadow tables of `ves projections rebuild` (same columns, keys and checks), filled per
-- stream, swapped into the live tables in one transaction, then emptied.
CREATE TABLE projections_rebuild (LIKE projections INCLUDING ALL);
CREATE TABLE projection_checkpoints_rebuild (LIKE projection_checkpoints INCLUDING ALL);
CREATE TABLE dead_letter_events_rebuild (LIKE dead_letter_events INCLUDING ALL);

-- Raises SQLSTATE SQ409 (mapped to errc::storage_conflict) unless `ok`: the checkpoint fence of
-- a projector step and the catch-up check of a rebuild swap fail their transaction from inside
-- the pipeline that carries its COMMIT.
CREATE FUNCTION seq_require(ok BOOLEAN, what TEXT) RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
BEGIN
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION '%', what USING ERRCODE = 'SQ409';
    END IF;
    RETURN TRUE;
END
$$;
