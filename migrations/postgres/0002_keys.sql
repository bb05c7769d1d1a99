-- Agent signing keys and API keys (PostgreSQL), as in the reference (migrations 002/006/009/015).

CREATE TABLE agent_signing_keys (
    tenant_id UUID NOT NULL,
    agent_id UUID NOT NULL,
    key_id INTEGER NOT NULL,
    public_key BYTEA NOT NULL CHECK (length(public_key) = 32),
    status VARCHAR(16) NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'revoked', 'expired')),
    valid_from TIMESTAMPTZ,
    valid_to TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    metadata TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    expires_at TIMESTAMPTZ,
    grace_until TIMESTAMPTZ,
    rotation_reason VARCHAR(50),
    key_algorithm SMALLINT NOT NULL DEFAULT 1,
    public_key_bundle BYTEA,
    proof_of_possession BYTEA,
    proof_of_possession_bundle BYTEA,
    PRIMARY KEY (tenant_id, agent_id, key_id),
    CONSTRAINT agent_signing_keys_revoked_check
        CHECK ((status = 'revoked') = (revoked_at IS NOT NULL)),
    CONSTRAINT agent_signing_keys_validity_check
        CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to),
    CONSTRAINT agent_signing_keys_grace_check
        CHECK (grace_until IS NULL OR expires_at IS NULL OR grace_until >= expires_at)
);
CREATE INDEX idx_agent_signing_keys_agent ON agent_signing_keys (tenant_id, agent_id);
CREATE INDEX idx_agent_signing_keys_active
    ON agent_signing_keys (tenant_id, agent_id, key_id) WHERE status = 'active';
CREATE INDEX idx_agent_signing_keys_algorithm ON agent_signing_keys (tenant_id, key_algorithm);

CREATE TABLE api_keys (
    key_hash TEXT PRIMARY KEY,
    tenant_id UUID NOT NULL,
    store_ids UUID[] NOT NULL DEFAULT '{}',
    can_read BOOLEAN NOT NULL DEFAULT TRUE,
    can_write BOOLEAN NOT NULL DEFAULT FALSE,
    can_admin BOOLEAN NOT NULL DEFAULT FALSE,
    agent_id UUID,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    rate_limit INTEGER CHECK (rate_limit IS NULL OR rate_limit > 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_api_keys_tenant ON api_keys (tenant_id, updated_at DESC);
CREATE INDEX idx_api_keys_active ON api_keys (key_hash) WHERE active;
CREATE INDEX idx_api_keys_agent ON api_keys (agent_id, updated_at DESC) WHERE agent_id IS NOT NULL;
