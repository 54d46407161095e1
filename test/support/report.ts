import { ValidationError } from '../../src/lib/errors';
import { assertValid, schemaRef } from '../../src/lib/validation';

/** The fields of a report that break schemas/drill-report.schema.json (empty when it is valid). */
export function validateReport(report: unknown): string[] {
  try {
    assertValid(schemaRef('drill-report.schema.json'), structuredClone(report), 'drill report');
    return [];
  } catch (err) {
    if (err instanceof ValidationError)
      return err.errors.map((e) => `${e.pointer || '(root)'}: ${e.message}`);
    throw err;
  }
}
