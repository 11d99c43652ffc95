// The plain forms of `amber do`'s command line, read without commander, as a shell builtin skips getopt
// for its common case: `do [--dir D | --dir=D | --env K=V | --env=K=V]... [--] MODULE [ARGS...]`. Loading
// commander and building the whole command line (cli/program.ts) is ~10-20 ms of a start-up that node:wasi
// does in ~70; every other form (global options, help, one-dash forms, anything unknown) is commander's.
// What is read here is exactly what commander reads for the same line (test/do.test.ts compares them).

/** `amber do`'s operands and options. */
export interface PlainDo {
  module: string;
  args: string[];
  dir: string[];
  env: string[];
}

/** The `do` command line args (the arguments after node and the script) as commander reads it, or null
 *  when it is not one of the plain forms. */
export function plainDo(args: readonly string[]): PlainDo | null {
  if (args[0] !== 'do') return null;
  const dir: string[] = [];
  const env: string[] = [];
  let i = 1;
  for (;;) {
    const a = args[i];
    if (a === undefined) return null;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-')) break;
    const m = /^--(dir|env)(?:=([^]*))?$/.exec(a);
    if (m === null) return null;
    let value = m[2];
    if (value === undefined) {
      value = args[i + 1];
      // A value that looks like an option: commander's reading of it is left to commander.
      if (value === undefined || value.startsWith('-')) return null;
      i++;
    }
    (m[1] === 'dir' ? dir : env).push(value);
    i++;
  }
  const module = args[i];
  if (module === undefined || module === '') return null;
  return { module, args: args.slice(i + 1), dir, env };
}
