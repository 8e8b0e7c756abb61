-- relay48 core schema: parties and keys, cases, milestones, outbox,
-- idempotency, bank directory, départements, mule accounts.
-- Times are timestamptz (UTC inside); amounts are integer minor units.
--
-- The rows a new case writes (milestones, outbox, idempotency key, mule
-- link) are written by the same statement as the case, so they carry no
-- foreign-key constraint: the checks would cost an index probe per row on
-- the intake's hot path and could never fail. Whatever deletes cases
-- (relay48 purge) deletes their rows too.

-- Who may call the API. role: 'partner', 'platform', 'bank:<BIC>',
-- 'police:<département>'. Only a SHA-256 of each key is stored.
CREATE TABLE api_keys (
    id          text PRIMARY KEY,              -- public part of the key, "r48_<id>_..."
    party       text NOT NULL,
    role        text NOT NULL CHECK (role ~ '^(partner|platform|bank:[A-Z0-9]{8}([A-Z0-9]{3})?|police:([0-9]{2}|2A|2B|9[78][0-9]|NATIONAL))$'),
    key_hash    bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE departements (
    code text PRIMARY KEY,
    name text NOT NULL
);

-- Country + national bank code -> BIC, shipped as data (sql/data/) and
-- loaded by `relay48 directory import`.
CREATE TABLE bank_directory (
    country    char(2) NOT NULL,
    bank_code  text NOT NULL,
    bic        text NOT NULL,
    name       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country, bank_code)
);

CREATE TABLE cases (
    id            bigserial PRIMARY KEY,
    ref           text NOT NULL UNIQUE,
    kind          text NOT NULL CHECK (kind IN ('transfer', 'card')),
    channel       text NOT NULL CHECK (channel IN ('api', 'web', 'bank', 'perceval')),
    submitted_by  text,                         -- api key id, or NULL for the web form
    rail          text NOT NULL CHECK (rail IN ('sct', 'sct_inst', 'swift', 'card', 'unknown')),
    state         text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved', 'expired', 'closed')),
    window_state  text NOT NULL CHECK (window_state IN ('open', 'expired_on_arrival')),
    start_at      timestamptz NOT NULL,         -- executed_at, or the earliest card operation
    received_at   timestamptz NOT NULL,         -- the relay's clock
    deadline_at   timestamptz NOT NULL,
    amount_minor  bigint NOT NULL CHECK (amount_minor > 0),
    currency      char(3) NOT NULL,
    debtor_iban   text,
    debtor_bic    text,
    creditor_iban text,
    creditor_bic  text,
    card_bin      text CHECK (card_bin ~ '^[0-9]{6}([0-9]{2})?$'),
    card_last4    text CHECK (card_last4 ~ '^[0-9]{4}$'),
    receipt       text,
    scenario      text,
    departement   text,
    flags         text[] NOT NULL DEFAULT '{}',
    -- What the banks and police need to act and nothing more: victim contact,
    -- names, narrative, evidence hashes, card operations. Purged per retention.
    details       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX cases_open_deadline ON cases (deadline_at) WHERE state = 'open';
CREATE UNIQUE INDEX cases_receipt ON cases (receipt) WHERE receipt IS NOT NULL;

CREATE TABLE milestones (
    case_id   bigint NOT NULL,               -- cases.id
    name      text NOT NULL CHECK (name IN ('alert', 'reminder', 'critical', 'expiry')),
    due_at    timestamptz NOT NULL,
    severity  text NOT NULL CHECK (severity IN ('alert', 'high', 'critical', 'expired')),
    state     text NOT NULL CHECK (state IN ('pending', 'fired', 'skipped')),
    fired_at  timestamptz,
    PRIMARY KEY (case_id, name)
);
CREATE INDEX milestones_pending_due ON milestones (due_at) WHERE state = 'pending';

-- Events waiting for Kafka. A row is deleted -- marked published -- only
-- from the producer's delivery report: what this table holds is exactly
-- what Kafka has not confirmed yet (the events themselves are on Kafka).
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    event_id     uuid NOT NULL,                 -- ce_id: random, what consumers de-duplicate on
    topic        text NOT NULL,
    key          text NOT NULL,
    type         text NOT NULL,
    case_ref     text,
    payload      text NOT NULL,                 -- the JSON text published, byte for byte
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Idempotency-Key of partner requests: same key + same body -> 200 with the
-- same answer; other body -> 409.
CREATE TABLE idempotency_keys (
    party        text NOT NULL,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    case_ref     text NOT NULL,                 -- cases.ref
    response     jsonb NOT NULL,                -- the 201 body, answered again with 200
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (party, key)
);

-- Beneficiary accounts seen in reports: one row per IBAN, linking every case
-- that names it.
CREATE TABLE mule_accounts (
    iban          text PRIMARY KEY,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE mule_links (
    iban    text NOT NULL,                      -- mule_accounts.iban
    case_id bigint NOT NULL,                    -- cases.id
    PRIMARY KEY (iban, case_id)
);
CREATE INDEX mule_links_case ON mule_links (case_id);
