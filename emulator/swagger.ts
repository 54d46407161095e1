/**
 * Validates JSON against the official Data Protection swagger (reference/dataprotection). The emulator checks
 * request bodies with it (strict "request" mode: unknown properties fail, as a misspelled field would be
 * ignored by the real service and then miss), and tests check the emulator's responses and the client's
 * request builders against the contract itself, not against anyone's own schemas.
 *
 * Swagger 2.0 models polymorphism with `discriminator` on a base and `allOf: [base]` +
 * `x-ms-discriminator-value` on subtypes; JSON Schema has no such thing. The adapter rewrites each
 * discriminated base B into a dispatcher that picks the subtype by objectType (unknown values fail), and
 * keeps B's own body as B__base for the subtypes' allOf. In `request` mode every dispatched or plain model
 * also gets `unevaluatedProperties: false`, so a misspelled field (dataSourceInfo for datasourceInfo) fails.
 *
 * Each api-version has its own contract: 2026-06-01 is the whole swagger, 2021-07-01 the restore-request
 * definitions extracted from its swagger (reference/dataprotection/.../stable/2021-07-01/restore-definitions.json).
 * A request names its api-version and is checked against that one (a field a newer version added, such as
 * sourceResourceId, is unknown to 2021-07-01); a version between the two is checked against the older one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

export const REFERENCE_ROOT = findReferenceRoot();
export const SPEC_DIR = join(
  REFERENCE_ROOT,
  'specification/dataprotection/resource-manager/Microsoft.DataProtection/DataProtection/stable/2026-06-01',
);
const COMMON_DIR = join(REFERENCE_ROOT, 'specification/common-types/resource-management/v5');
const BASE = 'https://swagger.local/';

/** The swagger (or extract of one) of each api-version the emulator knows the contract of, newest first. */
const SWAGGER_FILES: Record<string, string> = {
  '2026-06-01':
    'specification/dataprotection/resource-manager/Microsoft.DataProtection/DataProtection/stable/2026-06-01/dataprotection.json',
  '2021-07-01':
    'specification/dataprotection/resource-manager/Microsoft.DataProtection/stable/2021-07-01/restore-definitions.json',
};
export const SWAGGER_VERSIONS = Object.keys(SWAGGER_FILES);
export const DEFAULT_SWAGGER_VERSION = '2026-06-01';

/** The contract version a request of `apiVersion` is held to: that one, else the newest known not newer. */
export function contractVersion(apiVersion: string): string {
  if (SWAGGER_FILES[apiVersion]) return apiVersion;
  const older = SWAGGER_VERSIONS.filter((v) => v <= apiVersion).sort();
  return older[older.length - 1] ?? SWAGGER_VERSIONS[SWAGGER_VERSIONS.length - 1]!;
}

const swaggerId = (version: string): string => `${BASE}${SWAGGER_FILES[version]!}`;

type Json = Record<string, unknown>;

/** reference/ at the project root, from the source tree (emulator/) or the build (dist/emulator/). */
function findReferenceRoot(): string {
  for (const up of ['..', join('..', '..')]) {
    const candidate = join(__dirname, up, 'reference', 'dataprotection');
    if (existsSync(join(candidate, 'README.md'))) return candidate;
  }
  throw new Error('reference/dataprotection not found next to the emulator');
}

export function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, 'utf8')) as Json;
}

export function example(relPath: string): Json {
  return readJson(join(SPEC_DIR, 'examples', relPath));
}

/**
 * Drops swagger-only keywords. An enum marked x-ms-enum.modelAsString is extensible by Azure's convention
 * (clients must accept values added later, and the examples do use such values, e.g. protectionStatus
 * "NotProtected"), so in response mode it is checked as a plain string; requests we send stay strict.
 */
function stripVendorKeys(node: unknown, mode: 'request' | 'response'): unknown {
  if (Array.isArray(node)) return node.map((n) => stripVendorKeys(n, mode));
  if (!node || typeof node !== 'object') return node;
  const src = node as Json;
  const extensible = (src['x-ms-enum'] as { modelAsString?: boolean } | undefined)?.modelAsString === true;
  const out: Json = {};
  for (const [k, v] of Object.entries(src)) {
    if (k.startsWith('x-ms-') || k === 'discriminator' || k === 'example') continue;
    if (k === 'enum' && extensible && mode === 'response') continue;
    out[k] = stripVendorKeys(v, mode);
  }
  return out;
}

function refName(ref: unknown): string | undefined {
  return typeof ref === 'string' && ref.startsWith('#/definitions/')
    ? ref.slice('#/definitions/'.length)
    : undefined;
}

