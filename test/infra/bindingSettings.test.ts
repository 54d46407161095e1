/**
 * Every app setting a function binding refers to (%NAME% in a timer schedule, queue name or path; a connection
 * name) is set by the Bicep and by local.settings.json.sample, with the config schema's default: the Functions
 * host cannot index a timer whose schedule setting is missing. The settings are read from the definitions as
 * registered, so a new binding is covered without editing this test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import configSchema from '../../schemas/config.schema.json';
import { functionDefinitions } from '../../src/functions';
import {
  bicepAppSettings,
  bindingSettings,
  missingBindingSettings,
  type SettingsPlace,
} from '../support/bindingSettings';

const root = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const BICEP = 'infra/app/function.bicep';
const SAMPLE = 'local.settings.json.sample';

const sampleValues = (text: string) => (JSON.parse(text) as { Values: Record<string, string> }).Values;
const places = (bicep: string, sample: string): SettingsPlace[] => [
  { place: BICEP, names: new Set(bicepAppSettings(bicep).map((s) => s.name)) },
  { place: SAMPLE, names: new Set(Object.keys(sampleValues(sample))) },
];
const defaults = configSchema.properties as Record<string, { default?: unknown }>;
const uses = bindingSettings(functionDefinitions);

describe('binding settings', () => {
  it('finds the settings the bindings use (the timers’ schedules, the queue’s connection)', () => {
    expect(uses).toEqual(
      expect.arrayContaining([
        { binding: 'drillPlans', setting: 'DRILL_TIMER_SCHEDULE', kind: 'expression' },
        { binding: 'sweepLeftovers', setting: 'DRILL_SWEEP_SCHEDULE', kind: 'expression' },
        { binding: 'drillQueue', setting: 'AzureWebJobsStorage', kind: 'connection' },
      ]),
    );
  });

  it('the Bicep and local.settings.json.sample set every one of them', () => {
    expect(missingBindingSettings(uses, places(read(BICEP), read(SAMPLE)))).toEqual([]);
  });

  it('each %SETTING% has the config schema’s default in the sample and in the Bicep parameters', () => {
    const sample = sampleValues(read(SAMPLE));
    const main = read('infra/main.bicep');
    const parameters = read('infra/main.parameters.json');
    const bicep = bicepAppSettings(read(BICEP));
    for (const { setting } of uses.filter((u) => u.kind === 'expression')) {
      const def = defaults[setting]?.default;
      expect(def, `${setting} has no default in schemas/config.schema.json`).toBeTypeOf('string');
      expect(sample[setting], `${SAMPLE}: ${setting}`).toBe(def);
      // The app setting's value is a parameter of function.bicep, passed from main.bicep's parameter of the same
      // name, whose default (and azd's, in main.parameters.json) is the schema's.
      const param = bicep.find((s) => s.name === setting)!.value;
      expect(param, `${BICEP}: ${setting} takes a parameter`).toMatch(/^\w+$/);
      expect(main, `infra/main.bicep: param ${param}`).toContain(`param ${param} string = '${String(def)}'`);
      expect(parameters, `infra/main.parameters.json: ${param}`).toMatch(
        new RegExp(
          `"${param}": \\{ "value": "\\$\\{PGDRILL_\\w+=${String(def).replace(/[*]/g, '\\*')}\\}" \\}`,
        ),
      );
    }
  });

  it('names the binding, the setting and the file when one is missing (a copy with one setting removed)', () => {
    const bicep = read(BICEP)
      .split('\n')
      .filter((l) => !l.includes("name: 'DRILL_TIMER_SCHEDULE'"))
      .join('\n');
    const sample = JSON.parse(read(SAMPLE)) as { Values: Record<string, string> };
    delete sample.Values.AzureWebJobsStorage;
    expect(missingBindingSettings(uses, places(bicep, JSON.stringify(sample))).sort()).toEqual(
      [
        `drillPlans uses %DRILL_TIMER_SCHEDULE%, which ${BICEP} does not set`,
        `drillQueue uses connection AzureWebJobsStorage, which ${SAMPLE} does not set`,
      ].sort(),
    );
  });
});
