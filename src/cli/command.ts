export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** One `regatta` subcommand. `run` returns the exit code: 0 success, 1 failure, 2 usage error. */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  run(args: string[], io: CliIO): Promise<number>;
}
