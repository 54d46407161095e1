import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function seedFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'seed', name), 'utf8')) as Record<
    string,
    unknown
  >;
}

/** Headers as a case-insensitive reader, like the pipeline's. */
export function headers(map: Record<string, string> = {}): { get(name: string): string | undefined } {
  const lower = new Map(Object.entries(map).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (name: string) => lower.get(name.toLowerCase()) };
}
