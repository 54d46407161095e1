/**
 * The custom roles of infra/main.bicep and the doctor's action lists (src/lib/doctor/permissions.ts) agree: the
 * roles the app's identity gets on a backup vault's path (the vault, its resource group, its subscription) grant
 * exactly the actions a drill calls, same-region and cross-region; each role is assigned where its calls' URLs
 * live; fleet scopes get the same roles; no role holds a wildcard. Reads the Bicep text (no Bicep CLI here).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CROSS_REGION_ACTIONS,
  DRILL_ACTIONS,
  DRILL_ROLE_READ_ACTIONS,
  OWN_PERMISSIONS_READ_ACTION,
  ROLE_ASSIGNMENT_READ_ACTIONS,
} from '../../src/lib/doctor/permissions';

const infra = join(__dirname, '..', '..', 'infra');
const bicep = (file: string) => readFileSync(join(infra, file), 'utf8');
const main = bicep('main.bicep');

/** Index just past the Bicep string starting at `i` (a quote): escapes and `${...}` interpolations skipped. */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === "'") return j + 1;
    else if (text.startsWith('${', j)) j = skipBalanced(text, j + 1) - 1;
  }
  throw new Error(`unterminated string at ${i}`);
}

/** Index just past the bracket closing the one at `i`, skipping strings and // comments. */
function skipBalanced(text: string, i: number): number {
  let depth = 0;
  for (let j = i; j < text.length;) {
    const c = text[j]!;
    if (c === "'") j = skipString(text, j);
    else if (text.startsWith('//', j)) j = text.indexOf('\n', j) + 1 || text.length;
    else {
      if ('([{'.includes(c)) depth++;
      else if (')]}'.includes(c) && --depth === 0) return j + 1;
      j++;
    }
  }
  throw new Error(`unbalanced bracket at ${i}`);
}

