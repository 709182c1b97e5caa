/**
 * The text of a `--json` document: an unknown value (undefined) is written as null, so every
 * documented key is present and "unknown" is never confused with "absent" or 0 (docs/json.md).
 */
export function jsonText(doc: unknown, indent: number | undefined = 1): string {
  return JSON.stringify(doc, (_key, v: unknown) => (v === undefined ? null : v), indent);
}
