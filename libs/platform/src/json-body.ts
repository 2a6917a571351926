import { DomainError, MalformedBodyError } from '@lintel/domain';

/** Arrays and objects a request body may nest (docs/security.md, "L5"). */
export const MAX_JSON_DEPTH = 64;

/**
 * A body nesting arrays and objects deeper than {@link MAX_JSON_DEPTH}: refused as it is parsed,
 * before any code walks it (serialising or copying a 30,000-deep value overflows the stack).
 * Each dialect words InvalidInput its own way.
 */
export class JsonNestingError extends DomainError {
  constructor() {
    super('InvalidInput', `The request body nests JSON arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`);
  }
}

/**
 * The deepest nesting of arrays and objects in JSON text, stopping as soon as it passes `limit`
 * (brackets inside strings do not count). A single pass over the characters; a body that is
 * not JSON is JSON.parse's to refuse.
 */
export function jsonDepthExceeds(text: string, limit = MAX_JSON_DEPTH): boolean {
  // Fewer characters than the limit cannot open more containers than the limit.
  if (text.length <= limit) return false;
  let depth = 0;
  for (let i = 0, n = text.length; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Skip the string, natively: to the next quote not escaped (an even run of backslashes before it).
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i < 0) return false; // unterminated: JSON.parse refuses it
        let k = i - 1;
        while (text.charCodeAt(k) === 92 /* \ */) k--;
        if ((i - 1 - k) % 2 === 0) break;
      }
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > limit) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      depth--;
    }
  }
  return false;
}

/**
 * Parses a JSON request body: MalformedBodyError when it is not JSON, JsonNestingError when it
 * nests deeper than {@link MAX_JSON_DEPTH}. Every JSON body parser of Lintel goes through here.
 */
export function parseJsonBody(text: string): unknown {
  if (jsonDepthExceeds(text)) throw new JsonNestingError();
  try {
    return JSON.parse(text);
  } catch {
    throw new MalformedBodyError();
  }
}
