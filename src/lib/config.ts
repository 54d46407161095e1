/**
 * App configuration: read once from the environment an entry point hands over, validated against
 * schemas/config.schema.json (which also supplies every default: there are no defaults anywhere else), and
 * passed down as one typed object. Numeric settings arrive as strings and leave as numbers. Nothing else in the
 * app reads process.env (docs/design.md, "Configuration").
 */
import configSchema from '../../schemas/config.schema.json';
import { ConfigError, ValidationError } from './errors';
import type { AppConfig } from './types/generated/config';
import { assertValid, schemaRef } from './validation';

export type { AppConfig };

/** The setting names the app knows (the configuration contract). */
export const CONFIG_KEYS = Object.keys(configSchema.properties) as (keyof AppConfig)[];

const typed = (types: string[]) =>
  new Set(
    Object.entries(configSchema.properties as Record<string, { type?: string }>)
      .filter(([, p]) => types.includes(p.type ?? ''))
      .map(([k]) => k),
  );
const NUMERIC = typed(['number', 'integer']);
const BOOLEAN = typed(['boolean']);

/**
 * A number written as a plain decimal is read as one, true/false as a boolean; anything else stays text for
 * the schema to refuse by name.
 */
function coerce(key: string, value: string): string | number | boolean {
  if (NUMERIC.has(key) && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  if (BOOLEAN.has(key) && /^\s*(true|false)\s*$/i.test(value)) return value.trim().toLowerCase() === 'true';
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string | number | boolean> = {};
  for (const key of CONFIG_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = coerce(key, value);
  }
  let config: AppConfig;
  try {
    config = assertValid<AppConfig>(schemaRef('config.schema.json'), raw, 'Configuration');
  } catch (err) {
    if (err instanceof ValidationError) {
      const lines = err.errors
        .map((e) => {
          const key = e.pointer.slice(1);
          const hint = NUMERIC.has(key)
            ? ` (a number, such as ${exampleOf(key)})`
            : BOOLEAN.has(key)
              ? ' (true or false)'
              : '';
          return `  ${key || '(root)'}: ${e.message}${hint}`;
        })
        .join('\n');
      throw new ConfigError(
        `Invalid app settings:\n${lines}\nFix the setting(s) named above (see README, "Configuration").`,
      );
    }
    throw err;
  }
  // A restore POST can be accepted for as long as it may take: waiting less before posting again risks two.
  if (config.DRILL_RESTORE_SETTLE_SECONDS < config.DATAPROTECTION_TIMEOUT_SECONDS)
    throw new ConfigError(
      `Invalid app settings:\n  DRILL_RESTORE_SETTLE_SECONDS (${config.DRILL_RESTORE_SETTLE_SECONDS}) must be at least DATAPROTECTION_TIMEOUT_SECONDS (${config.DATAPROTECTION_TIMEOUT_SECONDS}): a restore request may be accepted until it times out.`,
    );
  // Keep the endpoint canonical (no trailing slash) so URL joins and origin checks are exact.
  config.DATAPROTECTION_ENDPOINT = new URL(config.DATAPROTECTION_ENDPOINT).origin;
  config.DATAPROTECTION_AUDIENCE = config.DATAPROTECTION_AUDIENCE.replace(/\/+$/, '');
  return config;
}

/** The setting's default as an example of a good value. */
function exampleOf(key: string): string {
  const d = (configSchema.properties as Record<string, { default?: unknown }>)[key]?.default;
  return typeof d === 'number' ? String(d) : '10';
}

/** A setting by name, as text (for %NAME% in binding expressions such as timer schedules). */
export function settingText(config: AppConfig, name: string): string | undefined {
  const value = (config as unknown as Record<string, string | number | boolean | undefined>)[name];
  return value === undefined ? undefined : String(value);
}
