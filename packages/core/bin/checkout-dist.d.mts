/** This checkout's packages/ folder. */
export const CHECKOUT_PACKAGES: string;
/** See checkout-dist.mjs. */
export function staleDist(packagesDir?: string): string | undefined;
