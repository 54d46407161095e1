/**
 * Static checks of the deployment (test/support/bicepChecks.ts) that catch issue 16's class of errors without a
 * Bicep CLI. For each rule: (a) the repository's files pass; (b) a fixture made by a small textual mutation of the
 * real file text, reintroducing the defect, fails with the expected problem. Where the rule's fix is the contract's
 * (infra/ is changed by another helper in parallel), the fixture first applies that fix idempotently (a no-op once
 * the files comply), so the defect is always reintroduced into compliant text and every mutation asserts that it
 * changed something.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionDefinitions } from '../../src/functions';
import {
  checkActions,
  checkAzdVersion,
  checkDeploymentNames,
  checkedListProblems,
  checkFunctionDependsOnRoles,
  checkGuardedScopes,
  checkImageFallback,
  checkOperationStatusScope,
  checkPrincipalType,
  checkResourceTypes,
  checkRoleIds,
  checkServerReader,
  checkVaultIdentityDocumented,
  constraintMinimum,
  formatProblem,
  identifiers,
  maskBicep,
  maxLength,
  OPERATION_STATUS_READ,
  parseBicep,
  readInfra,
  readYaml,
  type CheckedAction,
  type CheckedRole,
  type CheckedType,
  type Problem,
  type SourceFile,
} from '../support/bicepChecks';
import { bicepAppSettings, bindingSettings, missingBindingSettings } from '../support/bindingSettings';

const root = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const MAIN = 'infra/main.bicep';
const PARAMETERS = 'infra/main.parameters.json';
const RBAC = 'infra/app/rbac.bicep';
const VAULT_ACCESS = 'infra/app/vault-access.bicep';
const VAULT_IDENTITY = 'infra/app/vault-identity-access.bicep';
const SERVER_READER = 'infra/app/server-reader.bicep';
const ROLES = 'infra/checked/roles.json';
const ACTIONS = 'infra/checked/actions.json';
const TYPES = 'infra/checked/resource-types.json';

const bicepFiles = (): SourceFile[] =>
  readdirSync(join(root, 'infra'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.bicep'))
    .map((f) => `infra/${f.replace(/\\/g, '/')}`)
    .map((path) => ({ path, text: read(path) }));

const roles = (JSON.parse(read(ROLES)) as { roles: CheckedRole[] }).roles;
const actions = (JSON.parse(read(ACTIONS)) as { actions: CheckedAction[] }).actions;
const types = (JSON.parse(read(TYPES)) as { resourceTypes: CheckedType[] }).resourceTypes;

/** The text with `pattern` replaced; fails when nothing changed, so a fixture never tests the unchanged file. */
function mutate(text: string, pattern: RegExp, replacement: string): string {
  const out = text.replace(pattern, replacement);
  expect(out, `the mutation ${String(pattern)} changed nothing`).not.toBe(text);
  return out;
}

/** The files with one replaced (or added). */
const withFile = (files: SourceFile[], path: string, text: string): SourceFile[] => [
  ...files.filter((f) => f.path !== path),
  { path, text },
];
const textOf = (files: SourceFile[], path: string) => files.find((f) => f.path === path)!.text;
const rules = (problems: Problem[]) => problems.map((p) => p.rule);
const show = (problems: Problem[]) => problems.map(formatProblem);

/** The `scope:` line of the module deploying `modulePath` (a regex over the file text). */
const scopeOf = (modulePath: string) =>
  new RegExp(
    `(module \\w+ '${modulePath.replace(/[.]/g, '\\.')}'[^\\n]*\\n(?:[^\\n]*\\n)*?\\s*scope: )[^\\n]+`,
  );
const guarded = (param: string, fallbackGroup: string) =>
  `resourceGroup(empty(${param}) ? subscription().subscriptionId : split(${param}, '/')[2], empty(${param}) ? ${fallbackGroup} : split(${param}, '/')[4])`;
const unguarded = (param: string) => `resourceGroup(split(${param}, '/')[2], split(${param}, '/')[4])`;

