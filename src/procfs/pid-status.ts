import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { type KvEntry, kvEntries, parseSize } from './kv.js';

/**
 * /proc/[pid]/status (Documentation/filesystems/proc.rst, "Contents of the status fields";
 * fs/proc/array.c proc_pid_status, fs/proc/task_mmu.c task_mem).
 *
 *   VmRSS:	  112368 kB
 *
 * "Key:\tvalue" lines in any order; unknown keys (Utrace: on RHEL 6, untag_mask: on 6.x ...) are
 * ignored. Kernel threads print no Vm or Rss lines (task_mem needs an mm), so every memory field is
 * optional. Signal masks are 16 hex digits, 32 on MIPS (_NSIG 128): they are not interpreted.
 */

/** Kernel key -> property name for the "N kB" lines (task_mem). */
const SIZES = {
  VmPeak: 'vmPeakBytes',
  VmSize: 'vmSizeBytes',
  VmLck: 'vmLckBytes',
  VmPin: 'vmPinBytes', // 3.2+
  VmHWM: 'vmHwmBytes',
  VmRSS: 'vmRssBytes',
  RssAnon: 'rssAnonBytes', // 4.5+
  RssFile: 'rssFileBytes', // 4.5+
  RssShmem: 'rssShmemBytes', // 4.5+
  VmData: 'vmDataBytes',
  VmStk: 'vmStkBytes',
  VmExe: 'vmExeBytes',
  VmLib: 'vmLibBytes',
  VmPTE: 'vmPteBytes',
  VmPMD: 'vmPmdBytes', // 4.0-4.14 only
  VmSwap: 'vmSwapBytes', // 2.6.34+
  HugetlbPages: 'hugetlbPagesBytes', // 4.4+
} as const;

/** Kernel key -> property name for plain decimal lines. */
const COUNTS = {
  Tgid: 'tgid',
  Ngid: 'ngid', // 3.13+: NUMA group leader
  Pid: 'pid',
  PPid: 'ppid',
  TracerPid: 'tracerPid',
  FDSize: 'fdSize',
  Threads: 'threads',
  Seccomp: 'seccompMode', // 3.8+
  voluntary_ctxt_switches: 'voluntaryCtxtSwitches', // 2.6.23+
  nonvoluntary_ctxt_switches: 'nonvoluntaryCtxtSwitches',
} as const;

type SizeName = (typeof SIZES)[keyof typeof SIZES];
type CountName = (typeof COUNTS)[keyof typeof COUNTS];

export type PidStatus = { [K in SizeName]?: number } & { [K in Exclude<CountName, 'tgid' | 'pid' | 'ppid'>]?: number } & {
  /** "Name:": comm, unescaped (the kernel writes "\n" and "\\" as escapes here, unlike in stat). */
  name: string;
  /** "Umask:" (4.7+), octal. */
  umask?: number;
  /** "State:" letter, e.g. 'S'. */
  state: string;
  /** "State:" description in parentheses, e.g. 'sleeping'. */
  stateName?: string;
  tgid: number;
  pid: number;
  ppid: number;
  /** "Uid:": [real, effective, saved set, filesystem]. */
  uids: [number, number, number, number];
  /** "Gid:": [real, effective, saved set, filesystem]. */
  gids: [number, number, number, number];
  /** "Groups:": supplementary groups. */
  groups?: number[];
  /** "NStgid:" (4.1+): tgid in each pid namespace, outermost first. */
  nsTgid?: number[];
  /** "NSpid:" (4.1+) */
  nsPid?: number[];
  /** "Kthread:" (6.x): 1 for kernel threads. */
  kthread?: boolean;
  /** "CoreDumping:" (4.15+): the process is writing a core dump (its memory is about to go). */
  coreDumping?: boolean;
  /** "NoNewPrivs:" (4.10+) */
  noNewPrivs?: boolean;
  /** "THP_enabled:" (5.0+): false when prctl(PR_SET_THP_DISABLE) is in effect. */
  thpEnabled?: boolean;
  /** "SigQ:" queued signals for the real uid. */
  sigQueued?: number;
  /** "SigQ:" RLIMIT_SIGPENDING. */
  sigQueueLimit?: number;
  /** "Cpus_allowed_list:", e.g. '0-3,8'. */
  cpusAllowedList?: string;
  /** "Mems_allowed_list:" */
  memsAllowedList?: string;
  /** "CapEff:" effective capability set, hex as printed (64 bits: kept as text so samples stay JSON). */
  capEff?: string;
  /** "CapPrm:" permitted capability set, hex as printed. */
  capPrm?: string;
};

const SIZE_OF = SIZES as Record<string, SizeName | undefined>;
const COUNT_OF = COUNTS as Record<string, CountName | undefined>;

