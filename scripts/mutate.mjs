#!/usr/bin/env node
/**
 * Mutation check of the safety guards (on demand: `node scripts/mutate.mjs [name…]`, about 10 minutes).
 *
 * Each mutation breaks one guard the way a careless change would (the condition dropped, the check
 * inverted), still type-correct (the test setup builds with tsc), then runs the tests that claim to prove that
 * guard. A mutation must make them fail ("caught");
 * one that passes ("SURVIVED") means the tests do not prove what they say. The source is restored after each
 * mutation, also when the script is interrupted. Tests that run the built app (e2e) get a rebuild first.
 *
 * Prints one line per mutation and exits non-zero if any survived. Run it on a clean tree, alone (it edits
 * src/ while it runs).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** [name, file, text to find (exactly once), replacement, test files and -t filter, needs a build] */
const MUTATIONS = [
  {
    name: 'replay engine: a task awaited again in a later Task.any counts as a new decision',
    file: 'src/host/replayEngine.ts',
    find: '    if (seen.has(a) && a.actionType !== ActionType.WaitForExternalEvent) continue;',
    replace: '    if (seen.has(a) && a.actionType === -1) continue;',
    tests: ['test/driver/driver.test.ts'],
    filter: 'throttled fan-out',
  },
  {
    name: 'ARM governor: requests go without waiting for a token',
    file: 'src/lib/dataprotection/governor.ts',
    find: '      const wait = b.take(this.now());',
    replace: '      const wait = 0 * b.take(this.now());',
    tests: ['test/unit/governor.test.ts', 'test/drill/governor.test.ts'],
  },
  {
    name: 'fleet caps: the per-server cap is not kept',
    file: 'src/lib/drill/fleet.ts',
    find: '    if (q.keys.server && (servers.get(q.keys.server) ?? 0) >= caps.perServer) continue;',
    replace: '    if (q.keys.server && (servers.get(q.keys.server) ?? 0) >= caps.perServer * 100) continue;',
    tests: ['test/unit/fleet.test.ts', 'test/drill/fleet.test.ts'],
  },
  {
    name: 'no double restore: a restore found from an earlier attempt is ignored',
    file: 'src/activities/dataProtection.ts',
    find: '        if (found) {\n          deps.log?.(',
    replace: '        if (false as boolean) {\n          deps.log?.(',
    tests: ['test/drill/drills.test.ts'],
    filter: 'no double restore',
  },
  {
    name: "no double restore: a retried trigger posts without looking for its earlier attempt's job",
    file: 'src/activities/dataProtection.ts',
    find: '      if (earlier) {',
    replace: '      if (false as boolean) {',
    tests: ['test/drill/drills.test.ts'],
    filter: 'no double restore',
  },
  {
    name: 'no double restore: an unanswered POST is not waited out',
    file: 'src/activities/dataProtection.ts',
    find: 'const settleMs = (deps.restoreSettleSeconds ?? 180) * 1000;',
    replace: 'const settleMs = 0 * (deps.restoreSettleSeconds ?? 180);',
    tests: ['test/drill/drills.test.ts'],
    filter: 'accepts only after the client gave up',
  },
  {
    name: 'cleanup ownership: any recorded name is trusted',
    file: 'src/lib/drill/resources.ts',
    find: '  const token = drillToken(drillId);\n  switch (r.kind) {',
    replace: '  const token = drillToken(drillId);\n  if (token) return null;\n  switch (r.kind) {',
    tests: ['test/drill/sweeper.test.ts', 'test/unit/ownership.test.ts'],
    filter: 'tampered|notOwnedBy',
  },
  {
    name: "cleanup ownership: a longer prefix's files count as this drill's",
    file: 'src/lib/drill/names.ts',
    find: '    FILE_SEPARATORS.includes(name[prefix.length]!)',
    replace: '    name.length > 0',
    tests: ['test/unit/ownership.test.ts', 'test/drill/isolation.test.ts'],
  },
  {
    name: 'the role drop refuses no role',
    file: 'src/lib/postgres/sandbox.ts',
    find: '  if (!role.startsWith(`${DB_PREFIX}ro_`))\n',
    replace: '  if (role === "\\u0000")\n',
    tests: ['test/drill/sweeper.test.ts'],
    filter: 'library refuses',
  },
  {
    name: 'function keys: every request is authorized',
    file: 'src/host/server.ts',
    find: '    return presented.some((p) => keyMatches(p, key));',
    replace: '    return presented.length > 0;',
    tests: ['test/e2e/boundary.test.ts'],
    build: true,
  },
  {
    name: 'verification is no longer read-only',
    file: 'src/lib/postgres/verify.ts',
    find: "await c.query('BEGIN READ ONLY');",
    replace: "await c.query('BEGIN');",
    tests: ['test/drill/sandbox.test.ts'],
  },
  {
    name: 'a secret reaches the logs',
    file: 'src/activities/deps.ts',
    find: '  const creds = parseConnectionString(await deps.secrets(secretUri));\n',
    replace:
      "  const creds = parseConnectionString(await deps.secrets(secretUri));\n  deps.log?.('login read', { secretUri, password: creds.password });\n",
    tests: ['test/drill/drills.test.ts'],
    filter: 'no secret reaches',
  },
  {
    name: 'the sweeper sweeps a recently swept drill again',
    file: 'src/functions/sweeper.ts',
    find: 'if (report.cleanup.sweptAt && report.cleanup.sweptAt > cutoff.toISOString()) {',
    replace: 'if (false as boolean) {',
    tests: ['test/drill/sweeper.test.ts'],
  },
  {
    name: 'a secret goes to whatever server the request names',
    file: 'src/activities/deps.ts',
    find: 'if (requested.host && !sameServer({ host, port }, { host: requested.host, port: requested.port ?? 5432 }))',
    replace: 'if (requested.host && !sameServer({ host, port }, { host, port }))',
    tests: ['test/drill/secrets.test.ts'],
  },
  {
    name: "a drill may take names that collide with a running drill's",
    file: 'src/lib/drill/collisions.ts',
    find: "      const hit = clash(mine, theirs);\n      if (hit) return { drillId: other.drillId, what: 'databaseName', ...hit };",
    replace:
      "      const hit = clash(mine, theirs);\n      if (hit && mine.length > 9) return { drillId: other.drillId, what: 'databaseName', ...hit };",
    tests: ['test/drill/isolation.test.ts'],
  },
  {
    name: 'an orphaned pg_restore without a pid file is not found',
    file: 'src/lib/postgres/admin.ts',
    find: "  for (const pid of await processesReading(join(folder, 'restore.dump'))) pids.add(pid);",
    replace:
      "  for (const pid of (await processesReading(join(folder, 'restore.dump'))).slice(0, 0)) pids.add(pid);",
    tests: ['test/unit/loadLeftovers.test.ts'],
  },
  {
    name: 'the driver refuses to reuse a finished instance id',
    file: 'src/host/driver.ts',
    find: '    if (existing && !TERMINAL.includes(existing.status)) {',
    replace: '    if (existing && TERMINAL.length > 0) {',
    tests: ['test/driver/driver.test.ts'],
  },
];

