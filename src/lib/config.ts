/**
 * App configuration: read once from the environment, validated against schemas/config.schema.json
 * (which also supplies the defaults), and passed down explicitly. Nothing else reads process.env.
 */
import { ConfigError, ValidationError } from './errors';
import type { AppConfig } from './types/generated/config';
import configSchema from '../../schemas/config.schema.json';
import { assertValid, schemaRef } from './validation';

export type { AppConfig };

/** The setting names the app knows (the configuration contract). */
export const CONFIG_KEYS = Object.keys(configSchema.properties) as (keyof AppConfig)[];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const key of CONFIG_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  let config: AppConfig;
  try {
    config = assertValid<AppConfig>(schemaRef('config.schema.json'), raw, 'Configuration');
  } catch (err) {
    if (err instanceof ValidationError) {
      const lines = err.errors.map((e) => `  ${e.pointer.slice(1) || '(root)'}: ${e.message}`).join('\n');
      throw new ConfigError(
        `Invalid app settings:\n${lines}\nFix the setting(s) named above (see README, "Configuration").`,
      );
    }
    throw err;
  }
  // Keep the endpoint canonical (no trailing slash) so URL joins and origin checks are exact.
  config.DATAPROTECTION_ENDPOINT = new URL(config.DATAPROTECTION_ENDPOINT).origin;
  config.DATAPROTECTION_AUDIENCE = config.DATAPROTECTION_AUDIENCE.replace(/\/+$/, '');
  return config;
}
