-- relay48 bank webhooks and card declarations (docs/webhooks.md): the bank
-- registry with its signing secrets, the webhook ids already answered, and
-- the BIN table that names a card's issuing bank.
--
-- Perceval receipts need no table of their own: a declaration is a card
-- case, and the unique index cases_receipt (001_core.sql) is what makes a
-- receipt seen before give back its existing case.

-- Banks that push events to POST /v1/webhooks/banks/{bic} and to which the
-- bank connectors deliver (endpoint, format). Written by `relay48 bank`.
CREATE TABLE banks (
    bic         text PRIMARY KEY CHECK (bic ~ '^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    endpoint    text NOT NULL CHECK (endpoint ~ '^https?://[^[:space:]]+$'),
    format      text NOT NULL DEFAULT 'json' CHECK (format IN ('json', 'camt056')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);

-- Standard Webhooks secrets of each bank, sealed with AES-256-GCM under the
-- relay's master key (relay/secretbox.h: version, nonce, ciphertext, tag;
-- the additional data is "relay48 bank secret <BIC>"). A secret is valid
-- from valid_from until valid_until (NULL: until the next rotation closes
-- it); during a rotation's overlap two are valid and either signature wins.
CREATE TABLE bank_secrets (
    id          bigserial PRIMARY KEY,
    bic         text NOT NULL REFERENCES banks (bic),
    sealed      bytea NOT NULL CHECK (length(sealed) BETWEEN 53 AND 93),
    valid_from  timestamptz NOT NULL DEFAULT now(),
    valid_until timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_until IS NULL OR valid_until >= valid_from)
);
CREATE INDEX bank_secrets_bic ON bank_secrets (bic, id);

-- Webhook messages seen, by bank and webhook-id: a message sent again (a
-- retry, a replay) is answered with the first answer (status, body) and not
-- processed twice. status is NULL while the first delivery is being
-- processed; a claim left unanswered for long (a relay that died) may be
-- taken over. Rows older than webhooks.ids_retention_s are deleted: by then
-- the timestamp check (±5 minutes) refuses the message anyway.
CREATE TABLE webhook_ids (
    bic         text NOT NULL,
    webhook_id  text NOT NULL,
    body_hash   bytea NOT NULL,                 -- SHA-256 of the raw body
    status      int,
    response    text,
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    answered_at timestamptz,
    PRIMARY KEY (bic, webhook_id)
);
CREATE INDEX webhook_ids_claimed ON webhook_ids (claimed_at);

-- Card BIN (first 6 or 8 digits) -> the issuing bank, for declarations that
-- do not name it. Loaded by `relay48 bin import FILE.csv` (and by `relay48
-- migrate` from sql/data/card_bins.csv when that file exists; none is
-- shipped). An 8-digit entry wins over the 6-digit one it starts with.
CREATE TABLE card_bins (
    bin        text PRIMARY KEY CHECK (bin ~ '^[0-9]{6}([0-9]{2})?$'),
    bic        text NOT NULL CHECK (bic ~ '^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$'),
    name       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
