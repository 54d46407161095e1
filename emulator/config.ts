/**
 * Emulator configuration: a JSON file (see examples/ and README.md) validated against config.schema.json with
 * defaults filled in. The schema is the one source of truth: the types come from it (generated/config.ts,
 * npm run gen:types). Everything the emulator serves comes from it: subscription, servers (managed local
 * clusters or existing ones), Azurite storage, Key Vault secrets, backup vaults with their backup instances
 * and seeded backups, timings, and fault rules.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type {
  BackupInstanceConfig,
  EmulatorConfig,
  FaultRule,
  ServerConfig,
  VaultConfig,
} from './generated/config';
import schema from './config.schema.json';
import { pairedRegion } from './regions';

export type { BackupInstanceConfig, EmulatorConfig, FaultRule, ServerConfig, VaultConfig };

// The emulator keeps its own Ajv: it never imports the app (src/). Draft 2020-12, as the schema says.
const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: false });
const validateConfig = ajv.compile(schema);
const validateFault = ajv.getSchema<FaultRule>(`${schema.$id}#/$defs/fault`)!;

export class EmulatorConfigError extends Error {}

function describeErrors(errors: typeof validateConfig.errors): string {
  return (errors ?? [])
    .map((e) => {
      const where = e.instancePath || '(root)';
      if (e.keyword === 'additionalProperties')
        return `${where}/${(e.params as { additionalProperty: string }).additionalProperty}: unknown field`;
      if (e.keyword === 'required')
        return `${where}/${(e.params as { missingProperty: string }).missingProperty}: is required`;
      return `${where}: ${e.message ?? 'is invalid'}`;
    })
    .join('\n  ');
}

/** Validates a fault rule (config or POST /_emulator/faults). */
export function parseFault(input: unknown): FaultRule {
  const copy = structuredClone(input);
  if (!validateFault(copy))
    throw new EmulatorConfigError(`fault rule is invalid:\n  ${describeErrors(validateFault.errors)}`);
  const rule = copy as FaultRule;
  if (rule.kind === 'status' && !rule.status)
    throw new EmulatorConfigError(
      'fault rule: kind "status" needs "status" (403 or 404 for Key Vault, 429, 500 or 503)',
    );
  if ((rule.kind === 'domain' || rule.kind === 'jobFailHalfway') && !rule.code) {
    throw new EmulatorConfigError(
      `fault rule: kind "${rule.kind}" needs "code" (an Azure error code such as UserErrorDBUserAuthFailed)`,
    );
  }
  if (rule.kind === 'damagedFiles' && !rule.damage)
    throw new EmulatorConfigError(
      'fault rule: kind "damagedFiles" needs "damage" (garbage, truncated or newerSource)',
    );
  return rule;
}

/** Validates and completes a configuration object; paths are resolved against `baseDir`. */
export function parseConfig(input: unknown, baseDir = process.cwd()): EmulatorConfig {
  const config = structuredClone(input);
  const explicitStateDir = typeof input === 'object' && input !== null && 'stateDir' in input;
  if (!validateConfig(config))
    throw new EmulatorConfigError(
      `emulator configuration is invalid:\n  ${describeErrors(validateConfig.errors)}`,
    );
  const c = config as unknown as EmulatorConfig;
  // An explicit stateDir is relative to the config file; the default one to the working directory.
  c.stateDir = resolve(explicitStateDir ? baseDir : process.cwd(), c.stateDir);
  if (c.postgres.binDir) c.postgres.binDir = resolve(baseDir, c.postgres.binDir);
  if (!c.storage.managedAzurite && !c.storage.blobEndpoint) {
    throw new EmulatorConfigError(
      'storage: give blobEndpoint (an Azurite or storage account URL) or set managedAzurite to true',
    );
  }
  for (const [i, s] of c.servers.entries()) {
    if (!s.managed === !s.external)
      throw new EmulatorConfigError(
        `servers/${i} (${s.name}): give exactly one of "managed" (a local cluster) or "external" (a running server)`,
      );
  }
  const servers = new Map(c.servers.map((s) => [s.name, s]));
  if (servers.size !== c.servers.length) throw new EmulatorConfigError('servers: names must be unique');
  for (const v of c.vaults) {
    // Azure lets a vault turn cross-region restore on only when its store is geo-redundant (and so has a pair).
    if (v.crossRegionRestore?.state === 'Enabled') {
      if (v.storageType !== 'GeoRedundant')
        throw new EmulatorConfigError(
          `vaults/${v.name}/crossRegionRestore/state: Enabled needs storageType GeoRedundant (it is ${v.storageType})`,
        );
      if (!pairedRegion(v.location))
        throw new EmulatorConfigError(
          `vaults/${v.name}/crossRegionRestore/state: Enabled needs a location with a paired region ("${v.location}" has none; emulator/regions.ts)`,
        );
    }
    for (const [i, bi] of v.backupInstances.entries()) {
      const where = `vaults/${v.name}/backupInstances/${i}`;
      const server = servers.get(bi.server);
      if (!server) throw new EmulatorConfigError(`${where}/server: no server named "${bi.server}"`);
      if (server.kind === 'single' && (!bi.database || bi.databases)) {
        throw new EmulatorConfigError(`${where}: a Single Server backup instance names one "database"`);
      }
      if (server.kind === 'flexible' && (!bi.databases || bi.database)) {
        throw new EmulatorConfigError(`${where}: a Flexible Server backup instance names its "databases"`);
      }
      if (bi.seed && bi.seed.archived > bi.seed.backups) {
        throw new EmulatorConfigError(`${where}/seed/archived: cannot archive more points than "backups"`);
      }
    }
  }
  for (const kv of c.keyVaults) {
    for (const [name, value] of Object.entries(kv.secrets)) {
      if (typeof value === 'object' && !servers.has(value.connectionStringFor)) {
        throw new EmulatorConfigError(
          `keyVaults/${kv.name}/secrets/${name}/connectionStringFor: no server named "${value.connectionStringFor}"`,
        );
      }
    }
  }
  c.faults = c.faults.map(parseFault);
  return c;
}

export function loadConfigFile(path: string): EmulatorConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new EmulatorConfigError(`cannot read emulator configuration ${path}: ${(err as Error).message}`);
  }
  return parseConfig(raw, dirname(resolve(path)));
}
