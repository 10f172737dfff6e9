import { writeFile } from 'node:fs/promises';
import YAML from 'yaml';
import { MANAGEMENT_CLUSTER, SimFleet } from '../sim/sim-fleet.js';
import { parseFlags } from '../lib/argv.js';
import type { CliCommand, CliIO } from './command.js';

const USAGE = `Usage: regatta sim [--clusters N] [--port PORT] [--http] [--kubeconfig-out FILE]

Runs a simulated fleet: a management cluster and N workload clusters (env/region labels), served
over HTTPS with a throwaway CA (--http for plain HTTP) on 127.0.0.1, until interrupted. Prints a kubeconfig for the management cluster (or writes it to
--kubeconfig-out), and one Argo CD cluster Secret per workload cluster to register them:

  regatta sim --clusters 3 --kubeconfig-out /tmp/sim.kubeconfig > /tmp/fleet-secrets.yaml
  KUBECONFIG=/tmp/sim.kubeconfig kubectl apply -f /tmp/fleet-secrets.yaml
  KUBECONFIG=/tmp/sim.kubeconfig npm start
`;

const ENVS = ['staging', 'production'];
const REGIONS = ['eu', 'us', 'ap'];

export const simCommand: CliCommand = {
  name: 'sim',
  summary: 'run a simulated Kubernetes fleet and print its kubeconfig',
  async run(args: string[], io: CliIO): Promise<number> {
    let flags;
    try {
      ({ flags } = parseFlags(args, [
        { name: 'clusters', kind: 'string' },
        { name: 'port', kind: 'string' },
        { name: 'kubeconfig-out', kind: 'string' },
        { name: 'http', kind: 'boolean' },
        { name: 'help', short: 'h', kind: 'boolean' },
      ]));
    } catch (error) {
      io.stderr.write(`regatta sim: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (flags.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const count = Number(flags.clusters ?? '3');
    const port = Number(flags.port ?? '0');
    if (!Number.isInteger(count) || count < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
      io.stderr.write(`regatta sim: --clusters and --port take whole numbers\n\n${USAGE}`);
      return 2;
    }
    const clusters = Array.from({ length: count }, (_, i) => {
      const env = ENVS[i % ENVS.length];
      const region = REGIONS[Math.floor(i / ENVS.length) % REGIONS.length];
      return { name: `${env}-${region}-${Math.floor(i / (ENVS.length * REGIONS.length)) + 1}`, labels: { env, region } };
    });
    const fleet = await SimFleet.start({ clusters, port, https: !flags.http });
    const kubeconfig = fleet.kubeconfig(MANAGEMENT_CLUSTER);
    const secrets = fleet
      .names()
      .map((name) => YAML.stringify(fleet.clusterSecret(name)))
      .join('---\n');
    if (flags['kubeconfig-out']) {
      await writeFile(flags['kubeconfig-out'] as string, kubeconfig, { mode: 0o600 });
      io.stderr.write(`regatta sim: ${count} workload clusters at ${fleet.url}; kubeconfig written to ${flags['kubeconfig-out']}\n`);
      io.stdout.write(secrets);
    } else {
      io.stdout.write(`${kubeconfig}---\n${secrets}`);
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await fleet.stop();
    return 0;
  },
};
