import { describe, expect, it } from 'vitest';
import { installHint } from '../../src/core/optional.ts';

describe('the hint for a missing optional package', () => {
  it('says to install it in the project for a project-local or npx baton', () => {
    for (const root of ['/home/ann/app/node_modules/batonjs', '/home/ann/.npm/_npx/1f2e/node_modules/batonjs/', '/work/main/packages/core/']) {
      expect(installHint('batonjs-server', root)).toBe('install it next to batonjs (npm install batonjs-server)');
    }
  });

  it('says to install it globally, or both in the project, for a global baton', () => {
    for (const root of ['/usr/local/lib/node_modules/batonjs', '/home/ann/.nvm/versions/node/v24.1.0/lib/node_modules/batonjs/', 'C:\\Users\\ann\\AppData\\Roaming\\npm\\node_modules\\batonjs']) {
      const hint = installHint('batonjs-llm', root);
      expect(hint).toContain(`this baton is installed globally (${root})`);
      expect(hint).toContain('npm install -g batonjs-llm');
      expect(hint).toContain('npm install batonjs batonjs-llm');
    }
  });
});