export function parsePidStatus(text: string, path = '/proc/[pid]/status'): PidStatus {
  const out: Record<string, unknown> = {};
  const int = (e: KvEntry, s: string): number => {
    if (!/^-?\d+$/.test(s)) throw new ParseError(path, e.lineNo, e.line, e.key, 'expected an integer');
    return Number(s);
  };
  const ints = (e: KvEntry): number[] => (e.value === '' ? [] : e.value.split(/\s+/).map((s) => int(e, s)));
  const quad = (e: KvEntry): [number, number, number, number] => {
    const v = ints(e);
    if (v.length !== 4) throw new ParseError(path, e.lineNo, e.line, e.key, 'expected 4 ids');
    return v as [number, number, number, number];
  };
  let first: KvEntry | undefined;
  for (const e of kvEntries(text, path)) {
    first ??= e;
    const size = SIZE_OF[e.key];
    if (size) {
      out[size] = parseSize(e, path);
      continue;
    }
    const count = COUNT_OF[e.key];
    if (count) {
      out[count] = int(e, e.value);
      continue;
    }
    switch (e.key) {
      case 'Name':
        out.name = unescapeName(nameValue(e.line));
        break;
      case 'Umask':
        if (!/^[0-7]+$/.test(e.value)) throw new ParseError(path, e.lineNo, e.line, e.key, 'expected octal');
        out.umask = Number.parseInt(e.value, 8);
        break;
      case 'State': {
        const m = /^(\S)(?:\s+\((.*)\))?$/.exec(e.value);
        if (!m) throw new ParseError(path, e.lineNo, e.line, e.key, 'expected "X (name)"');
        out.state = m[1];
        if (m[2] !== undefined) out.stateName = m[2];
        break;
      }
      case 'Uid':
        out.uids = quad(e);
        break;
      case 'Gid':
        out.gids = quad(e);
        break;
      case 'Groups':
        out.groups = ints(e);
        break;
      case 'NStgid':
        out.nsTgid = ints(e);
        break;
      case 'NSpid':
        out.nsPid = ints(e);
        break;
      case 'Kthread':
        out.kthread = int(e, e.value) !== 0;
        break;
      case 'CoreDumping':
        out.coreDumping = int(e, e.value) !== 0;
        break;
      case 'NoNewPrivs':
        out.noNewPrivs = int(e, e.value) !== 0;
        break;
      case 'THP_enabled':
        out.thpEnabled = int(e, e.value) !== 0;
        break;
      case 'SigQ': {
        const m = /^(\d+)\/(\d+)$/.exec(e.value);
        if (!m) throw new ParseError(path, e.lineNo, e.line, e.key, 'expected "queued/limit"');
        out.sigQueued = Number(m[1]);
        out.sigQueueLimit = Number(m[2]);
        break;
      }
      case 'Cpus_allowed_list':
        out.cpusAllowedList = e.value;
        break;
      case 'Mems_allowed_list':
        out.memsAllowedList = e.value;
        break;
      case 'CapEff':
      case 'CapPrm':
        if (!/^[0-9a-fA-F]{1,32}$/.test(e.value)) throw new ParseError(path, e.lineNo, e.line, e.key, 'expected hex');
        out[e.key === 'CapEff' ? 'capEff' : 'capPrm'] = e.value.toLowerCase();
        break;
      default:
    }
  }
  for (const [key, prop] of [
    ['Name', 'name'],
    ['State', 'state'],
    ['Tgid', 'tgid'],
    ['Pid', 'pid'],
    ['PPid', 'ppid'],
    ['Uid', 'uids'],
    ['Gid', 'gids'],
  ] as const) {
    if (out[prop] === undefined) throw new ParseError(path, first?.lineNo ?? 1, first?.line ?? '', key, 'missing');
  }
  return out as PidStatus;
}

/** The raw text after "Name:" and its separator: comm may end in spaces that kvEntries trims. */
function nameValue(line: string): string {
  const rest = line.slice(line.indexOf(':') + 1);
  return rest.startsWith('\t') ? rest.slice(1) : rest.trimStart();
}

/** Undo seq_escape ("\n" -> newline, "\\" -> backslash, octal "\ooo"). */
function unescapeName(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([0-7]{3}|.)/g, (_m, c: string) => {
    if (c.length === 3) return String.fromCharCode(Number.parseInt(c, 8));
    return ({ n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', e: '\x1b', '\\': '\\' } as Record<string, string>)[c] ?? c;
  });
}

export function readPidStatus(root: ProcRoot, pid: number): PidStatus {
  const rel = `${pid}/status`;
  return parsePidStatus(root.readProc(rel), root.procPath(rel));
}

/** Whether a capability set printed in status (e.g. "000001ffffffffff") holds capability `bit`. */
export function hasCapability(capHex: string, bit: number): boolean {
  return ((BigInt(`0x${capHex}`) >> BigInt(bit)) & 1n) === 1n;
}
