import type { Sample } from '../collect/sample.js';
import type { Finding } from '../shared/finding.js';
import { evaluateFindings } from './findings.js';
import { buildLedger, type Ledger } from './ledger.js';
import { ownerTotals, type OwnerTotals } from './owners.js';
import { usedSentence, usedViews, type UsedView } from './used.js';

/** Everything `memledger` (the ledger screen) shows, as data. */
export interface LedgerReport {
  ledger: Ledger;
  owners: OwnerTotals;
  used: UsedView[];
  usedSentence: string;
  findings: Finding[];
}

export function ledgerReport(sample: Sample, fmt: (n: number) => string): LedgerReport {
  const ledger = buildLedger(sample.system);
  const owners = ownerTotals(sample);
  const used = usedViews(sample.system.meminfo);
  return {
    ledger,
    owners,
    used,
    usedSentence: usedSentence(sample.system.meminfo, used, fmt),
    findings: evaluateFindings({ sample, ledger, owners, fmt }),
  };
}
