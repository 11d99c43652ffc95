// The command's own log, runc's --log/--log-format and runsc's --debug-log: one line per event in a host
// file, as text or as JSON lines ({"level","msg","time"}, the form containerd's runc shim reads back to
// report why a runc call failed). --log-level (or --debug) chooses what reaches it; an error always does.
import { appendFileSync } from 'node:fs';
import { AmberError, messageOf } from '../base/error.js';
import { UsageError } from './errors.js';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number];

export interface LogOptions {
  /** --log or --debug-log. */
  file?: string;
  /** --log-format: text (default) or json. */
  format?: string;
  /** --log-level (default info); --debug means debug. */
  level?: string;
  debug?: boolean;
}

/** A log that writes nothing, for a command given no --log. */
export interface CommandLog {
  readonly level: LogLevel;
  write(level: LogLevel, msg: string): void;
}

function levelOf(s: string | undefined, debug: boolean | undefined): LogLevel {
  if (debug === true) return 'debug';
  if (s === undefined) return 'info';
  const l = s.toLowerCase() === 'warning' ? 'warn' : s.toLowerCase();
  if (!(LEVELS as readonly string[]).includes(l)) throw new UsageError(`--log-level ${s}: expected debug, info, warn or error`);
  return l as LogLevel;
}

export function openLog(opts: LogOptions): CommandLog {
  const level = levelOf(opts.level, opts.debug);
  const format = opts.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--log-format ${format}: expected text or json`);
  const file = opts.file;
  if (file === undefined || file === '') return { level, write: () => {} };
  const min = LEVELS.indexOf(level);
  return {
    level,
    write: (l, msg) => {
      if (LEVELS.indexOf(l) < min) return;
      const time = new Date().toISOString();
      const line = format === 'json' ? JSON.stringify({ level: l, msg, time }) : `${time} amber[${process.pid}] ${l}: ${msg}`;
      try {
        appendFileSync(file, line + '\n');
      } catch (e) {
        throw new AmberError(`--log ${file}: ${messageOf(e)}`);
      }
    },
  };
}
