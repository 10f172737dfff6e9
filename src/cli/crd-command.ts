import YAML from 'yaml';
import { applicationSetCrd, rolloutBudgetCrd } from '../api/crd.js';
import type { CliCommand, CliIO } from './command.js';

const CRDS: Record<string, () => Record<string, unknown>> = { applicationset: applicationSetCrd, rolloutbudget: rolloutBudgetCrd };

export const crdCommand: CliCommand = {
  name: 'crd',
  summary: "print Regatta's ApplicationSet (or RolloutBudget) CustomResourceDefinition (kubectl apply -f -)",
  async run(args: string[], io: CliIO): Promise<number> {
    const crd = args.length === 0 ? applicationSetCrd : args.length === 1 && Object.hasOwn(CRDS, args[0]) ? CRDS[args[0]] : undefined;
    if (!crd) {
      io.stderr.write(`Usage: regatta crd [${Object.keys(CRDS).join('|')}]\n`);
      return 2;
    }
    io.stdout.write(YAML.stringify(crd(), { version: '1.1', lineWidth: 0 }));
    return 0;
  },
};
