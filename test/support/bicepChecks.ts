/**
 * Static checks of infra/ (Bicep), azure.yaml and docs/deploy.md for the class of deployment errors of issue 16,
 * without a Bicep compiler (none on the build machine): a small tokenizer that knows Bicep's comments, strings and
 * interpolations, a splitter into top-level declarations, and a reading of the object properties the rules need
 * (scope, name, dependsOn, params, properties). It reads the constructs infra/ uses, not all of Bicep: a construct
 * it does not understand makes a rule fail loudly (an unbounded name, an unresolved role), never pass silently.
 *
 * Every function is pure over file texts; each returns problems naming the file, the line and the fix.
 */
import { posix } from 'node:path';

export interface SourceFile {
  /** Path from the repository root, with forward slashes (`infra/app/rbac.bicep`). */
  path: string;
  text: string;
}

export interface Problem {
  rule: string;
  file: string;
  line: number;
  message: string;
  fix: string;
}

export const formatProblem = (p: Problem): string =>
  `${p.file}:${p.line}: [${p.rule}] ${p.message} Fix: ${p.fix}`;

// ---------------------------------------------------------------------------------------------------------------
// Tokenizer

/**
 * A copy of `text` of the same length with comments blanked and string literals blanked (quotes kept). With
 * `keepInterpolations`, the code inside `${…}` is kept, so identifiers used in interpolations stay visible.
 * Newlines are kept, so indices and line numbers stay those of the original.
 */
export function maskBicep(text: string, keepInterpolations = false): string {
  const out = text.split('');
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  // Index after the closing quote of the string starting at i.
  const skipString = (i: number): number => {
    if (text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      const stop = end < 0 ? text.length : end;
      blank(i + 3, stop);
      return end < 0 ? text.length : end + 3;
    }
    let j = i + 1;
    let segment = j;
    while (j < text.length) {
      const c = text[j];
      if (c === '\\') {
        j += 2;
        continue;
      }
      if (c === "'" || c === '\n') break;
      if (c === '$' && text[j + 1] === '{') {
        const after = skipCode(j + 2, true);
        if (keepInterpolations) {
          blank(segment, j);
          segment = after;
        }
        j = after;
        continue;
      }
      j++;
    }
    blank(segment, j);
    return text[j] === "'" ? j + 1 : j;
  };
  // Scans code from i; inside an interpolation, stops after the closing brace.
  const skipCode = (i: number, interpolation: boolean): number => {
    let depth = 0;
    let j = i;
    while (j < text.length) {
      if (text.startsWith('//', j)) {
        const end = text.indexOf('\n', j);
        const stop = end < 0 ? text.length : end;
        blank(j, stop);
        j = stop;
        continue;
      }
      if (text.startsWith('/*', j)) {
        const end = text.indexOf('*/', j + 2);
        const stop = end < 0 ? text.length : end + 2;
        blank(j, stop);
        j = stop;
        continue;
      }
      const c = text[j];
      if (c === "'") {
        j = skipString(j);
        continue;
      }
      if (interpolation && c === '{') depth++;
      if (interpolation && c === '}') {
        if (depth === 0) return j + 1;
        depth--;
      }
      j++;
    }
    return j;
  };
  skipCode(0, false);
  return out.join('');
}

export const lineAt = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** Index of the bracket closing the one at `open` (in masked text), or -1. */
function closing(masked: string, open: number): number {
  let depth = 0;
  for (let k = open; k < masked.length; k++) {
    const c = masked[k];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return k;
    }
  }
  return -1;
}

/** Splits at top-level commas (and newlines when `newlines`), returning [start, end) ranges. */
function splitTopLevel(masked: string, from: number, to: number, newlines: boolean): [number, number][] {
  const parts: [number, number][] = [];
  let depth = 0;
  let start = from;
  for (let k = from; k < to; k++) {
    const c = masked[k];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && (c === ',' || (newlines && c === '\n'))) {
      parts.push([start, k]);
      start = k + 1;
    }
  }
  parts.push([start, to]);
  return parts.filter(([s, e]) => masked.slice(s, e).trim() !== '');
}

// ---------------------------------------------------------------------------------------------------------------
// Declarations

export interface Property {
  /** The value's text (original), trimmed. */
  value: string;
  /** Index of the value in the file. */
  index: number;
}

export interface Loop {
  item: string;
  index?: string;
  source: string;
}

export interface Declaration {
  kind: 'param' | 'var' | 'resource' | 'module' | 'output';
  name: string;
  /** Resource type with api-version, or module path. */
  target: string;
  existing: boolean;
  /** Decorator text above the declaration. */
  decorators: string;
  /** param: type; output: type. */
  type: string;
  /** The expression after `=` (param default, var value, output value), trimmed; '' if none. */
  value: string;
  valueIndex: number;
  line: number;
  loop?: Loop;
  condition?: string;
  /** resource/module: the top-level properties of the declared object. */
  props: Map<string, Property>;
  /** resource/module: the object's text, original. */
  body: string;
}

export interface BicepFile {
  path: string;
  text: string;
  masked: string;
  code: string;
  targetScope: string;
  declarations: Declaration[];
}

const KEYWORDS =
  /^(param|var|resource|module|output|targetScope|type|func|import|metadata|extension|using)\b/;

/** The top-level properties of the object whose `{` is at `open` (masked indices). */
function objectProps(file: { text: string; masked: string }, open: number): Map<string, Property> {
  const props = new Map<string, Property>();
  const close = closing(file.masked, open);
  if (close < 0) return props;
  for (const [s, e] of splitTopLevel(file.masked, open + 1, close, true)) {
    const m = /^\s*(\w+)\s*:/.exec(file.masked.slice(s, e));
    if (!m) continue;
    let valueStart = s + m[0].length;
    while (valueStart < e && /\s/.test(file.text[valueStart]!)) valueStart++;
    props.set(m[1]!, { value: file.text.slice(valueStart, e).trim(), index: valueStart });
  }
  return props;
}

/** A property of an object-valued property (`params: { … }`, `properties: { … }`). */
export function nestedProps(file: BicepFile, prop: Property | undefined): Map<string, Property> {
  if (!prop || !prop.value.startsWith('{')) return new Map();
  return objectProps(file, prop.index);
}

/** The items of an array-valued property (`appSettings: [ … ]`), each with its text and index. */
export function arrayItems(file: BicepFile, prop: Property | undefined): Property[] {
  if (!prop || !prop.value.startsWith('[')) return [];
  const close = closing(file.masked, prop.index);
  return splitTopLevel(file.masked, prop.index + 1, close, true).map(([s, e]) => {
    const lead = file.text.slice(s, e).length - file.text.slice(s, e).trimStart().length;
    return { value: file.text.slice(s, e).trim(), index: s + lead };
  });
}

