/** Types shared by the runners and the summary that `migrate` returns. */

/** The systems `migrate` can prepare. */
export type MigrationTarget = 'postgres' | 'cassandra' | 'kafka' | 'registry';

/** Every target, in the order the summary lists them: the registry's subject after the topic it describes. */
export const migrationTargets: readonly MigrationTarget[] = ['postgres', 'cassandra', 'kafka', 'registry'];

/** A migration file, named by its version and name, and its path for messages. */
export interface MigrationRef {
  version: number;
  name: string;
  file: string;
}

/** A migration this run applied. */
export interface AppliedMigration extends MigrationRef {
  durationMs: number;
}

/** Receives one progress line at a time; the default discards them. */
export type MigrationLog = (message: string) => void;
