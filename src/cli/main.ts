import type { CliCommand, CliIO } from './command.js';
import { clustersCommand } from './clusters-command.js';
import { crdCommand } from './crd-command.js';
import { demoCommand } from './demo-command.js';
import { generateCommand } from './generate-command.js';
import { rolloutCommand } from './rollout-command.js';
import { simCommand } from './sim-command.js';

const commands: CliCommand[] = [demoCommand, generateCommand, rolloutCommand, clustersCommand, crdCommand, simCommand];

function usage(): string {
  const lines = commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  return `Usage: regatta <command> [options]\n\nCommands:\n${lines.join('\n')}\n`;
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`regatta: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  return command.run(rest, io);
}

export type { CliIO };
