/**
 * The app settings the function bindings refer to: `%NAME%` in any binding property (timer schedules, queue
 * names, paths) and `connection` names. The Functions host resolves them from app settings when it indexes the
 * functions, and cannot index a binding whose setting is missing (a timer without its schedule never runs), so
 * each must be set by the Bicep (Azure) and by local.settings.json.sample (Core Tools). Read from the function
 * definitions as registered (src/functions), so a new binding is checked without touching the test.
 */
import type { FunctionDefinition } from '../../src/functions/definitions';
import { siteAppSettings } from './bicepChecks';

export interface BindingSetting {
  /** The function whose binding uses the setting. */
  binding: string;
  setting: string;
  /** `expression`: %NAME% in a property; `connection`: a connection name (a setting, or NAME__* settings). */
  kind: 'expression' | 'connection';
}

/** Every setting each definition's bindings use (trigger options, extra inputs and outputs). */
export function bindingSettings(defs: readonly FunctionDefinition[]): BindingSetting[] {
  const out: BindingSetting[] = [];
  const walk = (binding: string, value: unknown, key: string): void => {
    if (typeof value === 'string') {
      for (const m of value.matchAll(/%([^%\s]+)%/g))
        out.push({ binding, setting: m[1]!, kind: 'expression' });
      if (key === 'connection') out.push({ binding, setting: value, kind: 'connection' });
    } else if (Array.isArray(value)) value.forEach((v) => walk(binding, v, key));
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) if (typeof v !== 'function') walk(binding, v, k);
  };
  for (const def of defs) {
    if (def.kind === 'http' || def.kind === 'queue' || def.kind === 'timer') walk(def.name, def.options, '');
    if (def.kind === 'activity') walk(def.name, def.extraInputs ?? [], '');
  }
  // The queue trigger and its outputs share one connection: one entry per function and setting.
  return out.filter(
    (u, i) =>
      out.findIndex((o) => o.binding === u.binding && o.setting === u.setting && o.kind === u.kind) === i,
  );
}

export interface SettingsPlace {
  /** Where the settings are set, as the error should name it (a file). */
  place: string;
  names: ReadonlySet<string>;
}

/**
 * One line per setting a place lacks, naming the binding, the setting and the place. A connection is also
 * satisfied by identity-based settings (`NAME__serviceUri`, `NAME__queueServiceUri`, …).
 */
export function missingBindingSettings(
  uses: readonly BindingSetting[],
  places: readonly SettingsPlace[],
): string[] {
  const problems: string[] = [];
  for (const place of places)
    for (const u of uses) {
      const set =
        place.names.has(u.setting) ||
        (u.kind === 'connection' && [...place.names].some((n) => n.startsWith(`${u.setting}__`)));
      if (!set)
        problems.push(
          `${u.binding} uses ${u.kind === 'expression' ? `%${u.setting}%` : `connection ${u.setting}`}, which ${place.place} does not set`,
        );
    }
  return problems;
}

/**
 * The names and values of the function app's app settings in a Bicep file (`siteConfig.appSettings` of the
 * Microsoft.Web/sites resource), read with the Bicep reader of the static checks (bicepChecks.ts).
 */
export function bicepAppSettings(text: string): { name: string; value: string }[] {
  return siteAppSettings(text);
}
