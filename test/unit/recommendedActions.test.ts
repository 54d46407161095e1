/**
 * Every failure a report can carry says what to do (docs/security.md): each code the app raises — found in its
 * source — has an action of its own in the catalog or at the place that raises it, and families of codes that
 * come from outside (PostgreSQL SQLSTATEs, HTTP statuses, Azure Backup's UserError codes) have one too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { failure, toFailure, AppError } from '../../src/lib/errors';
import { FALLBACK_ACTION, recommendedActionFor } from '../../src/lib/recommendedActions';

const root = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Codes the app raises: new AppError('X', …) (or any error class's), failure('X', …), super('X', …), code: 'X'. */
function raisedCodes(): Set<string> {
  const codes = new Set<string>();
  for (const file of sources(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:new \w*Error|failure|super)\(\s*'([A-Z][A-Za-z0-9]+)'/g))
      codes.add(m[1]!);
    for (const m of text.matchAll(/\bcode: '([A-Z][A-Za-z0-9]+)'/g)) codes.add(m[1]!);
  }
  return codes;
}

describe('recommended actions', () => {
  it('every code the app raises has a recommended action in the catalog', () => {
    const codes = raisedCodes();
    expect(codes.size).toBeGreaterThan(40);
    const missing = [...codes].filter((c) => recommendedActionFor(c) === undefined);
    expect(missing).toEqual([]);
  });

  it('families from outside have actions: SQLSTATEs, HTTP statuses, Key Vault, Azure Backup codes', () => {
    for (const code of [
      'PostgreSQL28P01',
      'PostgreSQL08006',
      'PostgreSQL3D000',
      'PostgreSQL42501',
      'PostgreSQL57014',
      'PostgreSQL53300',
      'PostgreSQL22012',
      'HttpStatus404',
      'HttpStatus502',
      'KeyVaultHttp409',
      'UserErrorSomethingNew',
      'TooManyRequests',
      'ServiceUnavailable',
      'InternalServerError',
      'InvalidResponseBody',
      'TlsVerificationFailed',
    ])
      expect(recommendedActionFor(code), code).toBeDefined();
  });

  it("a failure without actions of its own gets the catalog's, and an unknown one the fallback", () => {
    expect(failure('NoRestoredFiles', 'x').recommendedActions[0]).toMatch(/Storage Blob Data Contributor/);
    expect(toFailure(new AppError('PgRestoreNotFound', 'x')).recommendedActions[0]).toMatch(/PG_BIN_DIR/);
    expect(toFailure(new Error('boom')).recommendedActions).toEqual([
      recommendedActionFor('UnexpectedError'),
    ]);
    expect(failure('SomethingNobodyKnows', 'x').recommendedActions).toEqual([FALLBACK_ACTION]);
    // An error's own action wins over the catalog.
    expect(
      toFailure(new AppError('NetworkError', 'x', { recommendedActions: ['mine'] })).recommendedActions,
    ).toEqual(['mine']);
  });
});