function buildSwaggerSchema(mode: 'request' | 'response', version: string): Json {
  const swagger = readJson(join(REFERENCE_ROOT, SWAGGER_FILES[version]!));
  const rawDefs = swagger.definitions as Record<string, Json>;
  const bases = new Map<string, string>(); // base -> discriminator property
  for (const [name, def] of Object.entries(rawDefs)) {
    if (typeof def.discriminator === 'string') bases.set(name, def.discriminator);
  }
  const parentsOf = (name: string): string[] =>
    ((rawDefs[name]?.allOf as Json[] | undefined) ?? [])
      .map((s) => refName(s.$ref))
      .filter((n): n is string => !!n);
  const isDescendant = (name: string, base: string): boolean =>
    parentsOf(name).some((p) => p === base || isDescendant(p, base));
  const usedAsParent = new Set(Object.keys(rawDefs).flatMap(parentsOf));

  const defs: Record<string, Json> = {};
  for (const [name, def] of Object.entries(rawDefs)) {
    const clean = stripVendorKeys(def, mode) as Json;
    // Subtypes inherit from the base's own body, not from its dispatcher.
    if (clean.allOf) {
      clean.allOf = (clean.allOf as Json[]).map((s) => {
        const parent = refName(s.$ref);
        return parent && bases.has(parent) ? { ...s, $ref: `#/definitions/${parent}__base` } : s;
      });
    }
    if (bases.has(name)) {
      defs[`${name}__base`] = clean;
    } else {
      if (
        mode === 'request' &&
        !usedAsParent.has(name) &&
        clean.type === 'object' &&
        !clean.additionalProperties
      ) {
        clean.unevaluatedProperties = false;
      }
      defs[name] = clean;
    }
  }
  for (const [base, prop] of bases) {
    const subtypes = Object.keys(rawDefs).filter((n) => isDescendant(n, base));
    const value = (n: string): string =>
      (rawDefs[n]?.['x-ms-discriminator-value'] as string | undefined) ?? n;
    const branches = subtypes.map((n) => ({
      if: { properties: { [prop]: { const: value(n) } }, required: [prop] },
      then: { $ref: `#/definitions/${n}`, ...(mode === 'request' ? { unevaluatedProperties: false } : {}) },
    }));
    defs[base] = {
      type: 'object',
      required: [prop],
      properties: { [prop]: { enum: [...subtypes.map(value), base] } },
      allOf: [
        ...branches,
        {
          if: { properties: { [prop]: { const: base } } },
          then: {
            $ref: `#/definitions/${base}__base`,
            ...(mode === 'request' ? { unevaluatedProperties: false } : {}),
          },
        },
      ],
    };
  }
  return { $id: swaggerId(version), definitions: defs };
}

function commonTypes(file: string, mode: 'request' | 'response'): Json {
  const schema = stripVendorKeys(readJson(join(COMMON_DIR, file)), mode) as Json;
  return {
    $id: `${BASE}specification/common-types/resource-management/v5/${file}`,
    definitions: schema.definitions,
  };
}

const cache = new Map<string, Ajv2020>();

function ajvFor(mode: 'request' | 'response', version: string): Ajv2020 {
  const key = `${mode} ${version}`;
  let ajv = cache.get(key);
  if (!ajv) {
    ajv = new Ajv2020({ strict: false, allErrors: true, logger: false, validateFormats: true });
    addFormats(ajv);
    for (const f of ['arm-id', 'uuid', 'duration', 'password', 'unixtime']) ajv.addFormat(f, true);
    ajv.addSchema(commonTypes('types.json', mode));
    ajv.addSchema(commonTypes('managedidentity.json', mode));
    ajv.addSchema(buildSwaggerSchema(mode, version));
    cache.set(key, ajv);
  }
  return ajv;
}

/**
 * A response with its null-valued properties left out. Real Azure sends unset job properties as explicit nulls
 * (recorded traffic, reference/dataprotection/RECORDINGS.md section 1), which the swagger types as plain strings
 * and objects; by the Azure REST API guidelines a null property is the same as an absent one, and that is how
 * a response is held to the swagger here (a null where the swagger requires the property still fails, as
 * "required").
 */
function withoutNulls(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutNulls);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) if (v !== null) out[k] = withoutNulls(v);
  return out;
}

export interface SwaggerCheck {
  valid: boolean;
  errors: string[];
}

/**
 * Validates `data` against swagger definition `name` of the contract of `apiVersion` (default: the newest):
 * "request" mode rejects unknown properties; "response" mode reads a null property as an absent one.
 */
export function checkAgainstSwagger(
  name: string,
  data: unknown,
  mode: 'request' | 'response',
  apiVersion: string = DEFAULT_SWAGGER_VERSION,
): SwaggerCheck {
  const version = contractVersion(apiVersion);
  const fn: ValidateFunction | undefined = ajvFor(mode, version).getSchema(
    `${swaggerId(version)}#/definitions/${name}`,
  );
  if (!fn) throw new Error(`swagger ${version} has no definition ${name}`);
  const valid = fn(mode === 'response' ? withoutNulls(data) : data) === true;
  return {
    valid,
    errors: (fn.errors ?? []).map(
      (e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
    ),
  };
}

/** The swagger definition an operation's request body or 2xx response uses, from its path item. */
export function swaggerOperation(operationId: string): { method: string; path: string; op: Json } {
  const swagger = readJson(join(SPEC_DIR, 'dataprotection.json'));
  for (const [path, item] of Object.entries(swagger.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item)) {
      if ((op as Json).operationId === operationId) return { method, path, op: op as Json };
    }
  }
  throw new Error(`no operation ${operationId}`);
}

export interface ExampleResponse {
  // Example bodies are arbitrary JSON; tests read into them freely.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body?: any;
  headers?: Record<string, string>;
}

/** One response of an official example file, by status code. */
export function exampleResponse(relPath: string, status: '200' | '202'): ExampleResponse {
  const responses = example(relPath).responses as Record<string, ExampleResponse | undefined>;
  const r = responses[status];
  if (!r) throw new Error(`${relPath} has no ${status} response`);
  return r;
}
