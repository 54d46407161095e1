/** JSON helpers for text from outside, before it is parsed. Pure. */

/** Deeper JSON is not parsed (it would only exhaust the stack): no drill request nests this deep. */
export const MAX_NESTING = 64;

/** How deeply `text` nests JSON arrays and objects (strings skipped), counted without parsing it. */
export function jsonNesting(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') max = Math.max(max, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return max;
}

/**
 * The JSON pointer of the first key an object holds twice, if any (JSON.parse would silently keep the last,
 * and two readers of the same text could disagree about what it says). `text` must be valid JSON.
 */
export function duplicateKey(text: string): string | undefined {
  // One frame per open object or array: the keys seen (objects) or the index reached (arrays), and the path.
  const frames: { keys?: Set<string>; index: number; path: string }[] = [];
  let expectKey = false;
  let lastKey = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      let raw = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') raw += text[j++];
        raw += text[j++];
      }
      const value = JSON.parse(`"${raw}"`) as string;
      i = j;
      const top = frames.at(-1);
      if (top?.keys && expectKey) {
        if (top.keys.has(value)) return `${top.path}/${value.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        top.keys.add(value);
        lastKey = value;
        expectKey = false;
      }
    } else if (c === '{' || c === '[') {
      const top = frames.at(-1);
      const segment = top ? (top.keys ? lastKey : String(top.index)) : '';
      const path = top ? `${top.path}/${segment.replace(/~/g, '~0').replace(/\//g, '~1')}` : '';
      frames.push(c === '{' ? { keys: new Set(), index: 0, path } : { index: 0, path });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') frames.pop();
    else if (c === ',') {
      const top = frames.at(-1);
      if (top?.keys) expectKey = true;
      else if (top) top.index++;
    }
  }
  return undefined;
}
