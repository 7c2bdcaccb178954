// One test per scenario folder under scenarios/: a new RFC rule or keepalived quirk is a new
// folder, not new test code.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenario, runScenario } from './runner.js';

const scenariosDir = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');
const names = readdirSync(scenariosDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe('conformance', () => {
  it('has scenarios', () => {
    expect(names.length).toBeGreaterThan(10);
  });
  for (const name of names) {
    const sc = loadScenario(scenariosDir, name);
    it(`${name}: ${sc.setup.description}`, () => {
      expect(runScenario(sc)).toEqual(sc.expected);
    });
  }
});
