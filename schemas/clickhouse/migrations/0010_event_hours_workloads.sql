-- events: two enrichments rules read that analysts could not query: whether
-- the event fell outside its person's working hours, and how many
-- workloads were running its credential at once. The local table first,
-- then (on a cluster) the Distributed one; on a single server both
-- statements name the same table. Rows written before stay false and 0.
ALTER TABLE {{table "events"}}{{on}} ADD COLUMN IF NOT EXISTS off_hours Bool COMMENT 'True when the event fell outside the working hours of the person whose own account made it (the directory''s hours and time zone, else enrich.working_hours); false for agents and services.' AFTER registered,
    ADD COLUMN IF NOT EXISTS credential_workloads Int32 COMMENT 'For a long-lived credential: the distinct workloads (source address and user agent) that ran it at once, overlapping for at least five minutes; 0 when not measured.' AFTER off_hours;

ALTER TABLE {{db}}.events{{on}} ADD COLUMN IF NOT EXISTS off_hours Bool COMMENT 'True when the event fell outside the working hours of the person whose own account made it (the directory''s hours and time zone, else enrich.working_hours); false for agents and services.' AFTER registered,
    ADD COLUMN IF NOT EXISTS credential_workloads Int32 COMMENT 'For a long-lived credential: the distinct workloads (source address and user agent) that ran it at once, overlapping for at least five minutes; 0 when not measured.' AFTER off_hours;
