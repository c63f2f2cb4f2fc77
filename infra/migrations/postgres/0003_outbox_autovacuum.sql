-- The outbox is a queue: every row is inserted, updated once when published, and never read again. Under load
-- that leaves dead index entries at the head of outbox_unpublished_idx, which every claim walks past, and
-- statistics that lag far behind the table. PostgreSQL's defaults wait for 20% of the table to change before
-- vacuuming or analysing it; these wait for a fixed number of rows instead, so both keep up however large
-- the table grows. (Amazon RDS accepts the same storage parameters.)
ALTER TABLE outbox SET (
  autovacuum_vacuum_scale_factor = 0,
  autovacuum_vacuum_threshold = 10000,
  autovacuum_vacuum_insert_scale_factor = 0,
  autovacuum_vacuum_insert_threshold = 10000,
  autovacuum_analyze_scale_factor = 0,
  autovacuum_analyze_threshold = 10000
);
