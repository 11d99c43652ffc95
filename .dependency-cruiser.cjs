// Amber's layer rules (DESIGN.md §2), checked by `npm run depcheck` as part of `npm test`.
//
// Layers are folders under src/, lowest first. A layer imports only itself and the layers below it;
// src/index.ts sits on top and may import anything but src/cli. Nothing below src/host imports a Node
// builtin, so the kernel runs in a browser or a worker as it is. Test helpers live in testing/ folders
// (never built into dist/) and only tests, bench/ and other helpers import them; nothing imports a test.
//
// DO NOT RELAX these rules. A stricter rule may arrive with a shrinking list of named exceptions; a looser
// rule may not. If a rule fires, the import is in the wrong place: move the code, or pass the dependency in
// through an interface that a higher layer implements.

/** The layers of DESIGN.md §2, lowest first. Do not reorder. */
const LAYERS = [
  'abi',
  'base',
  'state',
  'vfs',
  'fsimpl',
  'kernel',
  'wasi',
  'transform',
  'image',
  'runtime',
  'host',
  'sandbox',
  'client',
  'cli',
];

const TEST = '\\.test\\.ts$';
/** A test helper: a file under a testing/ folder (src/wasi/testing/testkit.ts). Never shipped. */
const TESTING = '^(src|test|bench)/(|.*/)testing/';

/** `^src/(a|b|c)/`: a path in any of the given layers. */
function inLayers(layers) {
  return `^src/(${layers.join('|')})/`;
}

// One rule per layer: a (non-test) file of layer i imports from src/ only layers 0..i.
// Importing src/index.ts, or any src/ file outside a layer folder, is forbidden too.
// DO NOT RELAX.
const layerRules = LAYERS.map((layer, i) => ({
  name: `layer-${layer}`,
  comment:
    `src/${layer} may import only src/{${LAYERS.slice(0, i + 1).join(',')}} ` +
    '(DESIGN.md §2: a layer imports only itself and layers below it). Do not relax.',
  severity: 'error',
  from: { path: `^src/${layer}/`, pathNot: TEST },
  to: { path: '^src/', pathNot: inLayers(LAYERS.slice(0, i + 1)) },
}));

// Tests beside the code (src/<layer>/**/*.test.ts) may also reach src/host for its Node adapters.
// DO NOT RELAX.
const testLayerRules = LAYERS.map((layer, i) => {
  const allowed = [...new Set([...LAYERS.slice(0, i + 1), 'host'])];
  return {
    name: `layer-${layer}-tests`,
    comment:
      `tests in src/${layer} may import only src/{${allowed.join(',')}} ` +
      '(their own layer, the layers below, and host adapters). Do not relax.',
    severity: 'error',
    from: { path: `^src/${layer}/.*${TEST}` },
    to: { path: '^src/', pathNot: inLayers(allowed) },
  };
});

module.exports = {
  forbidden: [
    // DO NOT RELAX: a cycle makes the layers meaningless and the load order fragile. A cycle that
    // closes only through `import type` is erased at compile time (a Mount names its Dentry type and
    // the reverse), so it does not count.
    {
      name: 'no-circular',
      comment: 'No circular runtime dependencies, within a layer or across layers. Do not relax.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },

    ...layerRules,
    ...testLayerRules,

    // DO NOT RELAX: only the Node adapters (src/host), the sandbox process (src/sandbox), the client
    // (src/client), the command (src/cli) and the package entry (src/index.ts) may touch Node. Tests and
    // testing/ helpers are never shipped; bench/ and scripts/ are outside src/.
    {
      name: 'no-node-builtins-below-host',
      comment:
        'Only src/host, src/sandbox, src/client, src/cli, src/index.ts, tests and testing/ helpers may ' +
        'import Node builtins (node:*); the layers below host must run in a browser or a worker as they ' +
        'are. Do not relax.',
      severity: 'error',
      from: { path: '^src/', pathNot: [`^src/(host|sandbox|client|cli)/`, '^src/index\\.ts$', TEST, TESTING] },
      to: { dependencyTypes: ['core'] },
    },

    // DO NOT RELAX: fsimpl/x never imports fsimpl/y (overlay gets its layers as filesystems, DESIGN.md §2).
    // Tests may compose filesystems (an overlay test stacking tmpfs layers), so they are exempt.
    {
      name: 'fsimpl-independent',
      comment:
        'src/fsimpl/X never imports src/fsimpl/Y: a filesystem gets other filesystems passed in. Do not relax.',
      severity: 'error',
      from: { path: '^src/fsimpl/([^/]+)/', pathNot: TEST },
      to: { path: '^src/fsimpl/[^/]+/', pathNot: '^src/fsimpl/$1/' },
    },

    // DO NOT RELAX: shipped code never reaches into tests, benchmarks or scripts.
    {
      name: 'src-not-to-outside',
      comment: 'Code under src/ never imports test/, bench/ or scripts/. Do not relax.',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST },
      to: { path: '^(test|bench|scripts)/' },
    },

    // DO NOT RELAX: a test file is an entry point of the test runner, never a module to import; shared
    // test code goes in a testing/ helper (a *.test.ts imported elsewhere runs its tests twice, or,
    // holding none, runs as an empty test file).
    {
      name: 'no-import-of-tests',
      comment: 'Nothing imports a *.test.ts file; shared test code lives in a testing/ helper. Do not relax.',
      severity: 'error',
      from: {},
      to: { path: TEST },
    },

    // DO NOT RELAX: testing/ helpers are not built into dist/ (tsconfig.json excludes them), so shipped
    // code that imports one breaks the package; only test code may.
    {
      name: 'testing-only-from-tests',
      comment:
        'Only tests (*.test.ts), bench/ and other testing/ helpers import a testing/ folder; testing/ is ' +
        'never shipped. Do not relax.',
      severity: 'error',
      from: { pathNot: [TEST, '^bench/', TESTING] },
      to: { path: TESTING },
    },

    // DO NOT RELAX: the library (src/index.ts, src/client) returns results and throws typed errors; the
    // command (src/cli) parses arguments, prints and exits. The library never reaches into the command.
    {
      name: 'api-not-to-cli',
      comment:
        'src/index.ts and src/client never import src/cli (the command is built on the library, not the ' +
        'reverse). Do not relax.',
      severity: 'error',
      from: { path: ['^src/index\\.ts$', '^src/client/'] },
      to: { path: '^src/cli/' },
    },

    // DO NOT RELAX: `npm install --omit=dev` must give a working package.
    {
      name: 'src-not-to-dev-dep',
      comment: 'Code under src/ (tests aside) imports only "dependencies", never "devDependencies". Do not relax.',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },

    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve to a file or a package. Do not relax.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],

  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    // Type-only imports count: a type from a higher layer is still a dependency on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.test.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'types', 'default'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
