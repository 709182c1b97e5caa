/** A plain-language observation about memory, with the numbers that triggered it. Isomorphic. */
export type Severity = 'info' | 'notice' | 'warning' | 'critical';

export interface Finding {
  /** Stable rule id, e.g. "rss-exceeds-used". */
  id: string;
  severity: Severity;
  /** One line: what is going on. */
  title: string;
  /** The numbers behind it, in bytes or counts, keyed by what they are. */
  numbers: Record<string, number | string>;
  /** Why, in plain words. */
  explanation: string;
  /** What to do about it. */
  action: string;
}
