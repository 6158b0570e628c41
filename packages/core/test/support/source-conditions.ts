// Processes the tests start (the CLI, command agents, workers) resolve Baton's packages to their
// TypeScript sources, as the tests themselves do (the `batonjs-source` export condition).
const condition = '--conditions=batonjs-source';
const inherited = process.env['NODE_OPTIONS'] ?? '';
if (!inherited.includes(condition)) process.env['NODE_OPTIONS'] = `${inherited} ${condition}`.trim();
