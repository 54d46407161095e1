/**
 * The pre-flight doctor against the emulator (ARM, Key Vault, the Authorization reads), Azurite and real
 * PostgreSQL: every check passes on a sound request, and each one fails for its own cause (produced through
 * the emulator's admin switches) and passes again once the cause is gone. Nothing is restored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor, type DoctorResult } from '../../src/activities/doctor';
import { loginFromSecret, type ActivityDeps } from '../../src/activities/deps';
import { withConnection } from '../../src/lib/postgres/client';
import { parseDrillRequest } from '../../src/lib/drill/request';
import { drillDatabaseName, drillFilePrefix } from '../../src/lib/drill/names';
import { arm, armToken } from '../support/emulator';
import { FLEX_BI, SINGLE_BI, singleDatabaseRequest, startDrillRig, type DrillRig } from '../support/drill';

let rig: DrillRig;
let deps: ActivityDeps;
let token: string;

beforeAll(async () => {
  rig = await startDrillRig();
  deps = rig.deps;
  token = await armToken(rig.emu);
}, 120_000);
afterAll(async () => rig?.stop());

const admin = async (method: string, path: string, body?: unknown) => {
  const r = await arm(rig.emu, token, method, path, body);
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
  return r.body;
};
const byId = (r: DoctorResult, id: string) => r.checks.find((c) => c.id === id)!;
const statuses = (r: DoctorResult) => Object.fromEntries(r.checks.map((c) => [c.id, c.status]));

function filesRequest(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    backupInstanceId: FLEX_BI,
    target: { ...rig.filesTarget(), containerArmId: containerArmIdOf(rig) },
    deadline: 'PT10M',
    ...extra,
  };
}
function containerArmIdOf(r: DrillRig): string {
  const c = r.emu.ctx.config;
  return `/subscriptions/${c.subscriptionId}/resourceGroups/rg-test/providers/Microsoft.Storage/storageAccounts/${c.storage.accountName}/blobServices/default/containers/${c.storage.containers[0]}`;
}
const doctor = (request: Record<string, unknown>) => runDoctor(deps, parseDrillRequest(request));
const noSecret = (r: DoctorResult) => {
  const text = JSON.stringify(r);
  for (const pw of ['tgt-pw', 'drill-pw', 'Password=']) expect(text).not.toContain(pw);
};

describe('pre-flight doctor', () => {
  it('passes every check of a database drill, and restores nothing', async () => {
    const jobsBefore = ((await admin('GET', '/_emulator/jobs')) as { jobs: unknown[] }).jobs.length;
    const r = await doctor(singleDatabaseRequest());
    expect(r.ok, JSON.stringify(r.checks, null, 1)).toBe(true);
    expect(statuses(r)).toEqual({
      'identity-permissions': 'passed',
      'backup-instance-protected': 'passed',
      'vault-identity': 'passed',
      'cross-region': 'skipped',
      'recovery-point': 'passed',
      'validate-restore': 'passed',
      'secret-readable': 'passed',
      'secret-names-target': 'passed',
      'server-reachable-tls': 'passed',
      'server-login': 'passed',
      'server-can-create': 'passed',
      'container-exists': 'skipped',
      'names-free': 'passed',
      'vault-blob-role': 'skipped',
      'pg-restore-version': 'skipped',
    });
    expect(byId(r, 'recovery-point').evidence).toMatch(/point \S+ at \d{4}-/);
    expect(((await admin('GET', '/_emulator/jobs')) as { jobs: unknown[] }).jobs.length).toBe(jobsBefore);
    noSecret(r);
  });

  it('passes every check of a files drill that loads into a drill server', async () => {
    const r = await doctor(filesRequest());
    expect(r.ok, JSON.stringify(r.checks, null, 1)).toBe(true);
    for (const id of [
      'container-exists',
      'names-free',
      'vault-blob-role',
      'pg-restore-version',
      'server-can-create',
    ])
      expect(byId(r, id).status, id).toBe('passed');
    expect(byId(r, 'vault-blob-role').evidence).toContain('Storage Blob Data Contributor');
    noSecret(r);
  });

  it('a polling role assigned on the resource group only: the doctor names the subscription scope, where ARM refuses the status URLs', async () => {
    // The operation status URLs are /subscriptions/{s}/providers/Microsoft.DataProtection/locations/...: a role on
    // the vault's resource group does not reach them (issue 16). The vault-scoped read proves nothing here.
    const c = rig.emu.ctx.config;
    const vaultGroup = SINGLE_BI.split('/providers/')[0]!;
    const action = 'Microsoft.DataProtection/locations/operationStatus/read';
    await admin('POST', '/_emulator/permissions', { revoke: action, exceptAt: vaultGroup });
    try {
      const r = await doctor(singleDatabaseRequest());
      const p = byId(r, 'identity-permissions');
      expect(p.status).toBe('failed');
      expect(p.evidence).toContain(`missing on /subscriptions/${c.subscriptionId} (`);
      expect(p.evidence).toContain(action);
      expect(p.evidence).not.toContain(`missing on ${vaultGroup}`);
      expect(p.fix).toContain(
        `"pg-restore-drill operation reader (<token>)" on /subscriptions/${c.subscriptionId}`,
      );
      // ARM itself refuses the subscription-scoped status URL (Azure returns such Azure-AsyncOperation URLs,
      // reference/dataprotection examples), while the doctor's vault-scoped validation still passes.
      const statusUrl = `/subscriptions/${c.subscriptionId}/providers/Microsoft.DataProtection/locations/westeurope/operationStatus/none?api-version=${deps.dataProtection.apiVersion}`;
      const refused = await arm(rig.emu, token, 'GET', statusUrl);
      expect(refused.status).toBe(403);
      expect(JSON.stringify(refused.body)).toContain(action);
      // Granted at the subscription: everything passes.
      await admin('POST', '/_emulator/permissions', {
        revoke: action,
        exceptAt: `/subscriptions/${c.subscriptionId}`,
      });
      const ok = await doctor(singleDatabaseRequest());
      expect(byId(ok, 'identity-permissions').status).toBe('passed');
      expect(byId(ok, 'validate-restore').status).toBe('passed');
      expect((await arm(rig.emu, token, 'GET', statusUrl)).status).toBe(404);
    } finally {
      await admin('DELETE', '/_emulator/permissions');
    }
  });

  it('a refused role-assignment or server read names the role that grants exactly that read', async () => {
    await admin('POST', '/_emulator/permissions', { revoke: 'Microsoft.Authorization/roleAssignments/read' });
    await admin('POST', '/_emulator/permissions', {
      revoke: 'Microsoft.DBforPostgreSQL/flexibleServers/read',
    });
    try {
      const r = await doctor(filesRequest());
      const blob = byId(r, 'vault-blob-role');
      expect(blob.status).toBe('failed');
      expect(blob.code).toBe('AuthorizationFailed');
      expect(blob.evidence).toContain('Microsoft.Authorization/roleAssignments/read');
      expect(blob.fix).toContain(
        '"pg-restore-drill role-assignment reader (<token>)" on the storage account',
      );
      const version = byId(r, 'pg-restore-version');
      expect(version.status).toBe('failed');
      expect(version.evidence).toContain('Microsoft.DBforPostgreSQL/flexibleServers/read');
      expect(version.fix).toContain('PGDRILL_FLEET_SCOPE_IDS');
    } finally {
      await admin('DELETE', '/_emulator/permissions');
    }
    const again = await doctor(filesRequest());
    expect(byId(again, 'vault-blob-role').status).toBe('passed');
    expect(byId(again, 'pg-restore-version').status).toBe('passed');
  });

  it('names a missing Data Protection action, and passes once it is granted again', async () => {
    const action = 'Microsoft.DataProtection/backupVaults/backupInstances/validateRestore/action';
    await admin('POST', '/_emulator/permissions', { revoke: action });
    try {
      const r = await doctor(singleDatabaseRequest());
      expect(r.ok).toBe(false);
      const c = byId(r, 'identity-permissions');
      expect(c.status).toBe('failed');
      expect(c.evidence).toContain(action);
      expect(c.fix).toMatch(/pg-restore-drill operator/);
      // The validation itself is refused by ARM too (403), with the same action named.
      expect(byId(r, 'validate-restore').status).toBe('failed');
    } finally {
      await admin('DELETE', '/_emulator/permissions');
    }
    expect(byId(await doctor(singleDatabaseRequest()), 'identity-permissions').status).toBe('passed');
  });

  it('fails an unprotected or unhealthy backup instance, and skips what needs it', async () => {
    for (const state of ['ProtectionStopped', 'ProtectionError']) {
      await admin('POST', '/_emulator/protection', { backupInstanceId: SINGLE_BI, state });
      const r = await doctor(singleDatabaseRequest());
      const c = byId(r, 'backup-instance-protected');
      expect(c.status, state).toBe('failed');
      expect(c.evidence).toContain(state);
      expect(byId(r, 'recovery-point').status).toBe('skipped');
      expect(byId(r, 'recovery-point').evidence).toContain('backup-instance-protected');
    }
    await admin('POST', '/_emulator/protection', {
      backupInstanceId: SINGLE_BI,
      state: 'ProtectionConfigured',
    });
    expect(byId(await doctor(singleDatabaseRequest()), 'backup-instance-protected').status).toBe('passed');
  });

  it('fails an unreadable Key Vault secret (403), and passes once it is readable', async () => {
    const secretUri = 'https://kv-test.vault.azure.net/secrets/tgt-admin';
    await admin('POST', '/_emulator/keyvault/forbid', { secretUri });
    const r = await doctor(singleDatabaseRequest());
    const c = byId(r, 'secret-readable');
    expect(c.status).toBe('failed');
    expect(c.code).toBe('KeyVaultForbidden');
    expect(c.fix).toMatch(/Key Vault Secrets User/);
    expect(byId(r, 'server-login').status).toBe('skipped');
    await admin('POST', '/_emulator/keyvault/forbid', { secretUri, forbidden: false });
    expect(byId(await doctor(singleDatabaseRequest()), 'secret-readable').status).toBe('passed');
  });

  it('fails a name the drill would create that is already taken', async () => {
    const request = singleDatabaseRequest({ idempotencyKey: 'doctor-taken' });
    const name = drillDatabaseName('drill-doctor-taken');
    await admin('POST', '/_emulator/servers/tgt-single/databases', { name });
    const r = await doctor(request);
    const c = byId(r, 'names-free');
    expect(c.status).toBe('failed');
    expect(c.evidence).toContain(name);
    expect(
      byId(await doctor(singleDatabaseRequest({ idempotencyKey: 'doctor-free' })), 'names-free').status,
    ).toBe('passed');
    // Files: the prefix a drill would restore under, already holding blobs.
    const prefix = drillFilePrefix('drill-doctor-taken');
    const container = deps.containers(rig.containerUrl);
    await container.getBlockBlobClient(`${prefix}_shop.dump`).upload('x', 1);
    try {
      const f = byId(await doctor(filesRequest({ idempotencyKey: 'doctor-taken' })), 'names-free');
      expect(f.status).toBe('failed');
      expect(f.evidence).toContain(prefix);
    } finally {
      await container.deleteBlob(`${prefix}_shop.dump`);
    }
  });

  it('fails a drill server whose port is closed, and passes once it is back', async () => {
    await admin('POST', '/_emulator/servers/drill-pg/halt');
    try {
      const r = await doctor(filesRequest());
      const c = byId(r, 'server-reachable-tls');
      expect(c.status).toBe('failed');
      expect(c.evidence).toContain(`${rig.drillServer.host}:${rig.drillServer.port}`);
      expect(byId(r, 'server-login').status).toBe('skipped');
    } finally {
      await admin('POST', '/_emulator/servers/drill-pg/start');
    }
    expect(byId(await doctor(filesRequest()), 'server-reachable-tls').status).toBe('passed');
  });

  it("fails when the vault's identity lost its blob data role; skips without a container ARM id", async () => {
    await admin('POST', '/_emulator/vaultBlobRole', { vault: 'vault-test', assigned: false });
    try {
      const c = byId(await doctor(filesRequest()), 'vault-blob-role');
      expect(c.status).toBe('failed');
      expect(c.fix).toMatch(/Storage Blob Data Contributor/);
    } finally {
      await admin('POST', '/_emulator/vaultBlobRole', { vault: 'vault-test', assigned: true });
    }
    expect(byId(await doctor(filesRequest()), 'vault-blob-role').status).toBe('passed');
    const plain = filesRequest();
    delete (plain.target as Record<string, unknown>).containerArmId;
    const s = byId(await doctor(plain), 'vault-blob-role');
    expect(s.status).toBe('skipped');
    expect(s.evidence).toContain('target.containerArmId');
  });

  it('fails a vault without a system-assigned identity, naming the command that enables it; the blob role check is skipped', async () => {
    for (const type of ['UserAssigned', 'None']) {
      await admin('POST', '/_emulator/vaultIdentity', { vault: 'vault-test', type });
      try {
        const r = await doctor(filesRequest());
        const c = byId(r, 'vault-identity');
        expect(c.status).toBe('failed');
        expect(c.code).toBe('VaultIdentityMissing');
        expect(c.evidence).toContain(`identity.type ${type}`);
        expect(c.fix).toContain('az dataprotection backup-vault identity assign');
        expect(byId(r, 'vault-blob-role').status).toBe('skipped');
        expect(byId(r, 'vault-blob-role').evidence).toContain('vault-identity');
        expect(r.ok).toBe(false);
      } finally {
        await admin('POST', '/_emulator/vaultIdentity', { vault: 'vault-test', type: 'SystemAssigned' });
      }
    }
    const back = await doctor(filesRequest());
    expect(byId(back, 'vault-identity').status).toBe('passed');
    expect(byId(back, 'vault-identity').evidence).toMatch(
      /identity\.type SystemAssigned, principalId [0-9a-f-]{36}/,
    );
  });

  it('fails a missing container and a pg_restore that cannot run', async () => {
    const missing = filesRequest();
    (missing.target as Record<string, unknown>).containerUrl = `${rig.emu.blobEndpoint}/no-such-container`;
    const r = await doctor(missing);
    expect(byId(r, 'container-exists').status).toBe('failed');
    expect(byId(r, 'names-free').status).toBe('skipped');
    const old = await runDoctor(
      { ...deps, pgRestore: '/nonexistent/pg_restore' },
      parseDrillRequest(filesRequest()),
    );
    expect(byId(old, 'pg-restore-version').status).toBe('failed');
    expect(byId(old, 'pg-restore-version').code).toBe('PgRestoreNotFound');
  });
  it('cross-region: a target outside the paired region fails the prerequisites; a revoked cross-region action is named', async () => {
    const r = await doctor(singleDatabaseRequest({ restoreFrom: 'secondaryRegion' }));
    expect(r.restoreFrom).toBe('secondaryRegion');
    const c = byId(r, 'cross-region');
    expect(c.status).toBe('failed');
    expect(c.code).toBe('TargetNotInPairedRegion');
    expect(byId(r, 'recovery-point').status).toBe('skipped');
    expect(byId(r, 'recovery-point').evidence).toContain('cross-region');
    await admin('POST', '/_emulator/permissions', {
      revoke: 'Microsoft.DataProtection/locations/fetchSecondaryRecoveryPoints/action',
    });
    try {
      const p = byId(
        await doctor(singleDatabaseRequest({ restoreFrom: 'secondaryRegion' })),
        'identity-permissions',
      );
      expect(p.status).toBe('failed');
      expect(p.evidence).toContain(
        'Microsoft.DataProtection/subscriptions/resourceGroups/providers/locations/fetchSecondaryRecoveryPoints/action',
      );
      // A same-region drill does not need it.
      expect(byId(await doctor(singleDatabaseRequest()), 'identity-permissions').status).toBe('passed');
      // Assigned on the vault only: the calls go to the vault's resource group, so the doctor still fails there.
      const vaultId = SINGLE_BI.split('/backupInstances/')[0]!;
      await admin('DELETE', '/_emulator/permissions');
      await admin('POST', '/_emulator/permissions', {
        revoke: 'Microsoft.DataProtection/locations/fetchSecondaryRecoveryPoints/action',
        exceptAt: vaultId,
      });
      const low = byId(
        await doctor(singleDatabaseRequest({ restoreFrom: 'secondaryRegion' })),
        'identity-permissions',
      );
      expect(low.status).toBe('failed');
      expect(low.evidence).toContain(`missing on ${vaultId.split('/providers/')[0]} (`);
      expect(low.fix).toContain('"pg-restore-drill cross-region (<token>)"');
    } finally {
      await admin('DELETE', '/_emulator/permissions');
    }
  });
});

describe('pre-flight doctor: the privileges a drill needs on its server', () => {
  /** A login made on the drill server by its admin, read through a secret only this test's deps know. */
  async function withLogin(
    name: string,
    attributes: string,
    grants: string[],
    run: (d: ActivityDeps, secretUri: string) => Promise<void>,
  ): Promise<void> {
    const adminLogin = await loginFromSecret(deps, rig.drillServer.secretUri, rig.drillServer);
    const sql = (q: string) => withConnection(adminLogin, 'postgres', (c) => c.query(q));
    await sql(`DROP ROLE IF EXISTS ${name}`);
    await sql(`CREATE ROLE ${name} LOGIN PASSWORD 'limited-pw-1' ${attributes}`);
    for (const g of grants) await sql(`GRANT ${g} TO ${name}`);
    const secretUri = `https://kv-test.vault.azure.net/secrets/${name.replace(/_/g, '-')}`;
    const own: ActivityDeps = {
      ...deps,
      secrets: (uri) =>
        uri === secretUri
          ? Promise.resolve(
              `Server=${rig.drillServer.host};Port=${rig.drillServer.port};User Id=${name};Password=limited-pw-1`,
            )
          : deps.secrets(uri),
    };
    try {
      await run(own, secretUri);
    } finally {
      await sql(`DROP ROLE IF EXISTS ${name}`);
    }
  }
  const filesWith = (secretUri: string) => {
    const r = filesRequest();
    const t = r.target as { load: Record<string, unknown> };
    t.load = { ...t.load, secretUri };
    return parseDrillRequest(r);
  };

  it('passes a login with CREATEDB but no CREATEROLE: verification runs in the weaker mode, the drill runs', async () => {
    await withLogin('doctor_createdb_only', 'CREATEDB NOCREATEROLE', [], async (d, uri) => {
      const c = byId(await runDoctor(d, filesWith(uri)), 'server-can-create');
      expect(c.status, c.evidence).toBe('passed');
      expect(c.evidence).toMatch(/weaker mode/);
    });
  });

  it('fails a member of azure_pg_admin without CREATEDB: role attributes are not inherited', async () => {
    const adminLogin = await loginFromSecret(deps, rig.drillServer.secretUri, rig.drillServer);
    await withConnection(adminLogin, 'postgres', (c) =>
      c.query(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'azure_pg_admin') THEN CREATE ROLE azure_pg_admin NOLOGIN; END IF; END $$",
      ),
    );
    await withLogin('doctor_azure_member', 'NOCREATEDB NOCREATEROLE', ['azure_pg_admin'], async (d, uri) => {
      const c = byId(await runDoctor(d, filesWith(uri)), 'server-can-create');
      expect(c.status, c.evidence).toBe('failed');
      expect(c.fix).toContain('CREATEDB');
      expect(c.fix).not.toContain('CREATEROLE');
    });
  });
});
