// What the counting guests (e2e_counter, e2e_writer) print, one number a line, read back from a
// stream or `amber logs`, and the runs of numbers tests expect of them.

/** The counter lines of a stream ("5" or "NAME | 5"); with name, only that container's. */
export function numbers(text: string, name?: string): number[] {
  const re = name === undefined ? /^(?:[\w.-]+ \| )?(\d+)$/ : new RegExp(`^${name} \\| (\\d+)$`);
  return text.split('\n').flatMap((l) => {
    const m = re.exec(l);
    return m?.[1] !== undefined ? [Number(m[1])] : [];
  });
}

/** from, from+1, ..., to. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
