-- Raw users as fetched, one row per randomuser login.uuid. store-users inserts with ON CONFLICT (id) DO NOTHING,
-- so a replayed batch leaves the table unchanged. The payload is the sanitized record: credentials never get here.
CREATE TABLE IF NOT EXISTS users_raw (
  id uuid PRIMARY KEY,
  payload jsonb NOT NULL,
  -- Text, not uuid: fetch-users may derive batch ids from seed and page so that a retried fetch keeps its id.
  batch_id text NOT NULL,
  fetched_at timestamptz NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS users_raw_batch_id_idx ON users_raw (batch_id);

COMMENT ON TABLE users_raw IS 'Sanitized randomuser records, keyed by login.uuid (see DESIGN.md).';
COMMENT ON COLUMN users_raw.stored_at IS 'When this row was first stored; a replay does not change it.';
