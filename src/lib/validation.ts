/**
 * The one Ajv instance of the app. Every schema in schemas/ is registered here once; callers validate by
 * schema reference and get a ValidationError whose entries name the JSON pointer of each bad field.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import alertTriggersSchema from '../../schemas/alert-triggers.schema.json';
import alertsSchema from '../../schemas/alerts.schema.json';
import configSchema from '../../schemas/config.schema.json';
import dataProtectionSchema from '../../schemas/dataprotection.schema.json';
import drillPlanSchema from '../../schemas/drill-plan.schema.json';
import drillReportSchema from '../../schemas/drill-report.schema.json';
import drillRequestSchema from '../../schemas/drill-request.schema.json';
import monitorAlertSchema from '../../schemas/monitor-alert.schema.json';
import { ValidationError, type FieldError } from './errors';

export const SCHEMA_BASE = 'https://pg-restore-drill.local/schemas/';

// strictRequired is off so that if/then can require a property declared beside it (drill-request recoveryPoint).
const ajv = new Ajv2020({
  allErrors: true,
  strict: true,
  strictRequired: false,
  useDefaults: true,
  allowUnionTypes: true,
});
addFormats(ajv);
// Annotation on app settings: how a deployment treats them (checked against infra/ by a test).
ajv.addKeyword({ keyword: 'x-deployment', schemaType: 'string' });
// TypeScript type annotation for scripts/gen-types.mjs (no effect on validation).
ajv.addKeyword({ keyword: 'tsType', schemaType: 'string' });
ajv.addSchema(alertTriggersSchema);
ajv.addSchema(alertsSchema);
ajv.addSchema(configSchema);
ajv.addSchema(dataProtectionSchema);
ajv.addSchema(drillRequestSchema);
ajv.addSchema(drillReportSchema);
ajv.addSchema(drillPlanSchema);
ajv.addSchema(monitorAlertSchema);

export function schemaRef(file: string, def?: string): string {
  return def ? `${SCHEMA_BASE}${file}#/$defs/${def}` : `${SCHEMA_BASE}${file}`;
}

function compiled(ref: string): ValidateFunction {
  const fn = ajv.getSchema(ref);
  if (!fn) throw new Error(`No schema registered as ${ref}`);
  return fn;
}

/** Human-readable entries for Ajv errors, one per field, with the fix where Ajv tells us enough. */
export function toFieldErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors ?? []) {
    let pointer = e.instancePath;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      pointer = `${pointer}/${missing}`;
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      pointer = `${pointer}/${extra}`;
      message = 'is not a known field: remove it or check its spelling';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (e.keyword === 'const') {
      message = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    }
    if (!out.some((o) => o.pointer === pointer && o.message === message)) out.push({ pointer, message });
  }
  return out;
}

/** Validates (and, where the schema says so, fills defaults into) `data`; throws ValidationError. */
export function assertValid<T>(ref: string, data: unknown, what: string): T {
  const fn = compiled(ref);
  if (!fn(data)) throw new ValidationError(what, toFieldErrors(fn.errors));
  return data as T;
}

export function isValid(ref: string, data: unknown): boolean {
  return compiled(ref)(data) === true;
}

export function registerSchema(schema: { $id: string }): void {
  if (!ajv.getSchema(schema.$id)) ajv.addSchema(schema);
}