const only = process.argv.slice(2);
const chosen = only.length ? MUTATIONS.filter((m) => only.some((o) => m.name.includes(o))) : MUTATIONS;
let restore;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    restore?.();
    process.exit(130);
  });
}

function run(cmd, args) {
  return spawnSync(cmd, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
  });
}

let survived = 0;
for (const m of chosen) {
  const path = join(root, m.file);
  const original = readFileSync(path, 'utf8');
  const at = original.indexOf(m.find);
  if (at < 0 || original.indexOf(m.find, at + 1) >= 0) {
    console.log(`ERROR     ${m.name}: the text to mutate is not found exactly once in ${m.file}`);
    survived++;
    continue;
  }
  restore = () => writeFileSync(path, original);
  const started = Date.now();
  let outcome;
  try {
    writeFileSync(path, original.slice(0, at) + m.replace + original.slice(at + m.find.length));
    if (m.build) execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'ignore' });
    const args = ['vitest', 'run', ...m.tests, ...(m.filter ? ['-t', m.filter] : [])];
    const r = run('npx', args);
    // Colour codes out (NO_COLOR is set too).
    const text = (r.stdout + r.stderr).replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
    const summary = /Tests\s+(.*)/.exec(text)?.[1]?.trim() ?? 'no summary';
    if (/(\d+) passed/.test(summary) && !/failed/.test(summary)) outcome = `SURVIVED  (${summary})`;
    else if (/failed/.test(summary)) outcome = `caught    (${summary})`;
    else outcome = `ERROR     (${summary}; exit ${r.status})`;
  } finally {
    restore();
    restore = undefined;
    if (m.build) execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'ignore' });
  }
  if (!outcome.startsWith('caught')) survived++;
  console.log(
    `${outcome.padEnd(40)} ${m.name} [${m.tests.join(', ')}${m.filter ? ` -t "${m.filter}"` : ''}] ${Math.round((Date.now() - started) / 1000)} s`,
  );
}
console.log(`${chosen.length - survived} of ${chosen.length} mutations caught`);
process.exit(survived ? 1 : 0);
