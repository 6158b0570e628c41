import fc from 'fast-check';

// CI runs every property with a fixed seed, so a red build is reproducible and never depends on
// luck; locally each run draws a new seed (printed on failure) and keeps finding new cases.
// BATON_FUZZ_SEED pins one anywhere.
const pinnedSeed = process.env['BATON_FUZZ_SEED'] ?? (process.env['CI'] ? '20261125' : undefined);
if (pinnedSeed !== undefined) fc.configureGlobal({ seed: Number(pinnedSeed) });