/** The properties of an object literal item (from arrayItems). */
export const itemProps = (file: BicepFile, item: Property): Map<string, Property> =>
  item.value.startsWith('{') ? objectProps(file, item.index) : new Map();

export function parseBicep(path: string, text: string): BicepFile {
  const masked = maskBicep(text);
  const code = maskBicep(text, true);
  const starts: { index: number; decoratorIndex: number }[] = [];
  let depth = 0;
  let lineStart = 0;
  let pendingDecorator = -1;
  for (let k = 0; k <= masked.length; k++) {
    if (k === masked.length || masked[k] === '\n') {
      const line = masked.slice(lineStart, k);
      const trimmed = line.trim();
      if (depth === 0 && trimmed.startsWith('@') && pendingDecorator < 0) pendingDecorator = lineStart;
      else if (depth === 0 && KEYWORDS.test(trimmed)) {
        starts.push({
          index: lineStart,
          decoratorIndex: pendingDecorator < 0 ? lineStart : pendingDecorator,
        });
        pendingDecorator = -1;
      }
      for (const c of line) {
        if (c === '(' || c === '[' || c === '{') depth++;
        else if (c === ')' || c === ']' || c === '}') depth--;
      }
      lineStart = k + 1;
    }
  }
  const declarations: Declaration[] = [];
  let targetScope = 'resourceGroup';
  starts.forEach(({ index, decoratorIndex }, n) => {
    const end = n + 1 < starts.length ? starts[n + 1]!.decoratorIndex : text.length;
    const header = text.slice(index, end);
    const scope = /^\s*targetScope\s*=\s*'(\w+)'/.exec(header);
    if (scope) targetScope = scope[1]!;
    const m =
      /^\s*(param|var|output)\s+(\w+)(?:\s+([\w.]+(?:\[\])?))?\s*(=)?/.exec(header) ??
      /^\s*(resource|module)\s+(\w+)\s+'([^']+)'(\s+existing)?\s*=/.exec(header);
    if (!m) return;
    const kind = m[1] as Declaration['kind'];
    const isRes = kind === 'resource' || kind === 'module';
    const afterHeader = index + m[0].length;
    const decl: Declaration = {
      kind,
      name: m[2]!,
      target: isRes ? m[3]! : '',
      existing: isRes && m[4] !== undefined,
      decorators: text.slice(decoratorIndex, index),
      type: isRes ? '' : (m[3] ?? ''),
      value: '',
      valueIndex: afterHeader,
      line: lineAt(text, index),
      props: new Map(),
      body: '',
    };
    if (!isRes) {
      if (m[4] !== undefined) {
        const v = masked.slice(afterHeader, end);
        // A value ends at the end of its line unless a bracket is open.
        let d = 0;
        let stop = afterHeader;
        for (; stop < end; stop++) {
          const c = v[stop - afterHeader];
          if (c === '(' || c === '[' || c === '{') d++;
          else if (c === ')' || c === ']' || c === '}') d--;
          else if (c === '\n' && d <= 0) break;
        }
        decl.value = text.slice(afterHeader, stop).trim();
        decl.valueIndex =
          afterHeader +
          (text.slice(afterHeader, stop).length - text.slice(afterHeader, stop).trimStart().length);
      }
      declarations.push(decl);
      return;
    }
    const rest = masked.slice(afterHeader, end);
    const loop = /^\s*\[\s*for\s+(?:\(\s*(\w+)\s*,\s*(\w+)\s*\)|(\w+))\s+in\s+/.exec(rest);
    if (loop) {
      const colon = rest.indexOf(':', loop[0].length);
      decl.loop = {
        item: loop[1] ?? loop[3]!,
        ...(loop[2] ? { index: loop[2] } : {}),
        source: text.slice(afterHeader + loop[0].length, afterHeader + colon).trim(),
      };
    }
    const cond = /\bif\s*\(/.exec(rest);
    const brace = rest.indexOf('{');
    if (cond && cond.index < brace) {
      const open = afterHeader + cond.index + cond[0].length - 1;
      decl.condition = text.slice(open + 1, closing(masked, open)).trim();
    }
    if (brace >= 0) {
      const open = afterHeader + brace;
      decl.props = objectProps({ text, masked }, open);
      decl.body = text.slice(open, closing(masked, open) + 1);
      decl.valueIndex = open;
    }
    declarations.push(decl);
  });
  return { path, text, masked, code, targetScope, declarations };
}

const declsOf = (f: BicepFile, kind: Declaration['kind']) => f.declarations.filter((d) => d.kind === kind);

