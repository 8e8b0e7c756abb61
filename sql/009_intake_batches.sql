-- relay48 intake: the new cases whose events Kafka has not confirmed yet
-- (docs/intake.md, "Outbox to Kafka").
--
-- One row per committed intake batch, written by the batch's transaction,
-- instead of one outbox row of about 1 KB per event (three a report) that
-- was inserted then deleted. The events of a new case (report.accepted, the
-- bank escalations at alert, the police escalation) are built in C from the
-- case row with derived ids (relay/escalate.h, escalate_intake): a batch
-- published twice gives the same ce_ids, and consumers de-duplicate on them.
-- The row is deleted once every event of its cases has a delivery report
-- with an offset; one older than outbox.sweep_age_ms is published again by
-- any relay's sweep. Its id comes from the firings' sequence, so that the
-- ids of firings and intake batches never meet (the outbox tracks both in
-- one set and deletes them with one statement).
CREATE TABLE intake_batches (
    id         bigint PRIMARY KEY DEFAULT nextval('firings_id_seq'),
    instance   text NOT NULL,                   -- the relay that committed it (logs)
    created_at timestamptz NOT NULL DEFAULT now(),
    case_ids   bigint[] NOT NULL
);

-- What the intake's events need that the case row did not hold, so that
-- they can be built again byte for byte after a crash: the linked cases
-- found by the commit (NULL: none), why the police were addressed before
-- any link (NULL: not required), and the bank names the directory gave
-- (NULL: none; creditor_bank_name is the issuer's for a card case).
ALTER TABLE cases
    ADD COLUMN linked_refs text[],
    ADD COLUMN police_reason text,
    ADD COLUMN debtor_bank_name text,
    ADD COLUMN creditor_bank_name text;
