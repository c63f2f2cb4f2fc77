-- Transactional outbox, written in the same transaction as users_raw. The first seven columns are those of
-- Debezium's outbox event router, so a CDC relay could replace ours without a schema change.
CREATE TABLE IF NOT EXISTS outbox (
  id uuid PRIMARY KEY,
  aggregatetype text NOT NULL,
  aggregateid text NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  -- Relay bookkeeping: a message that can never be published (say, over the broker's size limit) is marked
  -- dead with its error instead of being retried forever at the head of the queue.
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error text,
  dead_at timestamptz,
  CONSTRAINT outbox_published_or_dead CHECK (published_at IS NULL OR dead_at IS NULL)
);

-- The relay claims `WHERE published_at IS NULL AND dead_at IS NULL ORDER BY created_at, id
-- FOR UPDATE SKIP LOCKED LIMIT n`: this index holds only those rows, so the claim stays cheap however many
-- published rows accumulate.
CREATE INDEX IF NOT EXISTS outbox_unpublished_idx ON outbox (created_at, id)
  WHERE published_at IS NULL AND dead_at IS NULL;

COMMENT ON TABLE outbox IS 'Transactional outbox (Debezium outbox-router columns plus relay bookkeeping).';
COMMENT ON COLUMN outbox.published_at IS 'Set only after Kafka acknowledged the message.';
COMMENT ON COLUMN outbox.dead_at IS 'Set when the message can never be published; last_error says why.';
