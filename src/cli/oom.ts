import * as fs from 'node:fs';
import type { Command } from 'commander';
import { ProcRoot } from '../fs/proc-root.js';
import { KmsgReader, type KmsgRecord } from '../fs/kmsg.js';
import { parseKmsgOom, parseKmsgOomRecords, type OomReport } from '../procfs/kmsg-oom.js';
import { analyzeOomReport, type OomKillAnalysis } from '../analyze/oom.js';
import { formatBytes } from '../fields/units.js';
import { UsageError } from './errors.js';
import { parseLimitArg } from './interval.js';
import { readOomNow, type OomNow } from './oom-live.js';
import { renderOomKill, renderOomNow } from './oom-render.js';
import { jsonText } from './json.js';

interface OomOptions {
  procRoot?: string;
  sysRoot?: string;
  json?: boolean;
  from?: string;
  follow?: boolean;
  next?: boolean;
  limit?: string;
}

export function configure(cmd: Command): void {
  cmd
    .option('--from <file>', 'read a saved kernel log (dmesg, dmesg -T, journalctl -k, syslog, console, or raw /dev/kmsg records) instead of /dev/kmsg')
    .option('--follow', 'keep reading /dev/kmsg and print each new OOM kill as it happens')
    .option('--next', 'only who would die next, per memory cgroup, and memory pressure (no kernel log)')
    .option('--limit <n>', 'candidates and processes shown per table', '8')
    .action((opts: OomOptions) => runOom(opts));
}

export interface OomJson {
  schema: string;
  source: string;
  kills: OomKillAnalysis[];
  now?: OomNow;
}

function analyze(r: OomReport): OomKillAnalysis {
  return analyzeOomReport(r, (b) => formatBytes(b));
}

async function runOom(opts: OomOptions): Promise<void> {
  const limit = parseLimitArg(opts.limit) ?? 8;
  if (opts.follow && opts.from) throw new UsageError('--follow reads the live /dev/kmsg; it cannot be combined with --from');
  if (opts.next && (opts.from || opts.follow)) throw new UsageError('--next shows the present only; drop --from/--follow');
  const root = ProcRoot.fromOptions(opts);

  if (opts.next) {
    const now = readOomNow(root);
    print(opts.json ? jsonText({ schema: 'memledger.oom/1', source: 'live', kills: [], now } satisfies OomJson, 2) : renderOomNow(now, limit));
    return;
  }

  let reports: OomReport[];
  let source: string;
  let reader: KmsgReader | undefined;
  if (opts.from) {
    let text: string;
    try {
      text = fs.readFileSync(opts.from, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not a file' : code === 'EACCES' ? 'permission denied' : `cannot read (${code})`;
      throw new UsageError(`--from ${opts.from}: ${why}`);
    }
    reports = parseKmsgOom(text);
    source = opts.from;
  } else {
    if (!root.kmsgPath) throw new UsageError('a captured /proc tree has no kernel log: give --from FILE');
    reader = new KmsgReader(root.kmsgPath);
    reports = parseKmsgOomRecords(reader.readAvailable());
    source = root.kmsgPath;
  }
  const kills = reports.map(analyze);
  const now = !opts.from && root.live ? readOomNow(root) : undefined;

  if (opts.json) {
    const doc: OomJson = { schema: 'memledger.oom/1', source, kills };
    if (now) doc.now = now;
    print(jsonText(doc, opts.follow ? undefined : 2));
  } else {
    const parts = kills.length ? kills.map((k) => renderOomKill(k, limit)) : [`No OOM kills or allocation failures in ${source}${reader ? ' (the ring buffer holds only recent messages)' : ''}.`];
    if (now) parts.push(renderOomNow(now, limit));
    print(parts.join('\n\n'));
  }

  if (opts.follow && reader) await follow(reader, opts, limit);
  else reader?.close();
}

function print(text: string): void {
  process.stdout.write(text + '\n');
}

/**
 * Poll /dev/kmsg every 200 ms; parse what arrived since the last complete report and print each
 * report as soon as its "Killed process" line is in (a kill is shown well within a second).
 * Reports without a victim line (allocation failures) are printed once a second passes quietly.
 */
async function follow(reader: KmsgReader, opts: OomOptions, limit: number): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let pending: KmsgRecord[] = [];
  let quietSince = Date.now();
  try {
    while (!stop.signal.aborted) {
      const batch = reader.readAvailable();
      if (batch.length) {
        pending.push(...batch);
        quietSince = Date.now();
      }
      if (pending.length) {
        const reports = parseKmsgOomRecords(pending);
        let used = 0;
        for (const r of reports) {
          const complete = r.victim !== undefined || r !== reports[reports.length - 1] || Date.now() - quietSince > 1000;
          if (!complete) break;
          const a = analyze(r);
          print(opts.json ? jsonText({ schema: 'memledger.oom-kill/1', source: reader.path, kill: a }, undefined) : `${renderOomKill(a, limit)}\n`);
          used = r.lastLine;
        }
        if (used) pending = pending.slice(used);
        else if (!reports.length) pending = []; // no report has started: nothing to keep
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        stop.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    reader.close();
  }
}
