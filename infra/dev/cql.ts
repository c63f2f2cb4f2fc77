/**
 * `npm run cql -- "<statement>"`: runs one CQL statement against the local stack's Cassandra and prints the
 * rows as a table, for looking at what the pipeline wrote without installing cqlsh (which needs Python).
 * Without a statement it shows how many users `created_users` holds and ten of them.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cassandra from 'cassandra-driver';
import { cassandra as cassandraNames } from '../../lib/topology.ts';
import { cassandraContactPoint, loadStackConfig } from '../local/config.ts';
import { renderTable } from '../local/table.ts';

/** One CQL value as text: ISO instants, uuids and numbers as CQL prints them, collections as JSON. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`;
  if (typeof value === 'object') {
    // Uuid, Long, BigDecimal, InetAddress, LocalDate...: the driver's types print themselves.
    const own = value.toString;
    if (own !== Object.prototype.toString) return String(value);
    return JSON.stringify(value);
  }
  return String(value);
}

/** Renders a result set: a table of its columns, or a note when the statement returns none. */
export function formatResult(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  if (columns.length === 0) return 'done (the statement returns no rows)';
  const table = renderTable(
    [...columns],
    rows.map((row) => columns.map((c) => formatCell(row[c]))),
  );
  return `${table}\n(${rows.length} row${rows.length === 1 ? '' : 's'})`;
}

const defaultStatements = [
  'SELECT count(*) FROM created_users',
  'SELECT id, first_name, last_name, nationality, post_code, dob, registered_date FROM created_users LIMIT 10',
];

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { keyspace: { type: 'string', short: 'k', default: cassandraNames.keyspace } },
  });
  const cfg = loadStackConfig();
  const client = new cassandra.Client({
    contactPoints: [cassandraContactPoint(cfg)],
    localDataCenter: cfg.cassandra.localDataCenter,
    keyspace: values.keyspace,
  });
  try {
    for (const statement of positionals.length > 0 ? [positionals.join(' ')] : defaultStatements) {
      const result = await client.execute(statement, [], { fetchSize: 1000 });
      console.log(
        `${statement}\n${formatResult(result.columns?.map((c) => c.name) ?? [], result.rows ?? [])}\n`,
      );
    }
  } finally {
    await client.shutdown();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(`cql: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
