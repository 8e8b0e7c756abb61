-- relay48 connectors (docs/connectors.md): the police jurisdiction table (the
-- units that receive the police escalations of a département, with their
-- office hours and signing secrets) and the endpoints that answered 410 Gone.

-- A police unit. departement is a code of relay/postal.h or NATIONAL (the
-- national desk). A fallback unit is the 24/7 desk of its département (of
-- every département when NATIONAL): it receives the escalations outside the
-- regular units' office hours and while they keep failing. hours is the
-- weekly calendar in Europe/Paris (relay/routing.h), French public holidays
-- closed unless a "hol" group opens them. Written by `relay48 unit`.
CREATE TABLE police_units (
    id          bigserial PRIMARY KEY,
    departement text NOT NULL REFERENCES departements (code),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    endpoint    text NOT NULL CHECK (endpoint ~ '^https://[^[:space:]]+$'),
    hours       text NOT NULL DEFAULT 'mon-fri 09:00-12:30,14:00-17:30'
                CHECK (length(hours) BETWEEN 1 AND 200),
    fallback    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);
CREATE INDEX police_units_departement ON police_units (departement, id);

-- Standard Webhooks secrets of each unit, sealed as the banks' are
-- (relay/secretbox.h; the additional data is "relay48 unit secret <id>").
CREATE TABLE police_unit_secrets (
    id          bigserial PRIMARY KEY,
    unit_id     bigint NOT NULL REFERENCES police_units (id),
    sealed      bytea NOT NULL CHECK (length(sealed) BETWEEN 53 AND 93),
    valid_from  timestamptz NOT NULL DEFAULT now(),
    valid_until timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_until IS NULL OR valid_until >= valid_from)
);
CREATE INDEX police_unit_secrets_unit ON police_unit_secrets (unit_id, id);

-- An endpoint that answered 410 Gone to a delivery: the connectors send it
-- nothing more (bank escalations go to the dead-letter topic, police ones to
-- the fallback unit) until the endpoint changes or the row is deleted
-- (`relay48 unit enable ID` deletes a unit's; DELETE ... WHERE party =
-- 'bank:<BIC>' a bank's). party is 'bank:<BIC>' or 'unit:<id>'.
CREATE TABLE delivery_endpoints_gone (
    party       text NOT NULL,
    endpoint    text NOT NULL,
    answered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (party, endpoint)
);
