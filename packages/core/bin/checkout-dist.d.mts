/**
 * Why the built dist/ of the packages under `packagesDir` cannot stand for their sources, or
 * undefined when each package with a src/ has a dist/index.js written after everything under
 * that src/. Checkout-only (BATON_CHECKOUT_DIST=1).
 */
export function staleDist(packagesDir?: string): string | undefined;