describe('the Bicep reader', () => {
  it('masks comments and strings (escaped quotes, // in a string, a quote in a comment) and keeps interpolations', () => {
    const text = `// the vault's group\nvar a = 'it\\'s https://x/\${b}' /* 'c' */\nvar d = '''\nmulti 'line'\n'''\n`;
    const masked = maskBicep(text);
    expect(masked.length).toBe(text.length);
    expect(masked).not.toMatch(/vault|https|multi|c'/);
    expect(maskBicep(text, true)).toContain('${b}');
    const file = parseBicep('infra/x.bicep', text);
    expect(file.declarations.map((x) => [x.kind, x.name, x.line])).toEqual([
      ['var', 'a', 2],
      ['var', 'd', 3],
    ]);
    expect([...identifiers("cond ? { name: x, y: 'z${w}' } : f(v).p")].sort()).toEqual([
      'cond',
      'v',
      'w',
      'x',
    ]);
  });
});

describe('rule 1: scopes built from a parameter that may be empty are guarded', () => {
  it('passes on the repository files', () => {
    expect(show(checkGuardedScopes(readInfra(bicepFiles())))).toEqual([]);
  });

  for (const [file, modulePath, fallback] of [
    [MAIN, 'app/keyvault-access.bicep', 'rg.name'],
    [VAULT_IDENTITY, 'keyvault-access.bicep', 'resourceGroup().name'],
  ] as const) {
    it(`${file}: the Key Vault module scoped by resourceGroup(split(keyVaultId, '/')[2], …) fails (the issue's defect)`, () => {
      const fixed = read(file).replace(scopeOf(modulePath), `$1${guarded('keyVaultId', fallback)}`);
      expect(show(checkGuardedScopes(readInfra([{ path: file, text: fixed }])))).toEqual([]);
      const defect = mutate(fixed, scopeOf(modulePath), `$1${unguarded('keyVaultId')}`);
      const problems = checkGuardedScopes(readInfra([{ path: file, text: defect }]));
      expect(rules(problems)).toEqual(['guarded-scope']);
      expect(problems[0]!.file).toBe(file);
      expect(problems[0]!.line).toBe(
        defect.split('\n').findIndex((l) => l.includes(unguarded('keyVaultId'))) + 1,
      );
      expect(problems[0]!.message).toContain('parameter keyVaultId, which may be empty');
      expect(problems[0]!.fix).toContain('empty(keyVaultId)');
    });
  }

  it('a guard on one argument only still fails; a guard through a variable passes', () => {
    const half = read(MAIN).replace(
      scopeOf('app/keyvault-access.bicep'),
      `$1resourceGroup(empty(keyVaultId) ? subscription().subscriptionId : split(keyVaultId, '/')[2], split(keyVaultId, '/')[4])`,
    );
    expect(rules(checkGuardedScopes(readInfra([{ path: MAIN, text: half }])))).toEqual(['guarded-scope']);
    const viaVar = `param keyVaultId string = ''
var kvSub = empty(keyVaultId) ? subscription().subscriptionId : split(keyVaultId, '/')[2]
var kvGroup = empty(keyVaultId) ? resourceGroup().name : split(keyVaultId, '/')[4]
module kv 'kv.bicep' = if (!empty(keyVaultId)) {
  name: 'kv'
  scope: resourceGroup(kvSub, kvGroup)
}
`;
    expect(show(checkGuardedScopes(readInfra([{ path: 'infra/x.bicep', text: viaVar }])))).toEqual([]);
    const viaUnguardedVar = viaVar.replace(/empty\(keyVaultId\) \? resourceGroup\(\)\.name : /, '');
    expect(rules(checkGuardedScopes(readInfra([{ path: 'infra/x.bicep', text: viaUnguardedVar }])))).toEqual([
      'guarded-scope',
    ]);
  });

  it('an inverted guard (the id split exactly when it is empty) fails; !empty(…) with the branches swapped passes', () => {
    const module = (sub: string, group: string) => `param keyVaultId string = ''
module kv 'kv.bicep' = if (!empty(keyVaultId)) {
  name: 'kv'
  scope: resourceGroup(${sub}, ${group})
}
`;
    const check = (text: string) => rules(checkGuardedScopes(readInfra([{ path: 'infra/x.bicep', text }])));
    const split = (n: number) => `split(keyVaultId, '/')[${n}]`;
    expect(
      check(
        module(
          `empty(keyVaultId) ? ${split(2)} : subscription().subscriptionId`,
          `empty(keyVaultId) ? ${split(4)} : resourceGroup().name`,
        ),
      ),
    ).toEqual(['guarded-scope']);
    expect(
      check(
        module(
          `!empty(keyVaultId) ? ${split(2)} : subscription().subscriptionId`,
          `(!empty(keyVaultId) ? ${split(4)} : resourceGroup().name)`,
        ),
      ),
    ).toEqual([]);
    // empty() somewhere in the argument is not a guard: the split must sit in the branch taken when it is not empty.
    expect(
      check(
        module(
          `length(string(empty(keyVaultId))) > 0 ? ${split(2)} : 'x'`,
          `empty(keyVaultId) ? resourceGroup().name : ${split(4)}`,
        ),
      ),
    ).toEqual(['guarded-scope']);
  });

  it('a loop variable over an array parameter needs no guard; a parameter with @minLength(1) needs none', () => {
    const text = `@minLength(1)
param requiredId string
param ids array = []
module each 'x.bicep' = [for (id, i) in ids: {
  name: 'each-\${i}'
  scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
}]
module one 'x.bicep' = {
  name: 'one'
  scope: resourceGroup(split(requiredId, '/')[2], split(requiredId, '/')[4])
}
`;
    expect(show(checkGuardedScopes(readInfra([{ path: 'infra/x.bicep', text }])))).toEqual([]);
  });
});

describe('rule 2: the role that reads operation status is assigned at subscription scope', () => {
  it('passes on the repository files', () => {
    expect(show(checkOperationStatusScope(readInfra(bicepFiles())))).toEqual([]);
  });

  /** A subscription-scope module assigning the main file's role that holds the action (the contract's shape). */
  function withSubscriptionAssignment(files: SourceFile[]): SourceFile[] {
    const main = parseBicep(MAIN, textOf(files, MAIN));
    const holder = main.declarations.find(
      (d) =>
        d.kind === 'resource' &&
        d.target.startsWith('Microsoft.Authorization/roleDefinitions@') &&
        d.body.includes(OPERATION_STATUS_READ),
    );
    expect(holder, `${MAIN} defines no role holding ${OPERATION_STATUS_READ}`).toBeDefined();
    const module = `
module fixtureReader 'app/fixture-operation-reader.bicep' = {
  name: 'fixture-operation-reader'
  scope: subscription()
  params: { roleDefinitionId: ${holder!.name}.id, principalId: identity.outputs.principalId }
}
`;
    const file = `targetScope = 'subscription'
param roleDefinitionId string
param principalId string
resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, roleDefinitionId)
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: roleDefinitionId }
}
`;
    return withFile(
      withFile(files, MAIN, textOf(files, MAIN) + module),
      'infra/app/fixture-operation-reader.bicep',
      file,
    );
  }

  it("the role assigned only on the vault and its resource group fails (the issue's defect)", () => {
    const fixed = withSubscriptionAssignment(bicepFiles());
    expect(show(checkOperationStatusScope(readInfra(fixed)))).toEqual([]);
    // Reintroduce: every module file that was deployed at subscription scope is now a resource-group module.
    const defect = fixed.map((f) =>
      f.path === MAIN || !/targetScope\s*=\s*'subscription'/.test(f.text)
        ? f
        : { ...f, text: mutate(f.text, /targetScope\s*=\s*'subscription'/, "targetScope = 'resourceGroup'") },
    );
    const problems = checkOperationStatusScope(readInfra(defect));
    expect(rules(problems).length).toBeGreaterThan(0);
    expect(new Set(rules(problems))).toEqual(new Set(['operation-status-scope']));
    expect(problems[0]!.message).toContain('no assignment of it is at subscription scope');
  });

  it('actions held in a variable are read; no role granting the action at all fails', () => {
    const viaVar = `targetScope = 'subscription'
param principalId string
var readerActions = [
  '${OPERATION_STATUS_READ}'
]
resource reader 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'reader')
  properties: { roleName: 'reader', permissions: [{ actions: readerActions }], assignableScopes: [subscription().id] }
}
resource onSubscription 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, 'reader')
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: reader.id }
}
`;
    expect(show(checkOperationStatusScope(readInfra([{ path: MAIN, text: viaVar }])))).toEqual([]);
    const onGroup = mutate(viaVar, /(onSubscription '[^']+' = \{)/, '$1\n  scope: resourceGroup()');
    expect(rules(checkOperationStatusScope(readInfra([{ path: MAIN, text: onGroup }])))).toEqual([
      'operation-status-scope',
    ]);
    const fixed = withSubscriptionAssignment(bicepFiles());
    expect(show(checkOperationStatusScope(readInfra(fixed)))).toEqual([]);
    const noHolder = fixed.map((f) => ({
      ...f,
      text: f.text.split(OPERATION_STATUS_READ).join('Microsoft.DataProtection/backupVaults/read'),
    }));
    expect(checkOperationStatusScope(readInfra(noHolder))[0]!.message).toContain(
      'no custom role in infra/ grants',
    );
  });
});

describe('rule 3: the function app depends on the modules that assign AcrPull and the storage data roles', () => {
  const FUNCTION = /(module \w+ 'app\/function\.bicep' = \{\n)/;
  it('passes on the repository files', () => {
    expect(show(checkFunctionDependsOnRoles(readInfra(bicepFiles())))).toEqual([]);
  });

  it("removing the dependsOn fails (the issue's defect)", () => {
    const main = read(MAIN);
    const block = /module \w+ 'app\/function\.bicep' = \{[\s\S]*?\n\}/.exec(main)![0];
    const fixed = /dependsOn:/.test(block) ? main : main.replace(FUNCTION, '$1  dependsOn: [rbac]\n');
    expect(show(checkFunctionDependsOnRoles(readInfra(withFile(bicepFiles(), MAIN, fixed))))).toEqual([]);
    const defect = mutate(
      fixed,
      /(module \w+ 'app\/function\.bicep' = \{[\s\S]*?)\n\s*dependsOn: \[[^\]]*\]/,
      '$1',
    );
    const problems = checkFunctionDependsOnRoles(readInfra(withFile(bicepFiles(), MAIN, defect)));
    expect(rules(problems).length).toBeGreaterThan(0);
    expect(problems.every((p) => p.rule === 'function-depends-on-roles' && p.file === MAIN)).toBe(true);
    expect(problems.map((p) => p.fix).join()).toMatch(/dependsOn: \[\w+\]/);
  });

  it('roles that cannot be found fail instead of passing unchecked', () => {
    const files = bicepFiles();
    const file = files.find((f) => f.text.includes("'7f951dda-4ed3-4680-a7ca-43fe172d538d'"))!;
    const defect = mutate(
      file.text,
      /'7f951dda-4ed3-4680-a7ca-43fe172d538d'/g,
      "'00000000-0000-0000-0000-000000000000'",
    );
    const problems = checkFunctionDependsOnRoles(readInfra(withFile(files, file.path, defect)));
    expect(problems.map((p) => p.message).join()).toContain('assigns acrPull');
  });
});

describe('rule 4: no role assignment of the deploying principal hard-codes principalType', () => {
  it('passes on the repository files', () => {
    expect(show(checkPrincipalType(readInfra(bicepFiles()), MAIN, read(PARAMETERS)))).toEqual([]);
  });

  /** The contract's fix, idempotent: principalType from AZURE_PRINCIPAL_TYPE down to rbac.bicep. */
  function fixed(): { files: SourceFile[]; parameters: string } {
    let parameters = read(PARAMETERS);
    if (!parameters.includes('AZURE_PRINCIPAL_TYPE'))
      parameters = parameters.replace(
        /("principalId": \{ "value": "[^"]*" \},)/,
        '$1\n    "principalType": { "value": "${AZURE_PRINCIPAL_TYPE=User}" },',
      );
    let main = read(MAIN);
    if (!/^param principalType\b/m.test(main))
      main = main
        .replace(
          /^(param principalId string = '')$/m,
          "$1\n@allowed(['User', 'ServicePrincipal', 'Group'])\nparam principalType string = 'User'",
        )
        .replace(/(userPrincipalId: principalId)/, '$1\n    userPrincipalType: principalType');
    let rbac = read(RBAC);
    if (!/param userPrincipalType\b/.test(rbac) && /principalType: 'User'/.test(rbac))
      rbac = rbac
        .replace(/(param userPrincipalId string = '')/, "$1\nparam userPrincipalType string = 'User'")
        .replace(/principalType: 'User'/g, 'principalType: userPrincipalType');
    return { files: withFile(withFile(bicepFiles(), MAIN, main), RBAC, rbac), parameters };
  }

  it("principalType: 'User' hard-coded for AZURE_PRINCIPAL_ID fails (the issue's defect)", () => {
    const { files, parameters } = fixed();
    expect(show(checkPrincipalType(readInfra(files), MAIN, parameters))).toEqual([]);
    // Every principalType taken from a parameter becomes the literal 'User' again.
    const defect = files.map((f) =>
      /principalType: (?!')\w+/.test(f.text) && f.path !== MAIN
        ? { ...f, text: mutate(f.text, /principalType: (?!')\w+/g, "principalType: 'User'") }
        : f,
    );
    const problems = checkPrincipalType(readInfra(defect), MAIN, parameters);
    expect(rules(problems).length).toBeGreaterThan(0);
    expect(problems[0]!.message).toContain("principalType: 'User'");
    expect(problems[0]!.message).toContain('AZURE_PRINCIPAL_TYPE');
  });

  it('main.parameters.json without AZURE_PRINCIPAL_TYPE fails', () => {
    const { files, parameters } = fixed();
    const defect = mutate(parameters, /\n\s*"principalType": \{ "value": "[^"]*" \},?/, '');
    const problems = checkPrincipalType(readInfra(files), MAIN, defect);
    expect(problems.map((p) => p.file)).toContain(PARAMETERS);
  });
});

describe('rule 5: module deployment names are at most 64 characters for every input', () => {
  it('passes on the repository files', () => {
    expect(show(checkDeploymentNames(readInfra(bicepFiles())))).toEqual([]);
  });

  it("'vault-identity-${vaultName}' fails (the issue's defect)", () => {
    const NAME = /(module \w+ 'vault-identity-access\.bicep'[^\n]*\n(?:[^\n]*\n)*?\s*name: )[^\n]+/;
    const fixed = read(VAULT_ACCESS).replace(NAME, "$1'vault-identity-${uniqueString(vaultName)}'");
    expect(show(checkDeploymentNames(readInfra([{ path: VAULT_ACCESS, text: fixed }])))).toEqual([]);
    const defect = mutate(fixed, NAME, "$1'vault-identity-${vaultName}'");
    const problems = checkDeploymentNames(readInfra([{ path: VAULT_ACCESS, text: defect }]));
    expect(rules(problems)).toEqual(['deployment-name']);
    expect(problems[0]!.message).toContain('vaultName');
  });

  it('counts literal characters, uniqueString() as 13, an index as 3, take() and @maxLength as their bound', () => {
    const file = parseBicep(
      'infra/x.bicep',
      `@maxLength(20)
param short string
param long string
var token = toLower(uniqueString(long))
`,
    );
    const ctx = { file, loop: { item: 'id', index: 'i', source: 'ids' } };
    expect(maxLength("'a-${i}-${uniqueString(long)}'", ctx)).toBe(2 + 3 + 1 + 13);
    expect(maxLength("'x${token}'", ctx)).toBe(14);
    expect(maxLength("'p-${short}'", ctx)).toBe(22);
    expect(maxLength("take('p-${long}', 64)", ctx)).toBe(64);
    expect(maxLength("'p-${long}'", ctx)).toBe(Infinity);
    expect(maxLength("'p-${last(split(id, '/'))}'", ctx)).toBe(Infinity);
    const longLiteral = `'${'n'.repeat(60)}-\${i}-\${i}'`;
    const problems = checkDeploymentNames(
      readInfra([
        {
          path: 'infra/x.bicep',
          text: `module m 'y.bicep' = [for (id, i) in ids: {\n  name: ${longLiteral}\n}]\n`,
        },
      ]),
    );
    expect(problems[0]!.message).toContain('can be 68 characters');
  });
});

describe('rule 6: server-reader handles Single Server and Flexible Server ids', () => {
  /** The contract's server-reader (fixtures/server-reader.bicep) until infra/ has one with both types. */
  const compliant = () =>
    /DBforPostgreSQL\/flexibleServers@/.test(read(SERVER_READER))
      ? read(SERVER_READER)
      : read('test/infra/fixtures/server-reader.bicep');

  it('passes on the repository files', () => {
    expect(show(checkServerReader(readInfra(bicepFiles()), SERVER_READER))).toEqual([]);
  });

  it("the compliant fixture passes; a reader of Single Server only fails (the issue's defect)", () => {
    const fixed = compliant();
    expect(show(checkServerReader(readInfra([{ path: SERVER_READER, text: fixed }]), SERVER_READER))).toEqual(
      [],
    );
    const singleOnly = mutate(
      fixed,
      /'Microsoft\.DBforPostgreSQL\/flexibleServers@[\w-]+'/g,
      "'Microsoft.DBforPostgreSQL/servers@2017-12-01'",
    );
    const problems = checkServerReader(readInfra([{ path: SERVER_READER, text: singleOnly }]), SERVER_READER);
    expect(rules(problems)).toContain('server-reader');
    expect(problems.map((p) => p.message).join()).toContain('Microsoft.DBforPostgreSQL/flexibleServers');
  });

  it('an unconditional existing server fails (ARM would look it up for every id)', () => {
    const unconditional = mutate(
      compliant(),
      /('Microsoft\.DBforPostgreSQL\/flexibleServers@[\w-]+' existing = )if \([^\n]*\) \{/,
      '$1{',
    );
    const problems = checkServerReader(
      readInfra([{ path: SERVER_READER, text: unconditional }]),
      SERVER_READER,
    );
    expect(problems.map((p) => p.message).join()).toContain('is not conditional');
  });
});

describe('rule 7: azure.yaml requires azd >= 1.30.0', () => {
  const AZURE_YAML = 'azure.yaml';
  const fixed = () => {
    const text = read(AZURE_YAML);
    return /^requiredVersions:/m.test(text)
      ? text
      : `${text.trimEnd()}\nrequiredVersions:\n  azd: ">= 1.30.0"\n`;
  };

  it('passes on the repository file', () => {
    expect(show(checkAzdVersion(AZURE_YAML, read(AZURE_YAML)))).toEqual([]);
  });

  it("dropping requiredVersions fails (the issue's defect); a lower minimum fails", () => {
    expect(show(checkAzdVersion(AZURE_YAML, fixed()))).toEqual([]);
    const dropped = mutate(fixed(), /^requiredVersions:.*(\n[ \t]+.*)*\n?/m, '');
    expect(rules(checkAzdVersion(AZURE_YAML, dropped))).toEqual(['azd-version']);
    const lower = mutate(fixed(), /(azd:\s*["']?>=\s*)\d+\.\d+\.\d+/, '$11.29.0');
    expect(checkAzdVersion(AZURE_YAML, lower)[0]!.message).toContain('minimum 1.29.0 is below 1.30.0');
  });

  it('reads the flow and block forms, quotes and comments', () => {
    expect(readYaml('requiredVersions: { azd: ">= 1.30.0" } # comment\nname: x\n')).toEqual({
      requiredVersions: { azd: '>= 1.30.0' },
      name: 'x',
    });
    expect(readYaml("a:\n  b: 'c # d'\n  e:\n    - f\n    - g: h\n")).toEqual({
      a: { b: 'c # d', e: ['f', { g: 'h' }] },
    });
    expect(
      readYaml(
        'hooks:\n  postprovision:\n    shell: sh\n    run: |\n      echo a: b\n      echo c\nname: x\n',
      ),
    ).toEqual({ hooks: { postprovision: { shell: 'sh', run: 'echo a: b\necho c' } }, name: 'x' });
    expect(() => readYaml('a: b\n   c: d\n')).toThrow(/YAML line 2/);
    expect(constraintMinimum('>= 1.30.0, < 2.0.0')).toEqual([1, 30, 0]);
    expect(constraintMinimum('>1.31')).toEqual([1, 31, 0]);
  });
});

describe('rule 8: the manual image fallback in docs/deploy.md also sets SERVICE_API_IMAGE_NAME', () => {
  const DEPLOY = 'docs/deploy.md';
  it('passes on the repository file', () => {
    expect(show(checkImageFallback(DEPLOY, read(DEPLOY)))).toEqual([]);
  });

  it("a fallback that sets the image without azd env set SERVICE_API_IMAGE_NAME fails (the issue's defect)", () => {
    const text = read(DEPLOY);
    const fixed = /azd env set SERVICE_API_IMAGE_NAME/.test(text)
      ? text
      : text.replace(
          /^(az functionapp config container set .*)$/m,
          '$1\nazd env set SERVICE_API_IMAGE_NAME <registry>.azurecr.io/pg-restore-drill:1',
        );
    expect(show(checkImageFallback(DEPLOY, fixed))).toEqual([]);
    const defect = mutate(fixed, /^.*azd env set SERVICE_API_IMAGE_NAME.*\n/gm, '');
    const problems = checkImageFallback(DEPLOY, defect);
    expect(rules(problems)).toContain('image-fallback');
    expect(defect.split('\n')[problems[0]!.line - 1]).toMatch(/config container set|linuxFxVersion/);
  });

  it('a block that only shows the image is not a fallback', () => {
    const showOnly = '```sh\naz functionapp config show -g rg -n app --query linuxFxVersion -o tsv\n```\n';
    expect(checkImageFallback(DEPLOY, showOnly)).toEqual([]);
    expect(
      rules(
        checkImageFallback(
          DEPLOY,
          showOnly
            .replace('config show', 'config set')
            .replace('--query linuxFxVersion', '--linux-fx-version DOCKER|x'),
        ),
      ),
    ).toEqual(['image-fallback']);
  });
});

describe('rule 9: every role definition id is in infra/checked/roles.json with its source', () => {
  it('passes on the repository files, and the list is complete and sourced', () => {
    expect(show(checkRoleIds(readInfra(bicepFiles()), roles, ROLES))).toEqual([]);
    expect(
      show(
        checkedListProblems(ROLES, roles as unknown as Record<string, unknown>[], (e) => String(e.id), [
          'id',
          'name',
          'source',
        ]),
      ),
    ).toEqual([]);
    for (const r of roles)
      expect(r.source, r.name).toMatch(/learn\.microsoft\.com|azure-rest-api-specs|AzureBuiltInRoles/);
    // The contract's EventGrid Data Sender is listed before infra/ uses it.
    expect(roles.map((r) => r.id)).toContain('d5a91429-5739-47e2-a06b-3470a27159e7');
  });

  it('a role id not in the list fails', () => {
    const files = bicepFiles();
    const file = files.find((f) => f.text.includes('7f951dda-4ed3-4680-a7ca-43fe172d538d'))!;
    const defect = mutate(
      file.text,
      /7f951dda-4ed3-4680-a7ca-43fe172d538d/,
      '7f951dda-4ed3-4680-a7ca-43fe172d5380',
    );
    const problems = checkRoleIds(readInfra(withFile(files, file.path, defect)), roles, ROLES);
    expect(rules(problems)).toEqual(['role-id']);
    expect(problems[0]!.file).toBe(file.path);
    expect(problems[0]!.message).toContain('7f951dda-4ed3-4680-a7ca-43fe172d5380');
  });
});

describe('rule 10: every action of a custom role is in infra/checked/actions.json with its source', () => {
  it('passes on the repository files, and the list is complete and sourced', () => {
    expect(show(checkActions(readInfra(bicepFiles()), actions, ACTIONS))).toEqual([]);
    expect(
      show(
        checkedListProblems(
          ACTIONS,
          actions as unknown as Record<string, unknown>[],
          (e) => String(e.action),
          ['action', 'source'],
        ),
      ),
    ).toEqual([]);
    // The contract's additions are listed before infra/ uses them.
    for (const a of [
      'Microsoft.DBforPostgreSQL/servers/read',
      'Microsoft.DBforPostgreSQL/flexibleServers/read',
      OPERATION_STATUS_READ,
    ])
      expect(actions.map((x) => x.action)).toContain(a);
  });

  it('a misspelt action fails', () => {
    const files = bicepFiles();
    const file = files.find((f) =>
      f.text.includes("'Microsoft.DataProtection/backupVaults/backupJobs/read'"),
    )!;
    const defect = mutate(
      file.text,
      /'Microsoft\.DataProtection\/backupVaults\/backupJobs\/read'/,
      "'Microsoft.DataProtection/backupVaults/backupJob/read'",
    );
    const problems = checkActions(readInfra(withFile(files, file.path, defect)), actions, ACTIONS);
    expect(rules(problems)).toEqual(['action']);
    expect(problems[0]!.message).toContain('backupJob/read');
  });
});

describe('rule 11: every resource type and api-version is in infra/checked/resource-types.json with its source', () => {
  it('passes on the repository files, and the list is complete and sourced', () => {
    expect(show(checkResourceTypes(readInfra(bicepFiles()), types, TYPES))).toEqual([]);
    expect(
      show(
        checkedListProblems(
          TYPES,
          types as unknown as Record<string, unknown>[],
          (e) => `${String(e.type)}@${String(e.apiVersion)}`,
          ['type', 'apiVersion', 'source'],
        ),
      ),
    ).toEqual([]);
    for (const t of types)
      expect(t.source, t.type).toMatch(/^Azure\/bicep-types-az generated\/\S+\/types\.md @ [0-9a-f]{40}$/);
    // The contract's additions, with the versions chosen (stable, present in bicep-types-az).
    for (const t of [
      'Microsoft.Authorization/roleDefinitions@2022-04-01',
      'Microsoft.Authorization/roleAssignments@2022-04-01',
      'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01',
      'Microsoft.EventGrid/topics@2025-02-15',
      'Microsoft.Resources/resourceGroups@2021-04-01',
    ])
      expect(types.map((x) => `${x.type}@${x.apiVersion}`)).toContain(t);
  });

  it('an api-version not in the list fails', () => {
    const files = bicepFiles();
    const file = files.find((f) => f.text.includes("'Microsoft.DataProtection/backupVaults@"))!;
    const defect = mutate(
      file.text,
      /'Microsoft\.DataProtection\/backupVaults@[\w-]+'/,
      "'Microsoft.DataProtection/backupVaults@2099-01-01'",
    );
    const problems = checkResourceTypes(readInfra(withFile(files, file.path, defect)), types, TYPES);
    expect(rules(problems)).toEqual(['resource-type']);
    expect(problems[0]!.message).toContain('Microsoft.DataProtection/backupVaults@2099-01-01');
  });
});

describe('rule 12: every %SETTING% a binding uses is set (test/infra/bindingSettings.test.ts)', () => {
  it("the sweeper's schedule missing from the Bicep fails (the issue's defect)", () => {
    const BICEP = 'infra/app/function.bicep';
    const defect = mutate(read(BICEP), /^.*name: 'DRILL_SWEEP_SCHEDULE'.*\n/m, '');
    const names = new Set(bicepAppSettings(defect).map((s) => s.name));
    expect(missingBindingSettings(bindingSettings(functionDefinitions), [{ place: BICEP, names }])).toEqual([
      `sweepLeftovers uses %DRILL_SWEEP_SCHEDULE%, which ${BICEP} does not set`,
    ]);
  });
});

describe("rule 13: the vault's system-assigned identity is documented as required", () => {
  const DOCS = ['infra/README.md', 'docs/deploy.md'];
  it('passes on the repository files', () => {
    expect(show(checkVaultIdentityDocumented(DOCS.map((path) => ({ path, text: read(path) }))))).toEqual([]);
  });

  it("a document that does not say it fails (the issue's defect: a vault with only a user-assigned identity)", () => {
    for (const path of DOCS) {
      const text = read(path);
      const fixed = /system[- ]assigned/i.test(text)
        ? text
        : `${text}\n\nThe backup vault needs its system-assigned identity.\n`;
      expect(show(checkVaultIdentityDocumented([{ path, text: fixed }]))).toEqual([]);
      const defect = mutate(fixed, /system[- ]assigned/gi, 'managed');
      expect(rules(checkVaultIdentityDocumented([{ path, text: defect }]))).toEqual(['vault-identity']);
    }
  });
});
