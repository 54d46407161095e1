/**
 * Errors that cross process and replay boundaries. Activity failures reach an orchestrator as plain
 * `Error`s (the class is lost), so every error we raise carries a stable `code` and serialises to plain
 * JSON through `toJSON()`; `errorCodeOf` reads the code back from either form.
 */
export class AppError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

export interface FieldError {
  /** JSON pointer of the offending field, '' for the document itself. */
  pointer: string;
  message: string;
}

/** Bad input at the edge: names every bad field by JSON pointer. */
export class ValidationError extends AppError {
  readonly errors: FieldError[];

  constructor(what: string, errors: FieldError[]) {
    const lines = errors.map((e) => `  ${e.pointer || '(root)'}: ${e.message}`).join('\n');
    super('InvalidInput', `${what} is invalid:\n${lines}`);
    this.errors = errors;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), errors: this.errors };
  }
}

/** Configuration that cannot work; raised at start, before any drill runs. */
export class ConfigError extends AppError {
  constructor(message: string) {
    super('InvalidConfiguration', message);
  }
}

export function errorCodeOf(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
