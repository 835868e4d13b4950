import type { EntityKind } from './envelope.js';

/**
 * Statuses Dropea documents publicly (fixtures/dropea/README.md). Dropea has more states than
 * these, so anything else passes through canonicalised and is reported as unknown, to be counted.
 */
export const KNOWN_STATUSES: Readonly<Record<EntityKind, ReadonlySet<string>>> = {
  order: new Set(['pending', 'confirmed', 'cancelled', 'error']),
  incidence: new Set(['pending', 'client_managed', 'solution_sent', 'resolved']),
};

/**
 * Spellings of one state. The English and Spanish editions of Dropea's guide disagree on
 * `resolution_send` / `solution_send`; both name the state reported here as `solution_sent`.
 */
const SYNONYMS: ReadonlyMap<string, string> = new Map([
  ['canceled', 'cancelled'],
  ['solution_send', 'solution_sent'],
  ['resolution_send', 'solution_sent'],
]);

const SEPARATOR_RUN = /[\s-]+/g;
// What folding leaves as it is: most statuses arrive like this, and every one passed again does.
const FOLDED = /^[a-z0-9_]*$/;

export interface CanonicalStatus {
  status: string;
  /** Whether `status` is in the documented vocabulary of this entity kind. */
  known: boolean;
}

/**
 * CONTRACT.md §2: trimmed, lower case, runs of whitespace and hyphens as one `_`, synonyms
 * folded. Idempotent, so canonical values may be passed again. May return '' for a blank input;
 * rejecting blanks is validation's job.
 */
export function canonicalStatus(kind: EntityKind, raw: string): CanonicalStatus {
  const status = canonicalStatusName(raw);
  return { status, known: isKnownStatus(kind, status) };
}

/** `canonicalStatus(…).status`, the same for every entity kind. */
export function canonicalStatusName(raw: string): string {
  const folded = FOLDED.test(raw) ? raw : raw.trim().toLowerCase().replace(SEPARATOR_RUN, '_');
  return SYNONYMS.get(folded) ?? folded;
}

export function isKnownStatus(kind: EntityKind, canonical: string): boolean {
  return KNOWN_STATUSES[kind].has(canonical);
}
