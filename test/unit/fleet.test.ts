/**
 * Fleet plans, the pure part (src/lib/drill/fleet.ts, src/lib/drill/plans.ts): what a scope selects and why
 * it leaves an instance out, which template an instance gets, coverage order and overdue, start offsets,
 * the caps, and how a fleet plan is read (every bad field named, old plans still valid).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  capKeysOf,
  coverageOf,
  dueForDrill,
  matchesPattern,
  outOfScope,
  startable,
  startOffsetSeconds,
  templateFor,
  uniqueInstances,
  type FleetInstance,
  type Queued,
} from '../../src/lib/drill/fleet';
import { buildFleetReport, renderFleetHtml } from '../../src/lib/drill/fleetReport';
import { parsePlanSet, parsePlans, type FleetPlan } from '../../src/lib/drill/plans';

const SUB = '00000000-0000-0000-0000-000000000001';
const VAULT = `/subscriptions/${SUB}/resourceGroups/rg-a/providers/Microsoft.DataProtection/backupVaults/v1`;
const SERVER = `/subscriptions/${SUB}/resourceGroups/rg-a/providers/Microsoft.DBforPostgreSQL/servers/tgt`;
const KV = 'https://kv.vault.azure.net/secrets/s';

const instance = (name: string, extra: Partial<FleetInstance> = {}): FleetInstance => ({
  backupInstanceId: `${VAULT}/backupInstances/${name}`,
  name,
  vaultId: VAULT,
  region: 'westeurope',
  kind: 'flexibleServer',
  tags: {},
  ...extra,
});

const FILES_TEMPLATE = {
  kind: 'flexibleServer' as const,
  request: {
    target: {
      kind: 'files' as const,
      containerUrl: 'https://acct.blob.core.windows.net/drills',
      load: { host: 'Drill.example.com', secretUri: KV },
    },
  },
};
const DB_TEMPLATE = {
  kind: 'singleServerDatabase' as const,
  region: 'West Europe',
  request: { target: { kind: 'database' as const, serverId: SERVER, secretUri: KV } },
};

describe('scope', () => {
  it('name patterns: * and ? over the whole name, case-insensitive, regex characters literal', () => {
    expect(matchesPattern('prod-orders-01', 'prod-*')).toBe(true);
    expect(matchesPattern('PROD-orders-01', 'prod-*-0?')).toBe(true);
    expect(matchesPattern('prod-orders-011', 'prod-*-0?')).toBe(false);
    expect(matchesPattern('xprod-a', 'prod-*')).toBe(false);
    expect(matchesPattern('a.b', 'a.b')).toBe(true);
    expect(matchesPattern('axb', 'a.b')).toBe(false);
  });

  it('kinds, include, exclude and tags each leave an instance out with the reason', () => {
    const scope = {
      vaults: [VAULT] as [string],
      kinds: ['flexibleServer'] as ['flexibleServer'],
      include: ['prod-*'] as [string],
      exclude: ['*-scratch'] as [string],
      tags: { Env: 'prod', tier: ['gold', 'silver'] as [string, string], owner: '*' },
    };
    const tags = { env: 'prod', TIER: 'silver', owner: 'team-a' };
    expect(outOfScope(scope, instance('prod-a', { tags }))).toBeUndefined();
    expect(outOfScope(scope, instance('prod-a', { tags, kind: 'singleServerDatabase' }))).toBe(
      'its kind singleServerDatabase is not in scope.kinds (flexibleServer)',
    );
    expect(outOfScope(scope, instance('dev-a', { tags }))).toBe(
      'its name dev-a matches no scope.include pattern',
    );
    expect(outOfScope(scope, instance('prod-a-scratch', { tags }))).toBe(
      'its name prod-a-scratch matches scope.exclude pattern *-scratch',
    );
    expect(outOfScope(scope, instance('prod-a', { tags: { ...tags, env: 'dev' } }))).toBe(
      `its source server's tag Env is "dev", not "prod"`,
    );
    expect(outOfScope(scope, instance('prod-a', { tags: { env: 'prod', tier: 'bronze', owner: 'x' } }))).toBe(
      `its source server's tag tier is "bronze", not "gold" or "silver"`,
    );
    expect(outOfScope(scope, instance('prod-a', { tags: { env: 'prod', tier: 'gold' } }))).toBe(
      'its source server has no tag owner',
    );
    expect(
      outOfScope(scope, instance('prod-a', { tags, kind: { unsupported: 'Microsoft.Compute/disks' } })),
    ).toMatch(/Microsoft\.Compute\/disks; fleets drill/);
  });

  it('an instance listed twice (its vault and its resource group) counts once', () => {
    const a = instance('a');
    const upper = { ...a, backupInstanceId: a.backupInstanceId.toUpperCase() };
    expect(uniqueInstances([a, instance('b'), upper])).toEqual([a, instance('b')]);
  });

  it('templates: the first of the instance kind in its vault region (region compared loosely), else none', () => {
    const templates = [DB_TEMPLATE, FILES_TEMPLATE];
    expect(templateFor(templates, instance('a', { kind: 'singleServerDatabase' }))).toBe(0);
    expect(
      templateFor(templates, instance('a', { kind: 'singleServerDatabase', region: 'northeurope' })),
    ).toBeUndefined();
    expect(templateFor(templates, instance('a', { region: 'eastus' }))).toBe(1);
  });
});

describe('coverage', () => {
  const now = new Date('2026-12-02T00:00:00Z');
  const ids = ['a', 'b', 'c', 'd'].map((n) => instance(n).backupInstanceId);
  const drills = [
    { drillId: 'd1', backupInstanceId: ids[0]!, startedAt: '2026-11-30T00:00:00Z', verdict: 'passed' },
    {
      drillId: 'd2',
      backupInstanceId: ids[1]!.toUpperCase(),
      startedAt: '2026-11-01T00:00:00Z',
      verdict: 'passed',
    },
    { drillId: 'd3', backupInstanceId: ids[1]!, startedAt: '2026-11-29T00:00:00Z', verdict: 'failed' },
    { drillId: 'd4', backupInstanceId: ids[2]!, startedAt: '2026-10-01T00:00:00Z', verdict: 'passed' },
  ];

  it('least recently drilled first (never drilled first of all); overdue without a passed drill in the window', () => {
    const c = coverageOf(ids, drills, now, 30);
    expect(c.map((e) => e.backupInstanceId)).toEqual([ids[3], ids[2], ids[1], ids[0]]);
    expect(c.map((e) => e.overdue)).toEqual([true, true, true, false]);
    // b's newest drill failed; its proof is the passed one of 2026-11-01, 31 days old: overdue at 30.
    const b = c.find((e) => e.backupInstanceId === ids[1])!;
    expect(b).toEqual({
      backupInstanceId: ids[1],
      lastDrill: { drillId: 'd3', startedAt: '2026-11-29T00:00:00Z', verdict: 'failed' },
      lastPassedAt: '2026-11-01T00:00:00Z',
      ageDays: 31,
      overdue: true,
    });
  });

  it('the window decides: 31 days old is overdue at 31 days plus a second, a failed drill is no proof', () => {
    const c = coverageOf([ids[1]!], drills, new Date('2026-12-02T00:00:01Z'), 31);
    expect(c[0]!.overdue).toBe(true);
    expect(coverageOf([ids[1]!], drills.slice(2, 3), now, 365)[0]!.overdue).toBe(true);
    expect(dueForDrill(c[0]!, 31)).toBe(true);
    expect(dueForDrill(coverageOf([ids[0]!], drills, now, 30)[0]!, 30)).toBe(false);
    // Without a window every run drills everything and nothing is overdue.
    const none = coverageOf(ids, drills, now, undefined);
    expect(none.every((e) => !e.overdue && dueForDrill(e, undefined))).toBe(true);
  });
});

describe('start offsets and caps', () => {
  it('offsets are deterministic, within the window, and spread', () => {
    const ids = Array.from({ length: 200 }, (_, i) => instance(`i${i}`).backupInstanceId);
    const offsets = ids.map((id) => startOffsetSeconds('nightly', '2026-12-02T02:00:00Z', id, 60));
    expect(offsets).toEqual(ids.map((id) => startOffsetSeconds('nightly', '2026-12-02T02:00:00Z', id, 60)));
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThan(3600);
    // Spread: every quarter of the window gets some.
    for (let q = 0; q < 4; q++)
      expect(offsets.filter((o) => o >= q * 900 && o < (q + 1) * 900).length).toBeGreaterThan(20);
    expect(startOffsetSeconds('nightly', '2026-12-03T02:00:00Z', ids[0]!, 60)).not.toBe(offsets[0]);
  });

  it('cap keys: the vault, and the target server or the drill server (host:port, default port 5432)', () => {
    expect(capKeysOf(DB_TEMPLATE, VAULT)).toEqual({
      vault: VAULT.toLowerCase(),
      server: SERVER.toLowerCase(),
    });
    expect(capKeysOf(FILES_TEMPLATE, VAULT)).toEqual({
      vault: VAULT.toLowerCase(),
      server: 'drill.example.com:5432',
    });
    const unloaded = {
      ...FILES_TEMPLATE,
      request: { target: { kind: 'files' as const, containerUrl: 'https://x/c' } },
    };
    expect(capKeysOf(unloaded, VAULT)).toEqual({ vault: VAULT.toLowerCase() });
  });

  it('startable keeps every cap, lets later drills pass a capped or not-yet-due one, and stops at the total', () => {
    const q = (index: number, vault: string, server?: string, notBefore = 0): Queued => ({
      index,
      keys: { vault, ...(server ? { server } : {}) },
      notBefore,
    });
    const caps = { total: 4, perVault: 2, perServer: 1 };
    const queue = [
      q(0, 'v1', 's1'),
      q(1, 'v1', 's1'),
      q(2, 'v1', 's2'),
      q(3, 'v1', 's3'),
      q(4, 'v2', 's3'),
      q(5, 'v2'),
      q(6, 'v3', undefined, 100),
      q(7, 'v3'),
    ];
    // s1 is taken by index 0, so 1 waits; v1 is full after 0 and 2; s3 is free for 4; 6 is not due; total 4.
    expect(startable(queue, [], caps, 50).map((x) => x.index)).toEqual([0, 2, 4, 5]);
    // With two running on v2, v2 is full: 4 and 5 wait; 6 is due now.
    const running = [{ vault: 'v2' }, { vault: 'v2' }];
    expect(startable(queue, running, caps, 100).map((x) => x.index)).toEqual([0, 2]);
    expect(startable(queue, running, { ...caps, total: 10 }, 100).map((x) => x.index)).toEqual([0, 2, 6, 7]);
    expect(
      startable(queue, [{ vault: 'x' }, { vault: 'y' }, { vault: 'z' }, { vault: 'w' }], caps, 100),
    ).toEqual([]);
  });
});

describe('fleet plans', () => {
  const fleet = (extra: Record<string, unknown> = {}) => ({
    name: 'nightly',
    schedule: '0 0 2 * * *',
    scope: { vaults: [VAULT] },
    templates: [FILES_TEMPLATE],
    ...extra,
  });

  it('a fleet plan is read with defaults; a plan with a request still reads as before', () => {
    const [f, single] = parsePlans(
      JSON.stringify([
        fleet({ coverage: { everyDays: 30 }, maxConcurrent: { perVault: 3 } }),
        {
          name: 'one',
          schedule: '0 0 3 * * 1',
          request: { ...FILES_TEMPLATE.request, backupInstanceId: `${VAULT}/backupInstances/a` },
        },
      ]),
    );
    expect(f).toMatchObject({
      kind: 'fleet',
      everyDays: 30,
      caps: { total: 10, perVault: 3, perServer: 2 },
      startWindowMinutes: 60,
      enabled: true,
    } satisfies Partial<FleetPlan>);
    expect(single).toMatchObject({
      kind: 'single',
      request: { backupInstanceId: `${VAULT}/backupInstances/a` },
    });
  });

  it('every bad field of a fleet plan is named, and a bad template is caught as the request it becomes', () => {
    const set = parsePlanSet(
      JSON.stringify([
        fleet({ request: FILES_TEMPLATE.request }),
        { name: 'half', schedule: '0 0 2 * * *', scope: { vaults: [VAULT] } },
        fleet({ name: 'empty', scope: { kinds: ['flexibleServer'] } }),
        fleet({
          name: 'own-id',
          templates: [{ ...FILES_TEMPLATE, request: { ...FILES_TEMPLATE.request, backupInstanceId: 'x' } }],
        }),
        fleet({
          name: 'bad-target',
          templates: [{ kind: 'flexibleServer', request: { target: { kind: 'files' } } }],
        }),
        fleet({ name: 'bad-scope', scope: { vaults: ['not-an-id'], include: ['a b'] } }),
        fleet({ name: 'caps', maxConcurrent: { total: 0 }, coverage: {} }),
      ]),
    );
    expect(set.plans).toEqual([]);
    const by = (i: number) =>
      set.problems.filter((p) => p.pointer.startsWith(`/${i}/`)).map((p) => `${p.pointer}: ${p.message}`);
    expect(by(0)).toEqual([
      '/0/scope: belongs to a fleet plan: give either request (one drill) or scope and templates (a fleet)',
      '/0/templates: belongs to a fleet plan: give either request (one drill) or scope and templates (a fleet)',
    ]);
    expect(by(1)).toEqual([
      '/1/templates: is required: a plan gives either request (one drill) or scope and templates (a fleet)',
    ]);
    expect(by(2)).toEqual([
      '/2/scope: selects nothing: give vaults, resourceGroups or subscriptions (ARM ids of what to list)',
    ]);
    expect(by(3)).toEqual([
      '/3/templates/0/request/backupInstanceId: is set for each instance in scope by the fleet: leave it out of the template',
    ]);
    expect(by(4).join('\n')).toMatch(/^\/4\/templates\/0\/request\/target/m);
    expect(by(5).join('\n')).toMatch(/\/5\/scope\/vaults\/0/);
    expect(by(5).join('\n')).toMatch(/\/5\/scope\/include\/0/);
    expect(by(6).join('\n')).toMatch(/\/6\/maxConcurrent\/total/);
    expect(by(6).join('\n')).toMatch(/\/6\/coverage/);
  });
});

describe('README', () => {
  it('the fleet plan example reads as a fleet plan once its placeholders are filled in', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const block = /\*\*Fleets\.\*\*[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1]!;
    const filled = block
      .replace(/<sub>/g, '00000000-0000-0000-0000-000000000001')
      .replace(/<[^>]+>/g, 'example');
    const [p] = parsePlans(filled);
    expect(p).toMatchObject({
      kind: 'fleet',
      name: 'nightly-fleet',
      everyDays: 30,
      caps: { total: 20, perVault: 5, perServer: 2 },
    });
  });
});

describe('fleet report page', () => {
  it('counts, drills with failed ones marked, what is still overdue and what was left out, all escaped', () => {
    const id = (n: string) => instance(n).backupInstanceId;
    const report = buildFleetReport({
      fleetId: 'fleet-nightly@20261202T020000Z',
      plan: 'nightly',
      slot: '2026-12-02T02:00:00.000Z',
      startedAt: '2026-12-02T02:00:00.000Z',
      endedAt: '2026-12-02T02:30:00.000Z',
      coverage: [
        { backupInstanceId: id('a'), overdue: true },
        { backupInstanceId: id('b'), overdue: true },
      ],
      drills: [
        { backupInstanceId: id('a'), drillId: 'f.0000', verdict: 'passed', rtoSeconds: 600 },
        { backupInstanceId: id('b'), drillId: 'f.0001', verdict: 'failed', failureCode: 'LoadFailed' },
      ],
      skipped: [{ backupInstanceId: id('c'), reason: 'its name <c> matches scope.exclude pattern *' }],
      notDue: [],
      problems: [],
      everyDays: 30,
    });
    expect(report.counts).toEqual({
      inScope: 2,
      due: 2,
      drilled: 2,
      passed: 1,
      failed: 1,
      notDue: 0,
      skipped: 1,
      overdue: 1,
    });
    expect(report.overdue).toEqual([id('b')]);
    const page = renderFleetHtml(report);
    expect(page).toContain('attention');
    expect(page).toMatch(
      /<tr class="bad"><td><code>[^<]*\/b<\/code><\/td><td>f\.0001<\/td><td>failed<\/td><td>LoadFailed/,
    );
    expect(page).toContain('its name &#60;c&#62; matches');
    expect(page).not.toContain('<c>');
    expect(page).not.toMatch(/<script|https?:\/\/(?!schemas)/);
  });
});
