/** The library version (kept equal to package.json's by test/hardening/package.test.ts). */
export const VERSION = '0.1.0';
