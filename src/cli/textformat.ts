// The text renderings the inspection verbs share (`amber inspect`, `amber diff`): sizes in binary units
// as ls -h and checkpointctl print them, and rows as columns padded to their widest cell, as
// checkpointctl's and kubectl's tables are.

/** "512 B", "1.5 KiB", "3.0 MiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u] as string}`;
}

/** Rows as columns padded to their widest cell; the last column is not padded. */
export function table(rows: string[][], indent = '  '): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd() + '\n').join('');
}
