-- The projection file of the embedded backend: the tables of ../sqlite/0003_projections.sql
-- (projections, projection checkpoints, the dead-letter queue, the audit log, the rebuild shadow
-- tables) in a SQLite file of their own beside the event database, which every general-purpose
-- connection attaches as schema `projection` (adapters/storage/sqlite/sqlite_event_store.hpp).
-- A projector commit then takes neither the event log's write lock nor empties the event
-- writer's page cache. ../sqlite/0006_projection_file.sql moves the rows of a database
-- migrated before this file existed. Same columns, encodings and constraints as 0003.

-- The current state of each entity of a stream. `state` is the JSON object in RFC 8785 form;
-- `version` counts the events applied to the entity; (`space`, `last_sequence`) name the last
-- one (space 0 = legacy, 1 = VES).
CREATE TABLE projection.projections (
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (json_valid(state)),
    version INTEGER NOT NULL CHECK (version >= 0),
    space INTEGER NOT NULL CHECK (space IN (0, 1)),
    last_sequence INTEGER NOT NULL CHECK (last_sequence >= 0),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, store_id, entity_type, entity_id)
) STRICT;

-- One row per stream (reference table, PK (tenant_id, store_id)): `last_projected_sequence`
-- is the legacy space's checkpoint (the reference's projection runner read the legacy log);
-- this project adds `last_projected_ves_sequence` for the VES space. Every event up to and
-- including a checkpoint has been applied, parked or skipped, in the same transaction that
-- moved the checkpoint.
CREATE TABLE projection.projection_checkpoints (
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    last_projected_sequence INTEGER NOT NULL DEFAULT 0,
    last_projected_ves_sequence INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, store_id)
) STRICT;

-- Events the projector could not apply (reference columns plus space, sequence_number,
-- entity_type, entity_id, blocked_behind, updated_at). Statuses: pending, retrying, resolved,
-- dead (the reference's `failed`). `payload` and `metadata` exist for column parity only: the
-- event stays in its log and is read from there on retry.
CREATE TABLE projection.dead_letter_events (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    space INTEGER NOT NULL CHECK (space IN (0, 1)),
    sequence_number INTEGER NOT NULL CHECK (sequence_number > 0),
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('version_conflict', 'invariant_violation',
        'invalid_state_transition', 'schema_validation', 'handler_error')),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'retrying', 'resolved', 'dead')),
    error_message TEXT NOT NULL DEFAULT '',
    retry_count INTEGER NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    max_retries INTEGER NOT NULL DEFAULT 10 CHECK (max_retries >= 0),
    last_retry_at INTEGER,
    next_retry_at INTEGER,
    blocked_behind INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    payload TEXT,
    metadata TEXT,
    CONSTRAINT dead_letter_events_event_key UNIQUE (event_id, space)
) STRICT;
CREATE INDEX projection.idx_dead_letter_events_stream
    ON dead_letter_events (tenant_id, store_id, space, sequence_number);
CREATE INDEX projection.idx_dead_letter_events_entity
    ON dead_letter_events (tenant_id, store_id, entity_type, entity_id);
CREATE INDEX projection.idx_dead_letter_events_reason ON dead_letter_events (reason);
CREATE INDEX projection.idx_dead_letter_events_created ON dead_letter_events (created_at);
CREATE INDEX projection.idx_dead_letter_events_retry
    ON dead_letter_events (status, next_retry_at) WHERE status = 'pending';

-- Operator actions (reference columns; the reference creates this table at start-up).
CREATE TABLE projection.audit_log (
    id TEXT PRIMARY KEY,
    timestamp INTEGER NOT NULL,
    action TEXT NOT NULL,
    actor TEXT,
    actor_type TEXT,
    tenant_id TEXT,
    resource_type TEXT,
    resource_id TEXT,
    request_id TEXT,
    ip_address TEXT,
    user_agent TEXT,
    details TEXT CHECK (details IS NULL OR json_valid(details)),
    success INTEGER NOT NULL DEFAULT 1,
    error_message TEXT
) STRICT;
CREATE INDEX projection.idx_audit_log_timestamp ON audit_log (timestamp DESC);
CREATE INDEX projection.idx_audit_log_actor ON audit_log (actor);
CREATE INDEX projection.idx_audit_log_action ON audit_log (action);
CREATE INDEX projection.idx_audit_log_tenant ON audit_log (tenant_id);
CREATE INDEX projection.idx_audit_log_resource ON audit_log (resource_type, resource_id);

-- Shadow tables of `ves projections rebuild`: same columns, filled per stream, swapped into
-- the live tables in one transaction, then emptied.
CREATE TABLE projection.projections_rebuild (
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (json_valid(state)),
    version INTEGER NOT NULL CHECK (version >= 0),
    space INTEGER NOT NULL CHECK (space IN (0, 1)),
    last_sequence INTEGER NOT NULL CHECK (last_sequence >= 0),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, store_id, entity_type, entity_id)
) STRICT;

CREATE TABLE projection.projection_checkpoints_rebuild (
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    last_projected_sequence INTEGER NOT NULL DEFAULT 0,
    last_projected_ves_sequence INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, store_id)
) STRICT;

CREATE TABLE projection.dead_letter_events_rebuild (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    space INTEGER NOT NULL CHECK (space IN (0, 1)),
    sequence_number INTEGER NOT NULL CHECK (sequence_number > 0),
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('version_conflict', 'invariant_violation',
        'invalid_state_transition', 'schema_validation', 'handler_error')),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'retrying', 'resolved', 'dead')),
    error_message TEXT NOT NULL DEFAULT '',
    retry_count INTEGER NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    max_retries INTEGER NOT NULL DEFAULT 10 CHECK (max_retries >= 0),
    last_retry_at INTEGER,
    next_retry_at INTEGER,
    blocked_behind INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    payload TEXT,
    metadata TEXT,
    CONSTRAINT dead_letter_events_rebuild_event_key UNIQUE (event_id, space)
) STRICT;
CREATE INDEX projection.idx_dead_letter_events_rebuild_stream
    ON dead_letter_events_rebuild (tenant_id, store_id, space, sequence_number);
