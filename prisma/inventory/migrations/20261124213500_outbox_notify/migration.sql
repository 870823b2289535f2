-- Wakes the outbox relay as soon as a transaction that wrote outbox rows commits (NOTIFY is delivered on
-- commit, once per channel and payload per transaction), instead of waiting for its next poll.
-- The body is an E-string with \x3b for its semicolons, since the migration runner splits scripts at each one.
CREATE OR REPLACE FUNCTION public.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN PERFORM pg_notify(\'outbox\', \'\')\x3b RETURN NULL\x3b END\x3b';

CREATE TRIGGER "OutboxEvent_notify" AFTER INSERT ON "OutboxEvent" FOR EACH STATEMENT EXECUTE FUNCTION public.outbox_notify();
