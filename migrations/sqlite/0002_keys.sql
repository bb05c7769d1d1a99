-- Agent signing keys and API keys (SQLite). Encodings as in 0001_events.sql; api_keys.store_ids
-- is a TEXT of comma-separated canonical UUIDs ('' = all stores).

CREATE TABLE agent_signing_keys (
    tenant_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    key_id INTEGER NOT NULL,
    public_key BLOB NOT NULL CHECK (length(public_key) = 32),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'expired')),
    valid_from INTEGER,
    valid_to INTEGER,
    revoked_at INTEGER,
    metadata TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    grace_until INTEGER,
    rotation_reason TEXT,
    key_algorithm INTEGER NOT NULL DEFAULT 1,
    public_key_bundle BLOB,
    proof_of_possession BLOB,
    proof_of_possession_bundle BLOB,
    PRIMARY KEY (tenant_id, agent_id, key_id),
    CONSTRAINT agent_signing_keys_revoked_check
        CHECK ((status = 'revoked') = (revoked_at IS NOT NULL)),
    CONSTRAINT agent_signing_keys_validity_check
        CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to),
    CONSTRAINT agent_signing_keys_grace_check
        CHECK (grace_until IS NULL OR expires_at IS NULL OR grace_until >= expires_at)
) STRICT;
CREATE INDEX idx_agent_signing_keys_agent ON agent_signing_keys (tenant_id, agent_id);

CREATE TABLE api_keys (
    key_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    store_ids TEXT NOT NULL DEFAULT '',
    can_read INTEGER NOT NULL DEFAULT 1,
    can_write INTEGER NOT NULL DEFAULT 0,
    can_admin INTEGER NOT NULL DEFAULT 0,
    agent_id TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    rate_limit INTEGER CHECK (rate_limit IS NULL OR rate_limit > 0),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_api_keys_tenant ON api_keys (tenant_id, updated_at DESC);
CREATE INDEX idx_api_keys_agent ON api_keys (agent_id, updated_at DESC) WHERE agent_id IS NOT NULL;
