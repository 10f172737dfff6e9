import YAML from 'yaml';
import { applicationSetCrd } from '../api/crd.js';
import type { CliCommand, CliIO } from './command.js';

export const crdCommand: CliCommand = {
  name: 'crd',
  summary: "print Regatta's ApplicationSet CustomResourceDefinition (kubectl apply -f -)",
  async run(args: string[], io: CliIO): Promise<number> {
    if (args.length) {
      io.stderr.write('Usage: regatta crd\n');
      return 2;
    }
    io.stdout.write(YAML.stringify(applicationSetCrd(), { version: '1.1', lineWidth: 0 }));
    return 0;
  },
};
