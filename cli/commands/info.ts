/** fedmed info: version, backends usable here, and what 'auto' picks. */
import { readFileSync } from 'node:fs';
import { autoReason, backendNames, BackendUnavailableError, setBackend } from '../../engine/index.js';
import type { Command } from '../command.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export const infoCommand: Command = {
  name: 'info',
  summary: 'version, the backends available here and the one auto picks',
  usage: 'usage: fedmed info [--json]',
  flags: { json: { type: 'boolean', help: 'print JSON' } },
  async run(flags) {
    const backends: Record<string, string> = {};
    for (const name of backendNames) {
      try {
        const b = await setBackend(name);
        backends[name] = b.describe();
      } catch (e) {
        if (!(e instanceof BackendUnavailableError)) throw e;
        backends[name] = `unavailable: ${e.message}`;
      }
    }
    const auto = await setBackend('auto');
    const info = { version: packageVersion(), node: process.version, backends, auto: auto.name, autoReason: autoReason() };
    if (flags.json) {
      console.log(JSON.stringify(info, null, 2));
      return;
    }
    console.log(`fedmed ${info.version} (Node ${info.node})`);
    console.log('backends:');
    for (const [name, what] of Object.entries(backends)) console.log(`  ${name.padEnd(7)}${what}`);
    console.log(`auto picks: ${info.auto}${info.autoReason ? ` (${info.autoReason})` : ''}`);
  },
};
