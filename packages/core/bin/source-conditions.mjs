// A module resolution hook for checkouts of the Baton repository: Baton's packages resolve to their
// TypeScript sources (the `batonjs-source` export condition) instead of their compiled dist/.
export async function resolve(specifier, context, next) {
  if (context.conditions.includes('batonjs-source')) return next(specifier, context);
  return next(specifier, { ...context, conditions: [...context.conditions, 'batonjs-source'] });
}
