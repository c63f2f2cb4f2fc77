/**
 * Documentation kept on a settings schema itself: each setting's zod schema is the key of its description, so a table generated from the schema (infra/schemas/settings-table.ts) can neither miss a setting
 * nor describe one that is gone. The functions' settings (functions/lib/settings.ts) and the local stack's
 * (infra/local/config.ts) each keep one.
 */
import type { z } from 'zod';
import { PipelineError } from './errors.ts';

/** One documented setting: its name, its default as an environment would spell it, and its documentation. */
export interface DocumentedSetting<Doc> {
  name: string;
  /** Undefined when the setting has no default (unset means something of its own). */
  defaultValue: string | undefined;
  doc: Doc;
}

/** A setting of the schema has no documentation; `documented` was not applied to it. */
export class UndocumentedSettingError extends PipelineError {
  constructor(readonly setting: string) {
    super(`setting ${setting} has no documentation: wrap its schema in documented(...)`, {
      code: 'SETTING_UNDOCUMENTED',
      retryable: false,
    });
  }
}

/** A parsed value as an environment variable would spell it. */
function envSpelling(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * A registry for one schema's documentation, with the function that attaches a setting's documentation and
 * the one that reads every setting of an object schema back with its default.
 */
export function settingsDocumentation<Doc extends object>() {
  // Keyed by the schema instance itself, which is what an object schema's shape holds.
  const registry = new WeakMap<z.ZodType, Doc>();
  return {
    /** Attaches `doc` to a setting's schema and returns the schema. */
    documented<S extends z.ZodType>(schema: S, doc: Doc): S {
      registry.set(schema, doc);
      return schema;
    },
    /**
     * Every setting of `shape`, in order, with its default (what the schema makes of an unset variable).
     *
     * @throws {@link UndocumentedSettingError} for a setting without documentation
     */
    settings(shape: Readonly<Record<string, z.ZodType>>): DocumentedSetting<Doc>[] {
      return Object.entries(shape).map(([name, schema]) => {
        const doc = registry.get(schema);
        if (doc === undefined) throw new UndocumentedSettingError(name);
        const parsed = schema.safeParse(undefined);
        return { name, defaultValue: parsed.success ? envSpelling(parsed.data) : undefined, doc };
      });
    },
  };
}
