// What this host says of itself for a checkpoint image's annotations (runtime/annotations.ts), as Podman
// records its version, runtime.GOARCH and uname -r: Amber's version from its package.json, the CPU
// architecture in Go's names, the kernel release.
import { readFileSync } from 'node:fs';
import { arch, release } from 'node:os';
import type { HostFacts } from '../runtime/annotations.js';

/** Node's process.arch as Go's GOARCH names it. */
const GOARCH: Readonly<Record<string, string>> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** Amber's version: package.json's, two folders above this file in src/ and in dist/ alike. */
export function amberVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function hostFacts(): HostFacts {
  return { version: amberVersion(), arch: GOARCH[arch()] ?? arch(), kernel: release() };
}
