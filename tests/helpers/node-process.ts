/** A `fedmed node` process for tests and benchmarks; its node id is read off its "joined" line. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/main.js');

export class NodeProcess {
  readonly child: ChildProcess;
  readonly output: string[] = [];
  readonly joined: Promise<bigint>;

  constructor(superlink: string, state: string, flags: readonly string[]) {
    this.child = spawn(process.execPath, [cli, 'node', '--superlink', superlink, '--state', state, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.joined = new Promise((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        this.output.push(...chunk.toString().split('\n').filter(Boolean));
        const id = this.output.join('\n').match(/as node (\d+)/)?.[1];
        if (id) resolve(BigInt(id));
      };
      this.child.stdout!.on('data', onData);
      this.child.stderr!.on('data', onData);
      this.child.on('exit', (code) => reject(new Error(`fedmed node exited (${code}) before joining:\n${this.output.join('\n')}`)));
    });
  }

  exited(): Promise<number | null> {
    return new Promise((resolve) => (this.child.exitCode !== null || this.child.signalCode !== null ? resolve(this.child.exitCode) : this.child.once('exit', (code) => resolve(code))));
  }
}