/** Identifiers an expression uses as values: not property names, object keys or function names. */
export function identifiers(expr: string): Set<string> {
  const code = maskBicep(expr, true);
  const out = new Set<string>();
  for (const m of code.matchAll(/[A-Za-z_]\w*/g)) {
    const before = code.slice(0, m.index).trimEnd();
    const after = code.slice(m.index + m[0].length).trimStart();
    if (before.endsWith('.') || after.startsWith('(')) continue;
    if (after.startsWith(':') && !after.startsWith('::') && /(^|[{,\n])$/.test(before.slice(-1) || '\n'))
      continue;
    if (/^(true|false|null|if|for|in|existing)$/.test(m[0])) continue;
    out.add(m[0]);
  }
  return out;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The expression with the file's variables replaced by their values (parenthesized), repeatedly. */
export function expandVars(file: BicepFile, expr: string, shadowed: ReadonlySet<string> = new Set()): string {
  const vars = new Map(declsOf(file, 'var').map((v) => [v.name, v.value]));
  let out = expr;
  for (let round = 0; round < 8; round++) {
    const used = [...identifiers(out)].filter((id) => vars.has(id) && !shadowed.has(id));
    if (used.length === 0) break;
    for (const id of used)
      out = out.replace(new RegExp(`(?<![.\\w])${escapeRe(id)}(?!\\w)`, 'g'), `(${vars.get(id)!})`);
  }
  return out;
}

const decoratorNumber = (d: Declaration, name: string): number | undefined => {
  const m = new RegExp(`@${name}\\((\\d+)\\)`).exec(d.decorators);
  return m ? Number(m[1]) : undefined;
};

const allowedValues = (d: Declaration): string[] | undefined => {
  const m = /@allowed\(\s*\[([\s\S]*?)\]\s*\)/.exec(d.decorators);
  return m ? [...m[1]!.matchAll(/'([^']*)'/g)].map((v) => v[1]!) : undefined;
};

/** A parameter that may be empty: a string defaulting to '', or any non-bool/int parameter without @minLength. */
export function mayBeEmpty(p: Declaration): boolean {
  if (p.type === 'bool' || p.type === 'int') return false;
  if (p.value === "''") return true;
  const allowed = allowedValues(p);
  if (allowed) return allowed.some((v) => v === '');
  return (decoratorNumber(p, 'minLength') ?? 0) < 1;
}

// ---------------------------------------------------------------------------------------------------------------
// The set of files

export interface Infra {
  files: BicepFile[];
  byPath: Map<string, BicepFile>;
}

export function readInfra(files: readonly SourceFile[]): Infra {
  const parsed = files.filter((f) => f.path.endsWith('.bicep')).map((f) => parseBicep(f.path, f.text));
  return { files: parsed, byPath: new Map(parsed.map((f) => [f.path, f])) };
}

const moduleFile = (infra: Infra, from: BicepFile, m: Declaration): BicepFile | undefined =>
  infra.byPath.get(posix.normalize(posix.join(posix.dirname(from.path), m.target)));

/** Every (caller file, module declaration) that deploys `target`. */
const callersOf = (infra: Infra, target: BicepFile) =>
  infra.files.flatMap((f) =>
    declsOf(f, 'module')
      .filter((m) => moduleFile(infra, f, m) === target)
      .map((m) => ({ file: f, module: m })),
  );

/** The texts of a file and of every file its modules deploy, transitively. */
function deployedTexts(infra: Infra, file: BicepFile, seen = new Set<BicepFile>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  return [
    file.text,
    ...declsOf(file, 'module').flatMap((m) => {
      const target = moduleFile(infra, file, m);
      return target ? deployedTexts(infra, target, seen) : [];
    }),
  ];
}

const isType = (d: Declaration, type: string) => d.target.toLowerCase().startsWith(`${type.toLowerCase()}@`);

// ---------------------------------------------------------------------------------------------------------------
// Rule 1: guarded scopes

const SCOPE_FUNCTIONS = /^\s*(resourceGroup|subscription|managementGroup|tenant)\s*\(/;

/** The index of the first `ch` in `masked` at bracket depth 0 from `from`, skipping `?.`, `.?` and `??`; or -1. */
function topLevelIndex(masked: string, ch: '?' | ':', from = 0): number {
  let depth = 0;
  for (let k = from; k < masked.length; k++) {
    const c = masked[k];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && c === ch) {
      const near = `${masked[k - 1] ?? ''}${masked[k + 1] ?? ''}`;
      if (ch === '?' && /[.?]/.test(near)) {
        if (masked[k + 1] === '?') k++;
        continue;
      }
      return k;
    }
  }
  return -1;
}

/**
 * `arg` uses `param` only where it is not empty: it is `empty(param) ? A : B` (or `!empty(param) ? B : A`, outer
 * parentheses allowed) and A, the branch ARM takes when `param` is empty, does not use it. An inverted guard
 * (`empty(x) ? split(x, …)[2] : …`) splits exactly the empty id, so it fails.
 */
function guardedBy(arg: string, param: string): boolean {
  let text = arg.trim();
  for (let masked = maskBicep(text); masked.startsWith('(') && closing(masked, 0) === masked.length - 1;) {
    text = text.slice(1, -1).trim();
    masked = maskBicep(text);
  }
  const masked = maskBicep(text);
  const q = topLevelIndex(masked, '?');
  const c = q < 0 ? -1 : topLevelIndex(masked, ':', q + 1);
  if (c < 0) return false;
  const condition = text.slice(0, q).replace(/\s+/g, '');
  const [whenTrue, whenFalse] = [text.slice(q + 1, c), text.slice(c + 1)];
  const test = `empty(${param})`;
  if (condition === test || condition === `(${test})`) return !identifiers(whenTrue).has(param);
  if (condition === `!${test}` || condition === `!(${test})`) return !identifiers(whenFalse).has(param);
  return false;
}

/**
 * Every `scope:` built from a parameter that may be empty guards it with empty(): ARM evaluates a module's scope
 * even when the module's condition is false, so `split(keyVaultId, '/')[2]` of '' fails the whole deployment.
 * Loop variables (a `for` over an array parameter) need no guard.
 */
export function checkGuardedScopes(infra: Infra): Problem[] {
  const problems: Problem[] = [];
  for (const file of infra.files) {
    const params = new Map(declsOf(file, 'param').map((p) => [p.name, p]));
    for (const d of file.declarations.filter((x) => x.kind === 'module' || x.kind === 'resource')) {
      const scope = d.props.get('scope');
      if (!scope) continue;
      const shadowed = new Set([d.loop?.item, d.loop?.index].filter((x): x is string => x !== undefined));
      const expanded = expandVars(file, scope.value, shadowed);
      const risky = [...identifiers(expanded)].filter(
        (id) => !shadowed.has(id) && params.has(id) && mayBeEmpty(params.get(id)!),
      );
      if (risky.length === 0) continue;
      const masked = maskBicep(expanded);
      const call = SCOPE_FUNCTIONS.exec(masked);
      const args = call
        ? splitTopLevel(masked, call[0].length, closing(masked, call[0].length - 1), false).map(([s, e]) =>
            expanded.slice(s, e),
          )
        : [expanded];
      for (const param of risky) {
        const unguarded = args.filter((a) => identifiers(a).has(param) && !guardedBy(a, param));
        if (unguarded.length === 0) continue;
        problems.push({
          rule: 'guarded-scope',
          file: file.path,
          line: lineAt(file.text, scope.index),
          message: `${d.kind} ${d.name}: its scope is built from parameter ${param}, which may be empty (${params.get(param)!.value === "''" ? "default ''" : 'no @minLength'}), without empty(${param}) in ${unguarded.map((a) => `'${a.trim()}'`).join(', ')}; ARM evaluates a module's scope even when its condition is false, so the deployment fails when ${param} is empty.`,
          fix: `guard each scope argument, e.g. resourceGroup(empty(${param}) ? subscription().subscriptionId : split(${param}, '/')[2], empty(${param}) ? resourceGroup().name : split(${param}, '/')[4]) (contract decision 1).`,
        });
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Role assignments and the roles they assign

interface Assignment {
  file: BicepFile;
  decl: Declaration;
  scope?: Property;
  roleDefinitionId?: Property;
  principalId?: Property;
  principalType?: Property;
}

function assignments(infra: Infra): Assignment[] {
  return infra.files.flatMap((file) =>
    declsOf(file, 'resource')
      .filter((d) => !d.existing && isType(d, 'Microsoft.Authorization/roleAssignments'))
      .map((decl) => {
        const p = nestedProps(file, decl.props.get('properties'));
        const a: Assignment = { file, decl };
        const scope = decl.props.get('scope');
        if (scope) a.scope = scope;
        for (const key of ['roleDefinitionId', 'principalId', 'principalType'] as const) {
          const v = p.get(key);
          if (v) a[key] = v;
        }
        return a;
      }),
  );
}

interface RoleDef {
  file: BicepFile;
  decl: Declaration;
  key: string;
  nameExpr: string;
}

function roleDefinitions(infra: Infra): RoleDef[] {
  return infra.files.flatMap((file) =>
    declsOf(file, 'resource')
      .filter((d) => !d.existing && isType(d, 'Microsoft.Authorization/roleDefinitions'))
      .map((decl) => ({
        file,
        decl,
        key: `${file.path}#${decl.name}`,
        nameExpr: expandVars(file, decl.props.get('name')?.value ?? '').replace(/[\s()]+/g, ''),
      })),
  );
}

/**
 * The custom roles an expression (a roleDefinitionId) can name, following vars, the loop the expression sits in
 * (its item stands for the loop's source), module params (the callers' arguments) and module outputs.
 */
function rolesNamedBy(infra: Infra, file: BicepFile, expr: string, loop?: Loop, depth = 0): Set<string> {
  const out = new Set<string>();
  if (depth > 8) return out;
  const defs = roleDefinitions(infra);
  const inLoop = loop && identifiers(expr).has(loop.item) ? `${expr}\n${loop.source}` : expr;
  const expanded = expandVars(file, inLoop);
  const flat = expanded.replace(/[\s()]+/g, '');
  for (const def of defs) {
    if (def.file === file && new RegExp(`\\b${def.decl.name}\\.(id|name)\\b`).test(expanded))
      out.add(def.key);
    if (def.nameExpr !== '' && flat.includes(def.nameExpr)) out.add(def.key);
  }
  for (const m of expanded.matchAll(/\b(\w+)\.outputs\.(\w+)/g)) {
    const mod = declsOf(file, 'module').find((d) => d.name === m[1]);
    const target = mod && moduleFile(infra, file, mod);
    const output = target && declsOf(target, 'output').find((o) => o.name === m[2]);
    if (target && output)
      rolesNamedBy(infra, target, output.value, undefined, depth + 1).forEach((k) => out.add(k));
  }
  const params = new Set(declsOf(file, 'param').map((p) => p.name));
  for (const id of identifiers(expanded)) {
    if (!params.has(id)) continue;
    for (const caller of callersOf(infra, file)) {
      const arg = nestedProps(caller.file, caller.module.props.get('params')).get(id);
      if (arg)
        rolesNamedBy(infra, caller.file, arg.value, caller.module.loop, depth + 1).forEach((k) => out.add(k));
    }
  }
  return out;
}

const stringLiterals = (text: string): { value: string; index: number }[] => {
  const code = maskBicep(text);
  const out: { value: string; index: number }[] = [];
  for (let k = 0; k < code.length; k++) {
    if (code[k] !== "'") continue;
    const end = code.indexOf("'", k + 1);
    if (end < 0) break;
    out.push({ value: text.slice(k + 1, end), index: k + 1 });
    k = end;
  }
  return out;
};

// ---------------------------------------------------------------------------------------------------------------
// Rule 2: operation status read at subscription scope

export const OPERATION_STATUS_READ = 'Microsoft.DataProtection/locations/operationStatus/read';

const atSubscription = (a: Assignment): boolean =>
  a.scope ? /^subscription\s*\(/.test(a.scope.value) : a.file.targetScope === 'subscription';

/**
 * The Azure-AsyncOperation URLs of Data Protection are `/subscriptions/{sub}/providers/Microsoft.DataProtection/
 * locations/{loc}/operationStatus/…`: a role assigned on a vault or its resource group does not cover them. A
 * custom role holding the action must be assigned at subscription scope somewhere.
 */
export function checkOperationStatusScope(infra: Infra): Problem[] {
  const holders = roleDefinitions(infra).filter((r) =>
    stringLiterals(expandVars(r.file, r.decl.body)).some((s) => s.value === OPERATION_STATUS_READ),
  );
  if (holders.length === 0)
    return [
      {
        rule: 'operation-status-scope',
        file: 'infra/main.bicep',
        line: 1,
        message: `no custom role in infra/ grants ${OPERATION_STATUS_READ}: the app cannot poll restore operations.`,
        fix: "define the 'pg-restore-drill operation reader' role with it and assign it at subscription scope (contract decision 2).",
      },
    ];
  const all = assignments(infra);
  const assignedAtSub = holders.filter((r) =>
    all.some(
      (a) =>
        atSubscription(a) &&
        a.roleDefinitionId &&
        rolesNamedBy(infra, a.file, a.roleDefinitionId.value, a.decl.loop).has(r.key),
    ),
  );
  if (assignedAtSub.length > 0) return [];
  return holders.map((r) => ({
    rule: 'operation-status-scope',
    file: r.file.path,
    line: r.decl.line,
    message: `role ${r.decl.name} grants ${OPERATION_STATUS_READ}, but no assignment of it is at subscription scope (assignments: ${
      all
        .filter(
          (a) =>
            a.roleDefinitionId &&
            rolesNamedBy(infra, a.file, a.roleDefinitionId.value, a.decl.loop).has(r.key),
        )
        .map(
          (a) =>
            `${a.file.path} ${a.decl.name} at ${a.scope ? a.scope.value : `${a.file.targetScope} scope`}`,
        )
        .join('; ') || 'none'
    }); the status URLs are /subscriptions/{sub}/providers/Microsoft.DataProtection/locations/…, so polling gets 403.`,
    fix: "assign the role that reads operation status from a module with targetScope = 'subscription', once per subscription of the vaults (contract decision 2).",
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Rule 3: the function app waits for its roles

export const ROLE_IDS = {
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
} as const;

/**
 * The function app (module deploying function.bicep, or a Microsoft.Web/sites resource) depends on every module or
 * resource of its file that assigns AcrPull or the host storage data roles: otherwise the site can start, fail to
 * pull its image and not reach its storage before the assignments exist.
 */
export function checkFunctionDependsOnRoles(infra: Infra): Problem[] {
  const problems: Problem[] = [];
  const ids = Object.values(ROLE_IDS);
  let found = false;
  const viaModule = infra.files.some((f) =>
    declsOf(f, 'module').some((d) => d.target.endsWith('function.bicep')),
  );
  for (const file of infra.files) {
    // The module deploying function.bicep; a Microsoft.Web/sites resource only where no such module exists.
    const apps = file.declarations.filter(
      (d) =>
        (d.kind === 'module' && d.target.endsWith('function.bicep')) ||
        (!viaModule && d.kind === 'resource' && !d.existing && isType(d, 'Microsoft.Web/sites')),
    );
    for (const app of apps) {
      found = true;
      const roleHolders = file.declarations.filter((d) => {
        if (d === app) return false;
        if (d.kind === 'module') {
          const target = moduleFile(infra, file, d);
          return (
            target !== undefined && deployedTexts(infra, target).some((t) => ids.some((id) => t.includes(id)))
          );
        }
        return (
          d.kind === 'resource' &&
          !d.existing &&
          isType(d, 'Microsoft.Authorization/roleAssignments') &&
          ids.some((id) => expandVars(file, d.body).includes(id))
        );
      });
      // A rule that finds nothing to check must not pass: the roles may have moved where this reading misses them.
      const holderText = roleHolders.flatMap((d) => {
        const target = d.kind === 'module' ? moduleFile(infra, file, d) : undefined;
        return target ? deployedTexts(infra, target) : [expandVars(file, d.body)];
      });
      for (const [role, id] of Object.entries(ROLE_IDS))
        if (!holderText.some((t) => t.includes(id)))
          problems.push({
            rule: 'function-depends-on-roles',
            file: file.path,
            line: app.line,
            message: `no module or role assignment beside ${app.name} assigns ${role} (${id}): the function app's roles were not found.`,
            fix: `assign ${role} to the app's identity in a module of ${file.path}, and make ${app.name} depend on it.`,
          });
      const depends = app.props.get('dependsOn')?.value ?? '';
      const used = identifiers(`${depends}\n${app.body}`);
      for (const holder of roleHolders) {
        if (used.has(holder.name) || identifiers(depends).has(holder.name)) continue;
        problems.push({
          rule: 'function-depends-on-roles',
          file: file.path,
          line: app.line,
          message: `${app.kind} ${app.name} (the function app) does not depend on ${holder.kind} ${holder.name}, which assigns AcrPull or the host storage data roles: the site can start and try to pull its image before the assignments exist.`,
          fix: `add dependsOn: [${holder.name}] to ${app.name} (contract decision 4).`,
        });
      }
    }
  }
  if (!found)
    problems.push({
      rule: 'function-depends-on-roles',
      file: 'infra/main.bicep',
      line: 1,
      message: 'no function app found (a module deploying function.bicep or a Microsoft.Web/sites resource).',
      fix: 'keep the function app in infra/ or update test/support/bicepChecks.ts.',
    });
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Rule 4: principalType of the deploying principal

/** main.parameters.json: parameter name → the azd environment variable it reads (`${NAME=default}`). */
export function parameterEnv(parametersJson: string): Map<string, string> {
  const parsed = JSON.parse(parametersJson) as { parameters: Record<string, { value?: unknown }> };
  const out = new Map<string, string>();
  for (const [name, p] of Object.entries(parsed.parameters)) {
    const m = typeof p.value === 'string' ? /^\$\{(\w+)/.exec(p.value) : null;
    if (m) out.set(name, m[1]!);
  }
  return out;
}

/**
 * No role assignment of the deploying principal (AZURE_PRINCIPAL_ID) hard-codes principalType: azd supplies
 * AZURE_PRINCIPAL_TYPE, which is ServicePrincipal in CI pipelines; main.parameters.json feeds it to a parameter,
 * which reaches every such assignment.
 */
export function checkPrincipalType(infra: Infra, mainPath: string, parametersJson: string): Problem[] {
  const problems: Problem[] = [];
  const main = infra.byPath.get(mainPath);
  if (!main) throw new Error(`${mainPath} is not among the files`);
  const env = parameterEnv(parametersJson);
  const named = (v: string) => new Set([...env].filter(([, e]) => e === v).map(([p]) => p));
  const principals = named('AZURE_PRINCIPAL_ID');
  const types = named('AZURE_PRINCIPAL_TYPE');
  const paramsPath = posix.join(posix.dirname(mainPath), 'main.parameters.json');
  if (types.size === 0)
    problems.push({
      rule: 'principal-type',
      file: paramsPath,
      line: 1,
      message: 'no parameter takes ${AZURE_PRINCIPAL_TYPE}: the deploying principal is assumed to be a user.',
      fix: "add \"principalType\": { \"value\": \"${AZURE_PRINCIPAL_TYPE=User}\" } and param principalType string = 'User' with @allowed(['User', 'ServicePrincipal', 'Group']) in main.bicep (contract decision 5).",
    });
  const seen = new Set<string>();
  const walk = (file: BicepFile, pSet: Set<string>, tSet: Set<string>): void => {
    const key = `${file.path}|${[...pSet].sort().join()}|${[...tSet].sort().join()}`;
    if (seen.has(key) || pSet.size === 0) return;
    seen.add(key);
    for (const a of assignments(infra).filter((x) => x.file === file)) {
      if (
        !a.principalId ||
        ![...identifiers(expandVars(file, a.principalId.value))].some((id) => pSet.has(id))
      )
        continue;
      const type = a.principalType;
      const typeIds = type ? identifiers(expandVars(file, type.value)) : new Set<string>();
      if (type && [...typeIds].some((id) => tSet.has(id))) continue;
      problems.push({
        rule: 'principal-type',
        file: file.path,
        line: type ? lineAt(file.text, type.index) : a.decl.line,
        message: `role assignment ${a.decl.name} of the deploying principal (AZURE_PRINCIPAL_ID) ${type ? `sets principalType: ${type.value}` : 'sets no principalType'}, not the principalType parameter fed by AZURE_PRINCIPAL_TYPE: in a CI pipeline the principal is a service principal and the assignment fails.`,
        fix: 'pass the principalType parameter down and use principalType: principalType (contract decision 5).',
      });
    }
    for (const m of declsOf(file, 'module')) {
      const target = moduleFile(infra, file, m);
      if (!target) continue;
      const args = nestedProps(file, m.props.get('params'));
      const p = new Set<string>();
      const t = new Set<string>();
      for (const [name, arg] of args) {
        const ids = identifiers(expandVars(file, arg.value));
        if ([...ids].some((id) => pSet.has(id))) p.add(name);
        if ([...ids].some((id) => tSet.has(id))) t.add(name);
      }
      walk(target, p, t);
    }
  };
  walk(main, principals, types);
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Rule 5: deployment names of at most 64 characters

export const MAX_DEPLOYMENT_NAME = 64;

/** The characters of a single-quoted Bicep string: its literal length and its interpolated expressions. */
function interpolated(s: string): { literal: number; holes: string[] } | undefined {
  const masked = maskBicep(s);
  if (!s.startsWith("'") || s.startsWith("'''") || masked.indexOf("'", 1) !== s.length - 1) return undefined;
  let literal = 0;
  const holes: string[] = [];
  for (let k = 1; k < s.length - 1; k++) {
    if (s[k] === '\\') {
      literal++;
      k++;
    } else if (s[k] === '$' && s[k + 1] === '{') {
      const code = maskBicep(`'${s.slice(k)}`, true);
      let depth = 0;
      let end = k + 2;
      for (let j = 3; j < code.length; j++) {
        if (code[j] === '{') depth++;
        if (code[j] === '}') {
          if (depth === 0) {
            end = k + j - 1;
            break;
          }
          depth--;
        }
      }
      holes.push(s.slice(k + 2, end));
      k = end;
    } else literal++;
  }
  return { literal, holes };
}

interface BoundContext {
  file: BicepFile;
  loop?: Loop;
}

/** The longest string an expression can produce (Infinity when unbounded or not understood). */
export function maxLength(expr: string, ctx: BoundContext, depth = 0): number {
  const e = expr.trim();
  if (depth > 8) return Infinity;
  const str = interpolated(e);
  if (str) return str.holes.reduce((n, h) => n + maxLength(h, ctx, depth + 1), str.literal);
  if (/^\d+$/.test(e)) return e.length;
  const masked = maskBicep(e);
  const call = /^(\w+)\s*\(/.exec(masked);
  if (call && closing(masked, call[0].length - 1) === masked.length - 1) {
    const args = splitTopLevel(masked, call[0].length, masked.length - 1, false).map(([s, t]) =>
      e.slice(s, t),
    );
    const n = (i: number) => (/^\s*\d+\s*$/.test(args[i] ?? '') ? Number(args[i]) : Infinity);
    switch (call[1]) {
      case 'uniqueString':
        return 13;
      case 'guid':
        return 36;
      case 'take':
        return Math.min(n(1), maxLength(args[0] ?? '', ctx, depth + 1));
      case 'substring':
        return n(2);
      case 'toLower':
      case 'toUpper':
      case 'trim':
      case 'string':
        return maxLength(args[0] ?? '', ctx, depth + 1);
      case 'concat':
        return args.reduce((sum, a) => sum + maxLength(a, ctx, depth + 1), 0);
      default:
        return Infinity;
    }
  }
  if (/^\w+$/.test(e)) {
    if (ctx.loop?.index === e) return 3;
    if (ctx.loop?.item === e) return Infinity;
    const decl = ctx.file.declarations.find((d) => d.name === e && (d.kind === 'var' || d.kind === 'param'));
    if (decl?.kind === 'var') return maxLength(decl.value, ctx, depth + 1);
    if (decl?.kind === 'param') {
      const allowed = allowedValues(decl);
      if (allowed) return Math.max(...allowed.map((v) => v.length));
      return decoratorNumber(decl, 'maxLength') ?? Infinity;
    }
  }
  return Infinity;
}

/** Every module's deployment name is at most 64 characters for every input. */
export function checkDeploymentNames(infra: Infra): Problem[] {
  const problems: Problem[] = [];
  for (const file of infra.files)
    for (const m of declsOf(file, 'module')) {
      const name = m.props.get('name');
      if (!name) continue; // Bicep generates a bounded name.
      const ctx: BoundContext = m.loop ? { file, loop: m.loop } : { file };
      const max = maxLength(name.value, ctx);
      if (max <= MAX_DEPLOYMENT_NAME) continue;
      const str = interpolated(name.value.trim());
      const culprits = str ? str.holes.filter((h) => maxLength(h, ctx) === Infinity) : [name.value];
      problems.push({
        rule: 'deployment-name',
        file: file.path,
        line: lineAt(file.text, name.index),
        message: `module ${m.name}: deployment name ${name.value} ${max === Infinity ? `has no length bound (${culprits.map((c) => c.trim()).join(', ')}: a parameter without @maxLength, or an expression not understood)` : `can be ${max} characters`}; ARM refuses deployment names over ${MAX_DEPLOYMENT_NAME} characters.`,
        fix: 'use a fixed prefix plus the loop index and/or uniqueString(...) (13 characters), or take(..., 64) (contract decision 6).',
      });
    }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Rule 6: server-reader handles Single and Flexible servers

export const SERVER_TYPES = [
  'Microsoft.DBforPostgreSQL/servers',
  'Microsoft.DBforPostgreSQL/flexibleServers',
];

/** server-reader.bicep has a conditional `existing` resource per server type and a conditional assignment on each. */
export function checkServerReader(infra: Infra, path: string): Problem[] {
  const file = infra.byPath.get(path);
  if (!file)
    return [
      {
        rule: 'server-reader',
        file: path,
        line: 1,
        message: 'file missing.',
        fix: 'keep the target-server Reader assignments in server-reader.bicep.',
      },
    ];
  const problems: Problem[] = [];
  const roleAssignments = assignments(infra).filter((a) => a.file === file);
  for (const type of SERVER_TYPES) {
    const servers = declsOf(file, 'resource').filter((d) => isType(d, type));
    const server = servers.find((d) => d.existing && d.condition !== undefined);
    if (!server) {
      problems.push({
        rule: 'server-reader',
        file: path,
        line: servers[0]?.line ?? 1,
        message: `no conditional existing resource of type ${type}${servers.length > 0 ? ` (${servers[0]!.name} is not conditional)` : ''}: a ${type.endsWith('flexibleServers') ? 'Flexible Server' : 'Single Server'} target id would break the deployment.`,
        fix: `take the full server id, and declare resource … '${type}@<version>' existing = if (<id is of this type>) { … } (contract decision 8).`,
      });
      continue;
    }
    const assigned = roleAssignments.some(
      (a) => a.decl.condition !== undefined && a.scope && identifiers(a.scope.value).has(server.name),
    );
    if (!assigned)
      problems.push({
        rule: 'server-reader',
        file: path,
        line: server.line,
        message: `no conditional role assignment scoped to ${server.name} (${type}).`,
        fix: `add a roleAssignments resource with the same condition and scope: ${server.name} (contract decision 8).`,
      });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Rule 7: azure.yaml requires azd >= 1.30.0

type Yaml = string | Yaml[] | { [key: string]: Yaml };

const unquote = (s: string): string => {
  const t = s.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  return t;
};

/** Strips a comment (a # after whitespace, outside quotes). */
function stripYamlComment(line: string): string {
  let quote = '';
  for (let k = 0; k < line.length; k++) {
    const c = line[k]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (k === 0 || /\s/.test(line[k - 1]!))) return line.slice(0, k);
  }
  return line;
}

function flowMapping(s: string): { [key: string]: Yaml } {
  const out: { [key: string]: Yaml } = {};
  for (const part of s.trim().slice(1, -1).split(',')) {
    const m = /^\s*([^:]+?)\s*:\s*(.*)$/.exec(part);
    if (m) out[unquote(m[1]!)] = unquote(m[2]!);
  }
  return out;
}

/**
 * The subset of YAML azure.yaml uses: block mappings, block sequences of scalars or mappings, single-line flow
 * mappings, quoted and plain scalars, comments. No dependency is added for it: the project has no YAML parser.
 */
export function readYaml(text: string): Yaml {
  const lines = text
    .split('\n')
    .map((raw, i) => ({ raw: stripYamlComment(raw).replace(/\s+$/, ''), line: i + 1 }))
    .filter((l) => l.raw.trim() !== '' && l.raw.trim() !== '---');
  for (const l of lines)
    if (/^\s*\t/.test(l.raw)) throw new Error(`YAML line ${l.line}: tab indentation is not supported`);
  let pos = 0;
  const indentOf = (s: string) => s.length - s.trimStart().length;
  const scalarOrFlow = (v: string): Yaml => (v.trim().startsWith('{') ? flowMapping(v) : unquote(v));
  const block = (indent: number): Yaml => {
    const first = lines[pos];
    if (!first) return '';
    if (first.raw.trimStart().startsWith('- ') || first.raw.trim() === '-') {
      const items: Yaml[] = [];
      while (
        pos < lines.length &&
        indentOf(lines[pos]!.raw) === indent &&
        lines[pos]!.raw.trimStart().startsWith('-')
      ) {
        const rest = lines[pos]!.raw.trimStart().slice(1).trimStart();
        if (/^[^'"{][^:]*:(\s|$)/.test(rest)) {
          // "- key: value": a mapping whose keys are indented past the dash.
          lines[pos] = { raw: `${' '.repeat(indent + 2)}${rest}`, line: lines[pos]!.line };
          items.push(block(indent + 2));
        } else {
          items.push(scalarOrFlow(rest));
          pos++;
        }
      }
      return items;
    }
    const map: { [key: string]: Yaml } = {};
    while (pos < lines.length && indentOf(lines[pos]!.raw) === indent) {
      const { raw, line } = lines[pos]!;
      const m = /^\s*("[^"]*"|'[^']*'|[^:]+?)\s*:(?:\s+(.*))?$/.exec(raw);
      if (!m) throw new Error(`YAML line ${line}: expected "key: value"`);
      pos++;
      const key = unquote(m[1]!);
      if (m[2] !== undefined && /^[|>][-+]?\d*$/.test(m[2])) {
        // A block scalar (a hook's script): the more-indented lines that follow.
        const text: string[] = [];
        while (pos < lines.length && indentOf(lines[pos]!.raw) > indent) text.push(lines[pos++]!.raw.trim());
        map[key] = text.join('\n');
      } else if (m[2] !== undefined && m[2] !== '') map[key] = scalarOrFlow(m[2]);
      else if (pos < lines.length && indentOf(lines[pos]!.raw) > indent)
        map[key] = block(indentOf(lines[pos]!.raw));
      else if (
        pos < lines.length &&
        indentOf(lines[pos]!.raw) === indent &&
        lines[pos]!.raw.trimStart().startsWith('-')
      )
        map[key] = block(indent);
      else map[key] = '';
    }
    return map;
  };
  const out = block(0);
  if (pos < lines.length) throw new Error(`YAML line ${lines[pos]!.line}: unexpected indentation`);
  return out;
}

export const MIN_AZD = [1, 30, 0] as const;

const compareVersions = (a: readonly number[], b: readonly number[]): number => {
  for (let k = 0; k < 3; k++) if ((a[k] ?? 0) !== (b[k] ?? 0)) return (a[k] ?? 0) - (b[k] ?? 0);
  return 0;
};

/** The lowest version a constraint like ">= 1.30.0" (or ">=1.30.0 <2.0.0") admits, or undefined. */
export function constraintMinimum(constraint: string): number[] | undefined {
  let min: number[] | undefined;
  for (const m of constraint.matchAll(/(>=|>|<=|<|=|~|\^)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/g)) {
    if (m[1] === '<' || m[1] === '<=') continue;
    const v = [Number(m[2]), Number(m[3] ?? 0), Number(m[4] ?? 0)];
    if (!min || compareVersions(v, min) > 0) min = v;
  }
  return min;
}

/** azure.yaml says requiredVersions.azd with a minimum of at least 1.30.0 (container Function apps). */
export function checkAzdVersion(path: string, text: string): Problem[] {
  const doc = readYaml(text);
  const rv = typeof doc === 'object' && !Array.isArray(doc) ? doc.requiredVersions : undefined;
  const azd = rv && typeof rv === 'object' && !Array.isArray(rv) ? rv.azd : undefined;
  const lineNo = Math.max(1, text.split('\n').findIndex((l) => /^\s*requiredVersions\s*:/.test(l)) + 1);
  const fix = 'set requiredVersions: { azd: ">= 1.30.0" } in azure.yaml (contract decision 11).';
  if (typeof azd !== 'string')
    return [
      {
        rule: 'azd-version',
        file: path,
        line: lineNo,
        message:
          'no requiredVersions.azd: azd before 1.30.0 rejects host: function with a docker section, or deploys a zip to the container site and hangs.',
        fix,
      },
    ];
  const min = constraintMinimum(azd);
  if (min && compareVersions(min, MIN_AZD) >= 0) return [];
  return [
    {
      rule: 'azd-version',
      file: path,
      line: lineNo,
      message: `requiredVersions.azd is "${azd}", whose minimum ${min ? min.join('.') : '(none)'} is below ${MIN_AZD.join('.')}.`,
      fix,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Rule 8: the manual image fallback also tells azd

// Commands that point the app at an image (not ones that only show it, like --query siteConfig.linuxFxVersion).
const SETS_IMAGE =
  /az\s+(functionapp|webapp)\s+config\s+container\s+set|--linux-fx-version|linuxFxVersion\s*=/;

/**
 * docs/deploy.md: a code block that points the app at an image by hand also runs `azd env set
 * SERVICE_API_IMAGE_NAME …`; otherwise the next `azd provision` deploys main.bicep's default image again.
 */
export function checkImageFallback(path: string, text: string): Problem[] {
  const problems: Problem[] = [];
  const lines = text.split('\n');
  let start = -1;
  for (let k = 0; k < lines.length; k++) {
    if (!/^\s*```/.test(lines[k]!)) continue;
    if (start < 0) {
      start = k;
      continue;
    }
    const blockLines = lines.slice(start + 1, k);
    const block = blockLines.join('\n');
    if (SETS_IMAGE.test(block) && !/azd\s+env\s+set\s+SERVICE_API_IMAGE_NAME\b/.test(block))
      problems.push({
        rule: 'image-fallback',
        file: path,
        line: start + 2 + blockLines.findIndex((l) => SETS_IMAGE.test(l)),
        message:
          "the manual image fallback sets the container image but not SERVICE_API_IMAGE_NAME: the next azd provision puts main.bicep's default image back.",
        fix: 'add `azd env set SERVICE_API_IMAGE_NAME <registry>.azurecr.io/<image>:<tag>` to the same block.',
      });
    start = -1;
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Rules 9-11: checked lists

export interface CheckedRole {
  id: string;
  name: string;
  source: string;
}
export interface CheckedAction {
  action: string;
  source: string;
}
export interface CheckedType {
  type: string;
  apiVersion: string;
  source: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACTION = /^Microsoft\.[A-Za-z]+\/[^@\s]*\/(read|write|delete|action|\*)$/;
const TYPE_VERSION = /^(Microsoft\.[A-Za-z]+\/[\w/]+)@(\d{4}-\d{2}-\d{2}(?:-[\w]+)?)$/;

/** Problems of a checked list itself: each entry complete, no duplicates. */
export function checkedListProblems(
  file: string,
  entries: readonly Record<string, unknown>[],
  keyOf: (e: Record<string, unknown>) => string,
  fields: readonly string[],
): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    for (const f of fields)
      if (typeof e[f] !== 'string' || e[f].trim() === '')
        problems.push({
          rule: 'checked-list',
          file,
          line: 1,
          message: `entry ${i} has no ${f}.`,
          fix: 'see infra/checked/README.md, "Adding an entry".',
        });
    const key = keyOf(e).toLowerCase();
    if (seen.has(key))
      problems.push({
        rule: 'checked-list',
        file,
        line: 1,
        message: `duplicate entry ${keyOf(e)}.`,
        fix: 'keep one.',
      });
    seen.add(key);
  });
  return problems;
}

const literalsIn = (infra: Infra, test: RegExp) =>
  infra.files.flatMap((file) =>
    stringLiterals(file.text)
      .filter((s) => test.test(s.value))
      .map((s) => ({ file, value: s.value, line: lineAt(file.text, s.index) })),
  );

/** Every role definition id (a GUID literal) in infra/ is in the checked list. */
export function checkRoleIds(infra: Infra, roles: readonly CheckedRole[], listPath: string): Problem[] {
  const known = new Set(roles.map((r) => r.id.toLowerCase()));
  return literalsIn(infra, GUID)
    .filter((l) => !known.has(l.value.toLowerCase()))
    .map((l) => ({
      rule: 'role-id',
      file: l.file.path,
      line: l.line,
      message: `role definition id ${l.value} is not in ${listPath}: nothing says which role it is or where it was read.`,
      fix: `read the id on Learn, "Azure built-in roles", and add { id, name, source } to ${listPath}.`,
    }));
}

/** Every action string (a `Microsoft.X/…/read|write|delete|action` literal) in infra/ is in the checked list. */
export function checkActions(infra: Infra, actions: readonly CheckedAction[], listPath: string): Problem[] {
  const known = new Set(actions.map((a) => a.action.toLowerCase()));
  return literalsIn(infra, ACTION)
    .filter((l) => !known.has(l.value.toLowerCase()))
    .map((l) => ({
      rule: 'action',
      file: l.file.path,
      line: l.line,
      message: `action ${l.value} is not in ${listPath}: a misspelt action is accepted by ARM and grants nothing.`,
      fix: `read it in Learn's "Azure resource provider operations" (or a built-in role that lists it) and add { action, source } to ${listPath}.`,
    }));
}

/** Every 'Type@apiVersion' in infra/ is in the checked list. */
export function checkResourceTypes(infra: Infra, types: readonly CheckedType[], listPath: string): Problem[] {
  const known = new Set(types.map((t) => `${t.type.toLowerCase()}@${t.apiVersion}`));
  return infra.files.flatMap((file) =>
    file.declarations
      .filter((d) => d.kind === 'resource')
      .filter((d) => {
        const m = TYPE_VERSION.exec(d.target);
        return !m || !known.has(`${m[1]!.toLowerCase()}@${m[2]}`);
      })
      .map((d) => ({
        rule: 'resource-type',
        file: file.path,
        line: d.line,
        message: `resource ${d.name}: '${d.target}' is not in ${listPath}: the type or api-version may not exist.`,
        fix: `find the type and version in Azure/bicep-types-az (generated/<provider>/<namespace>/<version>/types.md) and add { type, apiVersion, source } to ${listPath}.`,
      })),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Rule 13: the vault's system-assigned identity is documented as required

/**
 * Azure Backup restores with the vault's system-assigned identity, and vault-access.bicep assigns roles to
 * `vault.identity.principalId`, which a vault with only a user-assigned identity does not have: each document
 * says so in a paragraph that names the vault and its system-assigned identity.
 */
export function checkVaultIdentityDocumented(docs: readonly SourceFile[]): Problem[] {
  return docs
    .filter(
      (doc) =>
        !doc.text
          .split(/\n\s*\n/)
          .some((paragraph) => /vault/i.test(paragraph) && /system[- ]assigned/i.test(paragraph)),
    )
    .map((doc) => ({
      rule: 'vault-identity',
      file: doc.path,
      line: 1,
      message:
        "nothing says the backup vault needs a system-assigned identity: with only a user-assigned one, the vault's principalId is empty and its role assignments fail.",
      fix: 'say it where the vault identity roles are described (contract decision 7).',
    }));
}

// ---------------------------------------------------------------------------------------------------------------
// App settings (test/support/bindingSettings.ts reads them through this parser)

/** The names and value expressions of the function app's `siteConfig.appSettings` in a Bicep file. */
export function siteAppSettings(text: string): { name: string; value: string }[] {
  const file = parseBicep('function.bicep', text);
  const site = declsOf(file, 'resource').find((d) => !d.existing && isType(d, 'Microsoft.Web/sites'));
  if (!site) return [];
  const siteConfig = nestedProps(file, nestedProps(file, site.props.get('properties')).get('siteConfig'));
  return arrayItems(file, siteConfig.get('appSettings')).flatMap((item) => {
    const props = itemProps(file, item);
    const name = props.get('name')?.value;
    const value = props.get('value')?.value;
    return name && value !== undefined && /^'[^']*'$/.test(name) ? [{ name: name.slice(1, -1), value }] : [];
  });
}
