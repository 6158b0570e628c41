/**
 * report.pdf through headless Chromium (playwright-core), only when a Chromium binary is present:
 * the PDF is a bonus, so any problem means "no PDF", never a failed report.
 */
import { existsSync } from 'node:fs';

/** The Chromium to use: `BATON_CHROMIUM`, else Debian's /usr/bin/chromium. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidate = env['BATON_CHROMIUM'] || '/usr/bin/chromium';
  return existsSync(candidate) ? candidate : undefined;
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const wanted = (): boolean => process.env['BATON_REPORT_PDF'] !== '0';

/**
 * playwright-core (~250 ms to import), imported as this module loads when a PDF will be printed:
 * a server that loads the integrator ahead of its first run (`baton serve --warm`) has it ready.
 */
const playwright = chromiumPath() && wanted() ? import('playwright-core') : undefined;
playwright?.catch(() => undefined);

/** Prints `htmlFile` to `pdfFile`; returns false (and writes nothing) when Chromium is missing or fails. */
export async function printPdf(htmlFile: string, pdfFile: string, signal?: AbortSignal): Promise<boolean> {
  const executablePath = chromiumPath();
  if (!executablePath || !wanted()) return false;
  let browser: { close(): Promise<void> } | undefined;
  try {
    const { chromium } = await (playwright ?? import('playwright-core'));
    const b = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 20_000 });
    browser = b;
    signal?.throwIfAborted();
    const page = await b.newPage();
    await page.goto(`file://${htmlFile}`, { waitUntil: 'load', timeout: 20_000 });
    await page.pdf({ path: pdfFile, format: 'A4', printBackground: true, preferCSSPageSize: true });
    return true;
  } catch {
    return false;
  } finally {
    await browser?.close().catch(() => undefined);
  }
}
