// Processes the tests start (the CLI, command agents, workers) resolve Baton's packages to their
// TypeScript sources, as the tests themselves do (the `batonjs-source` export condition), unless
// BATON_CHECKOUT_DIST=1 (set by `npm test`, which builds dist/ first) has them run the built dist/:
// one copy of each package per process either way.
const condition = '--conditions=batonjs-source';
const inherited = process.env['NODE_OPTIONS'] ?? '';
if (process.env['BATON_CHECKOUT_DIST'] !== '1' && !inherited.includes(condition)) process.env['NODE_OPTIONS'] = `${inherited} ${condition}`.trim();
