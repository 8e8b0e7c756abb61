-- relay48 scheduler: the milestones fired whose events Kafka has not
-- confirmed yet (docs/escalation.md, "Firing").
--
-- A firing is written by the scheduler's firing transaction, with the
-- milestones it marks fired: one row per batch, naming the milestones that
-- fired with events (reminder, critical, expiry), instead of one outbox row
-- of about 1 KB per event. The events are built again from the milestone
-- and case rows whenever needed, with ids derived from the case, the
-- milestone, its fired_at and the addressee (relay/escalate.h,
-- escalate_milestone_ids): a firing published twice gives the same ce_ids,
-- and consumers de-duplicate on them. The row is deleted once every event
-- of its milestones has a delivery report with an offset; what this table
-- holds is exactly the fired milestones Kafka has not confirmed (a firing
-- older than outbox.sweep_age_ms is published again by any relay's sweep).
-- No foreign key: the milestones of a purged case are simply not found.
CREATE TABLE firings (
    id        bigserial PRIMARY KEY,
    instance  text NOT NULL,                   -- the relay that fired (logs)
    fired_at  timestamptz NOT NULL,            -- = fired_at of its milestones
    case_ids  bigint[] NOT NULL,
    names     text[] NOT NULL,                 -- milestone of case_ids[i]
    CHECK (cardinality(case_ids) = cardinality(names))
);
