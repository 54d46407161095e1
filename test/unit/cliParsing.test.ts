/**
 * The CLI's pure parts: flag parsing and its refusals, typo suggestions, where a request file stops being JSON,
 * and the clean rows and aligned tables of list/history.
 */
import { describe, expect, it } from 'vitest';
import { closest, count, parseCommand, seconds, UsageError, type ArgSpec } from '../../src/cli/args';
import { jsonErrorOffset, jsonProblem } from '../../src/cli/input';
import { finishedRow, runningRow, table } from '../../src/cli/rows';

const spec: ArgSpec = {
  usage: 'pgdrill run <request.json> [--timeout <seconds>] [--json]',
  options: { timeout: { type: 'string' }, json: { type: 'boolean' } },
  positionals: ['request.json'],
  required: 1,
};

const refusal = (argv: string[]): string => {
  try {
    parseCommand(spec, argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).usage).toBe(spec.usage);
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('pgdrill argument parsing', () => {
  it('parses flags in any order, = or a separate value', () => {
    const p = parseCommand(spec, ['--json', 'r.json', '--timeout=30']);
    expect(p.positionals).toEqual(['r.json']);
    expect(p.values).toMatchObject({ json: true, timeout: '30' });
    expect(seconds(p, 'timeout', 5, spec.usage)).toBe(30);
    expect(seconds(parseCommand(spec, ['r.json']), 'timeout', 5, spec.usage)).toBe(5);
  });

  it('refuses a flag given twice (which value was meant is not for pgdrill to guess)', () => {
    expect(refusal(['r.json', '--timeout', '30', '--timeout=5'])).toBe(
      '--timeout is given twice: give it once',
    );
    expect(refusal(['--json', 'r.json', '--json'])).toBe('--json is given twice: give it once');
    // After --, a flag-like word is a positional, not a second flag.
    expect(parseCommand(spec, ['--timeout', '3', '--', '--timeout']).positionals).toEqual(['--timeout']);
  });

  it('refuses what it does not know, naming the flag and the fix', () => {
    expect(refusal(['r.json', '--tiemout', '3'])).toBe('unknown option --tiemout (did you mean --timeout?)');
    expect(refusal(['r.json', '--zzz'])).toBe('unknown option --zzz: pgdrill run --help lists the options');
    expect(refusal(['r.json', '--timeout'])).toBe('--timeout needs a value: --timeout <value>');
    expect(refusal(['r.json', '--timeout', '-1'])).toBe('--timeout -1: give a positive number of seconds');
    expect(refusal(['r.json', '--json=no'])).toBe('--json takes no value: write just --json');
    expect(refusal(['a.json', 'b.json'])).toBe(
      'unexpected argument "b.json": this command takes <request.json>',
    );
    expect(refusal([])).toBe('missing the <request.json> argument');
  });

  it('numbers are checked after parsing', () => {
    for (const v of ['abc', '0', '-5', '1e3', ' ', 'Infinity'])
      expect(() => seconds(parseCommand(spec, ['r', `--timeout=${v}`]), 'timeout', 5, spec.usage)).toThrow(
        `--timeout ${v}: give a positive number of seconds`,
      );
    expect(seconds(parseCommand(spec, ['r', '--timeout=0.5']), 'timeout', 5, spec.usage)).toBe(0.5);
    const top = { ...spec, options: { top: { type: 'string' as const } } };
    expect(() => count(parseCommand(top, ['r', '--top', '0']), 'top', 50, spec.usage)).toThrow('--top 0');
    expect(() => count(parseCommand(top, ['r', '--top', '2.5']), 'top', 50, spec.usage)).toThrow('--top 2.5');
    expect(count(parseCommand(top, ['r', '--top', '300']), 'top', 50, spec.usage)).toBe(300);
  });

  it('suggests a name only when it is close', () => {
    expect(closest('lsit', ['list', 'watch'])).toBe('list');
    expect(closest('histroy', ['history', 'status'])).toBe('history');
    expect(closest('frobnicate', ['list', 'watch'])).toBeUndefined();
    expect(closest('x', ['list'])).toBeUndefined();
  });
});

describe('request files that are not JSON', () => {
  it('finds where the text stops being JSON', () => {
    expect(jsonErrorOffset('{"a": [1, {"b": null}], "c": "\\u00e9"}')).toBe(-1);
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset('{"a" 1}')).toBe(5);
    expect(jsonErrorOffset('[1, 2')).toBe(5);
    expect(jsonErrorOffset('{"a": 01}')).toBe(7);
    expect(jsonErrorOffset('{} x')).toBe(3);
    expect(jsonProblem('{"a": 1}')).toBeUndefined();
    expect(jsonProblem('{\n  "a": 1\n  "b": 2\n}')).toBe(
      "Expected ',' or '}' after property value at line 3, column 3",
    );
    // V8 quotes the text for some mistakes: the message keeps only its words (a file is not echoed back).
    expect(jsonProblem('{"secretish": }')).toBe("Unexpected token '}' at line 1, column 15");
  });
});

describe('list and history rows', () => {
  it('keeps the drill fields and nothing of the table', () => {
    const row = finishedRow({
      drillId: 'd1',
      verdict: 'failed',
      startedAt: '2026-11-01T10:00:00.000Z',
      endedAt: '2026-11-01T10:05:30.000Z',
      backupInstanceId: '/subscriptions/s/…/backupInstances/bi',
      rtoSeconds: 300,
      failureCode: 'VerifyFailed',
      etag: 'W/"x"',
      partitionKey: 'history',
      rowKey: 'k',
      timestamp: '2026-11-01T10:05:31Z',
      backupInstanceKey: 'lower',
      sha256: 'abc',
      reportUrl: 'http://x',
      'odata.etag': 'W/"y"',
    });
    expect(row).toEqual({
      drillId: 'd1',
      status: 'failed',
      backupInstanceId: '/subscriptions/s/…/backupInstances/bi',
      startedAt: '2026-11-01T10:00:00.000Z',
      endedAt: '2026-11-01T10:05:30.000Z',
      durationSeconds: 330,
      rtoSeconds: 300,
      failureCode: 'VerifyFailed',
    });
    expect(runningRow({ id: 'd2', phase: 'restore', createdTime: '2026-11-01T11:00:00Z' })).toEqual({
      drillId: 'd2',
      status: 'running',
      phase: 'restore',
      startedAt: '2026-11-01T11:00:00Z',
    });
  });

  it('aligns every column under its header', () => {
    expect(
      table(
        ['A', 'BB', 'C'],
        [
          ['long-cell', 'x', 'last'],
          ['y', 'wider-cell', ''],
        ],
      ),
    ).toBe('A          BB          C\nlong-cell  x           last\ny          wider-cell\n');
  });
});
