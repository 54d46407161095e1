/**
 * Fault injection. HTTP faults (status, reset, delay, malformed) apply to ARM requests by swagger
 * operationId; domain faults make a validate/restore operation fail with an Azure error code; jobFailHalfway
 * makes the next restore job fail half-way through; damagedFiles makes the next restore-as-files job write
 * damaged dumps (not an archive, cut short, or claiming a newer PostgreSQL). A rule fires for its next `count` matches, or with a
 * seeded `probability` (repeatable runs), or always.
 */
import { randomUUID } from 'node:crypto';
import { parseFault, type FaultRule } from './config';

/** mulberry32: a tiny seeded PRNG, so a probabilistic fault rule gives the same sequence every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ActiveRule {
  rule: FaultRule & { id: string };
  remaining: number;
  random?: () => number;
  fired: number;
}

export class FaultBook {
  private rules: ActiveRule[] = [];

  constructor(initial: FaultRule[] = []) {
    for (const r of initial) this.add(r);
  }

  add(input: unknown): FaultRule & { id: string } {
    const rule = { ...parseFault(input) };
    const withId = { ...rule, id: rule.id ?? randomUUID() };
    this.rules.push({
      rule: withId,
      remaining: rule.count ?? Number.POSITIVE_INFINITY,
      ...(rule.probability !== undefined ? { random: prng(rule.seed ?? 1) } : {}),
      fired: 0,
    });
    return withId;
  }

  list(): (FaultRule & { id: string; fired: number; remaining: number | null })[] {
    return this.rules.map((r) => ({
      ...r.rule,
      fired: r.fired,
      remaining: Number.isFinite(r.remaining) ? r.remaining : null,
    }));
  }

  clear(): void {
    this.rules = [];
  }

  /** The first rule of one of `kinds` that matches `operation` and fires now (consuming one use). */
  take(operation: string, kinds: FaultRule['kind'][]): (FaultRule & { id: string }) | undefined {
    for (const r of this.rules) {
      if (!kinds.includes(r.rule.kind)) continue;
      if (r.rule.operation && r.rule.operation !== operation) continue;
      if (r.remaining <= 0) continue;
      if (r.random && r.random() >= r.rule.probability!) continue;
      r.remaining--;
      r.fired++;
      return r.rule;
    }
    return undefined;
  }
}
