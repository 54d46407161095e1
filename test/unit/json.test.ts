/** JSON from outside, checked before and beside parsing (src/lib/json.ts). */
import { describe, expect, it } from 'vitest';
import { duplicateKey, jsonNesting } from '../../src/lib/json';

describe('JSON checks', () => {
  it('nesting is counted without parsing, strings and escapes skipped', () => {
    expect(jsonNesting('{"a":[1,{"b":[]}]}')).toBe(4);
    expect(jsonNesting('"[[[[[["')).toBe(0);
    expect(jsonNesting('{"a":"\\"[[["}')).toBe(1);
    expect(jsonNesting('['.repeat(100_000))).toBe(100_000);
  });

  it('a key given twice is found by its JSON pointer; different keys and escaped quotes are not', () => {
    expect(duplicateKey('{"a":1,"b":{"c":1,"c":2}}')).toBe('/b/c');
    expect(duplicateKey('{"a":[{"x":1},{"x":2,"x":3}]}')).toBe('/a/1/x');
    expect(duplicateKey('{"a":"\\"b","b":1}')).toBeUndefined();
    expect(duplicateKey('{"a/b":{"k":1},"a/b":2}')).toBe('/a~1b');
    expect(duplicateKey('[1,2,{"x":1,"y":[1,{"x":1}],"x":0}]')).toBe('/2/x');
    expect(duplicateKey('{"a":1,"A":2}')).toBeUndefined();
    expect(duplicateKey('{"\\u0061":1,"a":2}')).toBe('/a');
  });
});
