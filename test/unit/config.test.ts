import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, loadConfig } from '../../src/lib/config';

describe('configuration', () => {
  it('defaults come from the schema, numbers as numbers (newest stable api-version 2026-06-01)', () => {
    expect(loadConfig({})).toEqual({
      DATAPROTECTION_ENDPOINT: 'https://management.azure.com',
      DATAPROTECTION_AUDIENCE: 'https://management.azure.com',
      DATAPROTECTION_API_VERSION: '2026-06-01',
      DURABLE_TASK_HUB_NAME: 'pgdrill',
      DRILL_REPORTS_TABLE: 'DrillReports',
      DRILL_REPORTS_CONTAINER: 'drill-reports',
      DRILL_TIMER_SCHEDULE: '0 */5 * * * *',
      DRILL_JOB_POLL_INITIAL_SECONDS: 10,
      DRILL_JOB_POLL_MAX_SECONDS: 120,
      DRILL_OPERATION_POLL_INITIAL_SECONDS: 1,
      DRILL_OPERATION_POLL_MAX_SECONDS: 30,
      DRILL_JOB_WATCH_BACKSTOP_SECONDS: 21600,
      DRILL_JOB_WATCH_INTERVAL_SECONDS: 30,
      DRILL_RETRY_FIRST_DELAY_SECONDS: 5,
      DRILL_HOST_PORT: 7071,
      DRILL_ACTIVITY_CONCURRENCY: 8,
      DRILL_SWEEP_SCHEDULE: '0 15 * * * *',
      DRILL_SWEEP_AFTER_HOURS: 24,
      WEBSITE_TIME_ZONE: 'UTC',
      DRILL_ALLOW_UNVERIFIED_TLS: false,
      DRILL_ARM_READS_PER_SECOND: 10,
      DRILL_ARM_WRITES_PER_SECOND: 2,
      DRILL_ARM_BUDGET_TABLE: 'DrillArmBudget',
      DRILL_COVERAGE_DAYS: 31,
      DRILL_HISTORY_RETENTION_DAYS: 400,
      DATAPROTECTION_TIMEOUT_SECONDS: 60,
      DRILL_RESTORE_SETTLE_SECONDS: 180,
    });
  });

  it('takes the settings it knows, canonicalises the endpoint, ignores unrelated variables', () => {
    const c = loadConfig({
      DATAPROTECTION_ENDPOINT: 'https://127.0.0.1:8443/',
      DATAPROTECTION_AUDIENCE: 'https://management.azure.com/',
      DATAPROTECTION_API_VERSION: '2021-07-01',
      AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
      HOME: '/root',
    });
    expect(c.DATAPROTECTION_ENDPOINT).toBe('https://127.0.0.1:8443');
    expect(c.DATAPROTECTION_AUDIENCE).toBe('https://management.azure.com');
    expect(c.DATAPROTECTION_API_VERSION).toBe('2021-07-01');
    expect(CONFIG_KEYS).toContain('AZURE_CLIENT_ID');
    expect(c).not.toHaveProperty('HOME');
  });

  it('numeric settings are read as numbers; text where a number belongs is named with an example', () => {
    const c = loadConfig({ DRILL_JOB_POLL_INITIAL_SECONDS: '0.5', DRILL_HOST_PORT: '8080' });
    expect(c.DRILL_JOB_POLL_INITIAL_SECONDS).toBe(0.5);
    expect(c.DRILL_HOST_PORT).toBe(8080);
    expect(() => loadConfig({ DRILL_JOB_POLL_MAX_SECONDS: 'ten' })).toThrow(
      /DRILL_JOB_POLL_MAX_SECONDS: must be number \(a number, such as 120\)/,
    );
    expect(() => loadConfig({ DRILL_HOST_PORT: '70000' })).toThrow(/DRILL_HOST_PORT: must be <= 65535/);
    expect(() => loadConfig({ DRILL_ACTIVITY_CONCURRENCY: '1.5' })).toThrow(/DRILL_ACTIVITY_CONCURRENCY/);
    expect(loadConfig({ DRILL_ALLOW_UNVERIFIED_TLS: 'TRUE' }).DRILL_ALLOW_UNVERIFIED_TLS).toBe(true);
    expect(() => loadConfig({ DRILL_ALLOW_UNVERIFIED_TLS: 'yes' })).toThrow(
      /DRILL_ALLOW_UNVERIFIED_TLS: must be boolean \(true or false\)/,
    );
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
