import { spawn, type ChildProcess } from 'node:child_process';

/** Checks once a second; after SIGTERM the child gets 5 s before SIGKILL. */
const WATCH = `while kill -0 "$2" 2>/dev/null; do
  if ! kill -0 "$1" 2>/dev/null; then kill -TERM "$2" 2>/dev/null; sleep 5; kill -KILL "$2" 2>/dev/null; exit 0; fi
  sleep 1
done`;

/**
 * Ends `child` when this process is gone, however this process ends: SIGKILL (a killed bench, a
 * killed test worker) runs no exit handler, so a detached shell watches both and stops the child.
 */
export function endWithThisProcess(child: ChildProcess): void {
  if (child.pid === undefined) return;
  spawn('/bin/sh', ['-c', WATCH, 'regatta-reaper', String(process.pid), String(child.pid)], { detached: true, stdio: 'ignore' }).unref();
}
