-- relay48 web form: the victim's access to a case page (docs/web.md).
--
-- GET /case/{ref}?t={token}: the token (32 random bytes, base64url) is
-- handed out once, in the 303 that answers the form's post; only its
-- SHA-256 is stored, so a copy of the database opens no case page. A case
-- may have several tokens: a form sent twice (double click, reload) is one
-- case, and each answer carries a token of its own.
--
-- Form nonces are not stored here: the nonce is the Idempotency-Key of the
-- report (idempotency_keys, party 'web').
CREATE TABLE case_access_tokens (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    case_id    bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_access_tokens_case ON case_access_tokens (case_id);
