import type { ProcRoot } from '../fs/proc-root.js';
import { ParseError } from '../fs/errors.js';
import { numberedLines } from './lines.js';

/**
 * /proc/modules (kernel/module/procfs.c m_show): one loaded module per line.
 *
 *   virtio_balloon 28672 0 - Live 0xffffffffc0a1b000
 *
 * Fields: name, size in bytes (core + init text/data, the memory the module occupies), reference
 * count ("-" when the module cannot be unloaded), dependents ("a,b," or "-"), state
 * (Live/Loading/Unloading), load address (0x0000000000000000 under kptr_restrict), then optional
 * taint flags such as "(OE)". Absent on kernels built without CONFIG_MODULES (everything built in):
 * then /sys/module and /sys/bus/<bus>/drivers are the only way to see a driver.
 */
export interface ModuleEntry {
  name: string;
  sizeBytes: number;
  /** undefined when printed as "-" (module without an unload path). */
  refcount?: number;
  usedBy: string[];
  state: string;
  address?: string;
  taints?: string;
}

export function parseModules(text: string, path = '/proc/modules'): ModuleEntry[] {
  return numberedLines(text).map(({ line, lineNo }) => {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) throw new ParseError(path, lineNo, line, 'module', 'expected name size refcount deps state');
    const [name, size, ref, deps, state, address, ...rest] = f;
    if (!/^\d+$/.test(size)) throw new ParseError(path, lineNo, line, 'size');
    if (!/^(\d+|-)$/.test(ref)) throw new ParseError(path, lineNo, line, 'refcount');
    if (!/^(Live|Loading|Unloading)$/.test(state)) throw new ParseError(path, lineNo, line, 'state');
    if (address !== undefined && !/^0x[0-9a-f]+$/i.test(address)) throw new ParseError(path, lineNo, line, 'address');
    return {
      name,
      sizeBytes: Number(size),
      refcount: ref === '-' ? undefined : Number(ref),
      usedBy: deps === '-' ? [] : deps.split(',').filter(Boolean),
      state,
      address,
      taints: rest.length > 0 ? rest.join(' ') : undefined,
    };
  });
}

export function readModules(root: ProcRoot): ModuleEntry[] {
  return parseModules(root.readProc('modules'), root.procPath('modules'));
}