/** Top-level `resource` / `module` declarations: symbol, type or path, and the body after `=`. */
function declarations(text: string, keyword: 'resource' | 'module') {
  return [...text.matchAll(new RegExp(`^${keyword} (\\w+) '([^']+)'(?: existing)? = ([^\\n]*)$`, 'gm'))].map(
    (m) => {
      const start = m.index + m[0].length - m[3]!.length;
      // The body is the first bracket after `=` that is not an `if (...)` condition's.
      let open = start;
      if (text.startsWith('if', open)) open = skipBalanced(text, text.indexOf('(', open)) + 1;
      open = text.slice(open).search(/[[{]/) + open;
      return { symbol: m[1]!, target: m[2]!, body: text.slice(start, skipBalanced(text, open)) };
    },
  );
}

interface Role {
  symbol: string;
  nameVar: string;
  roleName: string;
  actions: string[];
  notActions: string[];
  assignableScopes: string;
}

const stringsIn = (list: string): string[] => [...list.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
const listAfter = (body: string, key: string): string => {
  const at = body.search(new RegExp(`\\b${key}: \\[`));
  if (at < 0) throw new Error(`no ${key} list`);
  const open = body.indexOf('[', at);
  return body.slice(open, skipBalanced(body, open));
};

function customRoles(): Role[] {
  return declarations(main, 'resource')
    .filter((d) => d.target.startsWith('Microsoft.Authorization/roleDefinitions@'))
    .map((d) => ({
      symbol: d.symbol,
      nameVar: /\n\s*name: (\w+)\n/.exec(d.body)![1]!,
      // Display names carry the environment's token (unique per tenant): 'pg-restore-drill operator (${resourceToken})'.
      roleName: /roleName: '([^']+) \(\$\{resourceToken\}\)'/.exec(d.body)?.[1] ?? '(no token in roleName)',
      actions: stringsIn(listAfter(d.body, 'actions').replace(/\/\/[^\n]*/g, '')),
      notActions: stringsIn(listAfter(d.body, 'notActions')),
      assignableScopes: /assignableScopes: (\w+)/.exec(d.body)![1]!,
    }));
}

/** `var name = expression` of main.bicep. */
function variable(name: string): string {
  const m = new RegExp(`^var ${name} = (.+)$`, 'm').exec(main);
  if (!m) throw new Error(`main.bicep declares no var ${name}`);
  return m[1]!;
}

/** The custom roles a module of main.bicep assigns (role name variables in its body), and what it loops over. */
function assignedBy(moduleSymbol: string) {
  const d = declarations(main, 'module').find((m) => m.symbol === moduleSymbol);
  if (!d) throw new Error(`main.bicep has no module ${moduleSymbol}`);
  const roles = customRoles();
  const vars = new Set<string>();
  for (const v of d.body.matchAll(/\b(\w+RoleName)\b(?!:)/g)) {
    const name = v[1]!;
    // vaultRoleName chooses Backup Operator or the custom drill role: the custom one is checked here.
    if (roles.some((r) => r.nameVar === name)) vars.add(name);
    else for (const inner of variable(name).matchAll(/\b(\w+RoleName)\b/g)) vars.add(inner[1]!);
  }
  return {
    file: d.target,
    loop: /\bfor \(\w+, \w+\) in (\w+)/.exec(d.body)?.[1],
    roles: roles.filter((r) => vars.has(r.nameVar)),
  };
}

const same = (a: readonly string[], b: readonly string[]) =>
  expect([...new Set(a.map((s) => s.toLowerCase()))].sort()).toEqual(
    [...new Set(b.map((s) => s.toLowerCase()))].sort(),
  );

describe('infra roles vs the doctor', () => {
  it('main.bicep defines the four custom roles, none with a wildcard or notActions', () => {
    const roles = customRoles();
    expect(roles.map((r) => r.roleName).sort()).toEqual([
      'pg-restore-drill cross-region',
      'pg-restore-drill operation reader',
      'pg-restore-drill operator',
      'pg-restore-drill role-assignment reader',
    ]);
    for (const r of roles) {
      // One environment's roles never overwrite another's (ids) nor clash in the tenant (display names).
      expect(variable(r.nameVar), r.roleName).toMatch(/^guid\(resourceToken, '[a-z-]+'\)$/);
      expect(r.actions.length, r.roleName).toBeGreaterThan(0);
      for (const a of r.actions) expect(a, `${r.roleName}: wildcard action`).not.toContain('*');
      expect(r.notActions, r.roleName).toEqual([]);
      expect(new Set(r.actions).size, `${r.roleName}: duplicate action`).toBe(r.actions.length);
    }
  });

  it("the roles on a vault's path (vault, group, subscription) grant exactly the drill's actions", () => {
    const onVault = assignedBy('vaultAccess');
    const onGroup = assignedBy('vaultGroupAccess');
    const onSubscription = assignedBy('operationReaderAccess');
    // Where each is assigned: each vault; each distinct group of the vaults; each distinct subscription.
    expect(onVault).toMatchObject({ file: 'app/vault-access.bicep', loop: 'backupVaultIds' });
    expect(onGroup).toMatchObject({ file: 'app/group-access.bicep', loop: 'vaultGroupIds' });
    expect(variable('vaultGroupIds')).toMatch(/^union\(map\(backupVaultIds, /);
    expect(onSubscription).toMatchObject({
      file: 'app/subscription-access.bicep',
      loop: 'operationSubscriptionIds',
    });
    expect(variable('operationSubscriptionIds')).toContain('vaultSubscriptionIds');
    expect(variable('vaultSubscriptionIds')).toMatch(/^map\(backupVaultIds, /);

    const granted = [...onVault.roles, ...onGroup.roles, ...onSubscription.roles].flatMap((r) => r.actions);
    same(granted, [...DRILL_ACTIONS, ...CROSS_REGION_ACTIONS, ...DRILL_ROLE_READ_ACTIONS]);

    // And each role where its URLs live: location-scoped operation reads at the subscription
    // (/subscriptions/{s}/providers/Microsoft.DataProtection/locations/...), cross-region calls at the group; each
    // with the read of the caller's own permissions, which the doctor lists at that scope.
    same(
      onSubscription.roles.flatMap((r) => r.actions),
      [...DRILL_ACTIONS.filter((a) => a.includes('/locations/')), OWN_PERMISSIONS_READ_ACTION],
    );
    same(
      onGroup.roles.flatMap((r) => r.actions),
      [...CROSS_REGION_ACTIONS, OWN_PERMISSIONS_READ_ACTION],
    );
    same(
      onVault.roles.flatMap((r) => r.actions),
      [...DRILL_ACTIONS.filter((a) => !a.includes('/locations/')), ...DRILL_ROLE_READ_ACTIONS],
    );
  });

  it('fleet scopes get the drill and cross-region roles, their subscriptions the operation reader', () => {
    const drill = customRoles().find((r) => r.roleName === 'pg-restore-drill operator')!;
    const crossRegion = customRoles().find((r) => r.roleName === 'pg-restore-drill cross-region')!;
    for (const [symbol, loop, file] of [
      ['fleetSubscriptionAccess', 'fleetSubscriptionScopeIds', 'app/subscription-access.bicep'],
      ['fleetGroupAccess', 'fleetGroupScopeIds', 'app/group-access.bicep'],
    ] as const) {
      const m = assignedBy(symbol);
      expect(m).toMatchObject({ file, loop });
      expect(m.roles.map((r) => r.symbol).sort()).toEqual([crossRegion.symbol, drill.symbol].sort());
    }
    expect(variable('operationSubscriptionIds')).toContain('fleetSubscriptionIds');
    expect(variable('fleetSubscriptionIds')).toMatch(/^map\(fleetScopes, /);
    // Each fleet scope id is validated once, before anything is derived from it.
    expect(variable('fleetScopes')).toMatch(
      /^map\(fleetScopeIds, id => .+ \? id : fail\('PGDRILL_FLEET_SCOPE_IDS/,
    );
    for (const derived of ['fleetSubscriptionScopeIds', 'fleetGroupScopeIds'])
      expect(variable(derived)).toMatch(/^filter\(fleetScopes, /);
  });

  it('the doctor can list role assignments at the restore storage, and only that', () => {
    const m = assignedBy('restoreStorageAccess');
    expect(m).toMatchObject({ file: 'app/storage-access.bicep', loop: 'restoreStorageAccountIds' });
    expect(m.roles.map((r) => r.roleName)).toEqual(['pg-restore-drill role-assignment reader']);
    same(m.roles[0]!.actions, ROLE_ASSIGNMENT_READ_ACTIONS);
  });

  it('every custom role is assignable in every subscription it is assigned in', () => {
    const byName = new Map(customRoles().map((r) => [r.roleName, r.assignableScopes]));
    for (const role of [
      'pg-restore-drill operator',
      'pg-restore-drill operation reader',
      'pg-restore-drill cross-region',
    ])
      expect(byName.get(role), role).toBe('roleAssignableScopes');
    const scopes = variable('roleAssignableScopes');
    for (const part of ['subscription().subscriptionId', 'vaultSubscriptionIds', 'fleetSubscriptionIds'])
      expect(scopes).toContain(part);
    expect(byName.get('pg-restore-drill role-assignment reader')).toBe('assignmentReaderAssignableScopes');
    expect(variable('assignmentReaderAssignableScopes')).toContain('restoreSubscriptionIds');
    expect(variable('restoreSubscriptionIds')).toMatch(/^map\(restoreStorageAccountIds, /);
  });
});
