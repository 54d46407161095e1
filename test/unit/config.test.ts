import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, loadConfig } from '../../src/lib/config';

describe('configuration', () => {
  it('defaults follow DESIGN.md section 8 (newest stable api-version 2026-06-01)', () => {
    expect(loadConfig({})).toEqual({
      DATAPROTECTION_ENDPOINT: 'https://management.azure.com',
      DATAPROTECTION_AUDIENCE: 'https://management.azure.com',
      DATAPROTECTION_API_VERSION: '2026-06-01',
      DURABLE_TASK_HUB_NAME: 'pgdrill',
      DRILL_REPORTS_TABLE: 'DrillReports',
      DRILL_REPORTS_CONTAINER: 'drill-reports',
      DRILL_TIMER_SCHEDULE: '0 */5 * * * *',
      DRILL_JOB_POLL_INITIAL_SECONDS: '10',
      DRILL_JOB_POLL_MAX_SECONDS: '120',
      DRILL_RETRY_FIRST_DELAY_SECONDS: '5',
      DRILL_HOST_PORT: '7071',
      DRILL_SWEEP_SCHEDULE: '0 15 * * * *',
      DRILL_SWEEP_AFTER_HOURS: '24',
    });
  });

  it('takes the settings it knows, canonicalises the endpoint, ignores unrelated variables', () => {
    const c = loadConfig({
      DATAPROTECTION_ENDPOINT: 'https://127.0.0.1:8443/',
      DATAPROTECTION_AUDIENCE: 'https://management.azure.com/',
      DATAPROTECTION_API_VERSION: '2021-07-01',
      AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
      PATH: '/usr/bin',
    });
    expect(c.DATAPROTECTION_ENDPOINT).toBe('https://127.0.0.1:8443');
    expect(c.DATAPROTECTION_AUDIENCE).toBe('https://management.azure.com');
    expect(c.DATAPROTECTION_API_VERSION).toBe('2021-07-01');
    expect(CONFIG_KEYS).toContain('AZURE_CLIENT_ID');
  });

  it('a bad setting is named with the fix', () => {
    expect(() => loadConfig({ DATAPROTECTION_ENDPOINT: 'http://management.azure.com' })).toThrow(
      /DATAPROTECTION_ENDPOINT: must match pattern/,
    );
    expect(() => loadConfig({ DATAPROTECTION_API_VERSION: 'latest' })).toThrow(/DATAPROTECTION_API_VERSION/);
    expect(() => loadConfig({ DATAPROTECTION_ENDPOINT: 'https://x/path' })).toThrow(
      /DATAPROTECTION_ENDPOINT/,
    );
  });
});
