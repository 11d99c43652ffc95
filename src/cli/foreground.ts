// Pods and programs run attached to this terminal (`pod run`, `run --bundle` and `restore` without
// --detach, and `do`): their streams, their trap lines, and the exit code the contract gives them
// (DESIGN.md §1: a pod's is 0 when every container exited 0, else the first failing one's).
import type { ContainerEnd, PodStdio, ProgramEnd } from '../client/index.js';
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { AsyncHostInput, HostFdStream } from '../host/stdio.js';
import { NullStream, PrefixedStream } from '../host/streams.js';

/**
 * The host streams of a pod whose output goes to this terminal. A Kubernetes pod's lines are labelled
 * "NAME | " (always: a restored pod's output stays attributable whatever else was printed before the
 * checkpoint); an OCI bundle's one container writes raw, as under runc. A single container reads this
 * process's stdin.
 */
export function terminalStdio(spec: Pick<PodSpec, 'format' | 'containers'>): { stdio: PodStdio; close(): void } {
  const label = spec.format === 'pod';
  const single = spec.containers.length === 1;
  const streams: Array<{ close(): void }> = [];
  return {
    stdio: (name) => {
      let stdin: HostStream = new NullStream();
      if (single) {
        const input = new AsyncHostInput();
        streams.push(input);
        stdin = input;
      }
      if (!label) return [stdin, new HostFdStream(1), new HostFdStream(2)];
      const out = new PrefixedStream(1, `${name} | `);
      const err = new PrefixedStream(2, `${name} | `);
      streams.push(out, err);
      return [stdin, out, err];
    },
    close: () => streams.forEach((s) => s.close()),
  };
}

/** This process's own stdio, for `amber do`. */
export function processStdio(): readonly [HostStream, HostStream, HostStream] {
  return [new HostFdStream(0), new HostFdStream(1), new HostFdStream(2)];
}

/** Prints each trap and returns the pod's exit code. */
export function podExit(ends: readonly ContainerEnd[]): number {
  for (const e of ends) if (e.trap !== undefined) process.stderr.write(`amber: container ${e.name}: ${e.trap}\n`);
  return ends.find((e) => e.exitCode !== 0)?.exitCode ?? 0;
}

/** A program's exit code; a trap is one line and 134. */
export function programExit(module: string, end: ProgramEnd): number {
  if (end.kind === 'exit') return end.code;
  process.stderr.write(`amber: ${module}: ${end.message}\n`);
  return 134;
}

export function printWarnings(spec: PodSpec): void {
  for (const w of spec.warnings) process.stderr.write(`amber: warning: ${spec.file}: ${w}\n`);
}
