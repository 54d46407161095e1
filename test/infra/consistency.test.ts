/**
 * infra/ and the code agree on app settings: every setting the code requires in Azure (x-deployment
 * "required" in schemas/config.schema.json) is set by the Bicep, the Bicep sets nothing the code does not know
 * (beyond the Functions platform's own settings) and nothing meant for local use only; plus the deployment
 * promises made in infra/README.md (shared keys off, Entra-only telemetry, deterministic role assignment names).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import configSchema from '../../schemas/config.schema.json';
import { parseBicep } from '../support/bicepChecks';
import { bicepAppSettings } from '../support/bindingSettings';

const infra = join(__dirname, '..', '..', 'infra');
const bicep = (file: string) => readFileSync(join(infra, file), 'utf8');
const allBicep = () =>
  readdirSync(infra, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.bicep'))
    .map((f) => ({ file: f, text: bicep(f) }));

/** Settings the Functions platform (not the app) reads. */
const PLATFORM = new Set([
  'FUNCTIONS_EXTENSION_VERSION',
  'FUNCTIONS_WORKER_RUNTIME',
  'WEBSITES_ENABLE_APP_SERVICE_STORAGE',
  'DOCKER_REGISTRY_SERVER_URL',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
]);

function appSettingNames(): string[] {
  return bicepAppSettings(bicep('app/function.bicep')).map((s) => s.name);
}

const properties = configSchema.properties as Record<string, { 'x-deployment'?: string }>;

describe('infra consistency', () => {
  it('the Bicep sets every setting the code requires in Azure', () => {
    const set = appSettingNames();
    expect(set.length).toBeGreaterThan(10);
    const required = Object.entries(properties)
      .filter(([, p]) => p['x-deployment'] === 'required')
      .map(([k]) => k);
    expect(required.length).toBeGreaterThan(5);
    for (const key of required) expect(set, `infra does not set ${key}`).toContain(key);
  });

  it('the Bicep sets no setting the code does not know, and none meant for local use only', () => {
    for (const name of appSettingNames()) {
      if (PLATFORM.has(name)) continue;
      expect(
        properties[name],
        `infra sets ${name}, which schemas/config.schema.json does not define`,
      ).toBeDefined();
      expect(properties[name]!['x-deployment'], `${name} is for local use only`).not.toBe('local');
    }
    expect(new Set(appSettingNames()).size).toBe(appSettingNames().length);
  });

  it('every app setting of the schema says how a deployment treats it', () => {
    for (const [key, p] of Object.entries(properties))
      expect(['required', 'optional', 'local'], key).toContain(p['x-deployment']);
  });

  it('storage has shared keys off, telemetry is Entra-only, identity-based host storage', () => {
    expect(bicep('app/storage.bicep')).toMatch(/allowSharedKeyAccess:\s*false/);
    expect(bicep('app/monitoring.bicep')).toMatch(/DisableLocalAuth:\s*true/);
    expect(bicep('app/function.bicep')).toMatch(/AzureWebJobsStorage__credential', value: 'managedidentity'/);
    expect(bicep('app/function.bicep')).not.toMatch(/'AzureWebJobsStorage',/);
    for (const q of ['drill-requests', 'drill-requests-poison'])
      expect(bicep('app/storage.bicep')).toContain(`name: '${q}'`);
  });

  it('every role assignment has a deterministic name and is explained in infra/README.md', () => {
    const readme = readFileSync(join(infra, 'README.md'), 'utf8');
    let count = 0;
    for (const { file, text } of allBicep()) {
      for (const d of parseBicep(file, text).declarations) {
        if (
          d.kind !== 'resource' ||
          d.existing ||
          !d.target.startsWith('Microsoft.Authorization/roleAssignments@')
        )
          continue;
        count++;
        expect(d.props.get('name')?.value, `${file}: role assignment ${d.name} name`).toMatch(/^guid\(/);
      }
      for (const id of text.matchAll(/'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'/g)) {
        expect(readme, `${file}: role ${id[1]} is not explained in infra/README.md`).toContain(id[1]!);
      }
    }
    expect(count).toBeGreaterThanOrEqual(8);
  });

  it('main.parameters.json covers main.bicep parameters and holds no secrets', () => {
    const params = JSON.parse(readFileSync(join(infra, 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, unknown>;
    };
    const declared = [...bicep('main.bicep').matchAll(/^param (\w+)/gm)].map((m) => m[1]!);
    for (const p of Object.keys(params.parameters))
      expect(declared, `main.parameters.json sets unknown parameter ${p}`).toContain(p);
    expect(JSON.stringify(params)).not.toMatch(/password|secret=|AccountKey/i);
  });
});
