/** Durations as Azure and our requests write them. Pure. */

/** ISO 8601 duration (PnDTnHnMnS, no years/months) in milliseconds; undefined when not of that form. */
export function parseIsoDuration(value: string): number | undefined {
  const m =
    /^P(?!$)(?:(\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
      value.trim(),
    );
  if (!m) return undefined;
  const [, d, h, min, s] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
}

/**
 * A backup job's duration in seconds. The swagger says ISO 8601, and real jobs send it ("PT2M5.6503519S", "PT0S"
 * while running: recorded traffic); the examples show .NET TimeSpan text ("00:02:11.9724387", or "1.02:03:04"
 * with days). Both are accepted.
 */
export function parseJobDurationSeconds(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const iso = parseIsoDuration(value);
  // Azure writes 100 ns ticks (7 digits): rounded to them, PT2M5.6503519S reads 125.6503519, not ...18999.
  if (iso !== undefined) return Math.round(iso * 10_000) / 10_000_000;
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value.trim());
  if (!m) return undefined;
  const [, days, h, min, s, frac] = m;
  return (
    Number(days ?? 0) * 86400 +
    Number(h) * 3600 +
    Number(min) * 60 +
    Number(s) +
    (frac ? Number(`0.${frac}`) : 0)
  );
}

export function seconds(fromIso: string, toIso: string): number {
  return Math.max(0, (Date.parse(toIso) - Date.parse(fromIso)) / 1000);
}
