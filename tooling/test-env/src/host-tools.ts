/**
 * Host tools the tests use (qemu, dtc, redis-server, chromium, gdb-multiarch,
 * ...). Where one is missing, the tests that need it are skipped with the
 * reason printed, except under CI=true, where they fail saying what to
 * install: a CI machine must run them all (tooling/test-env/install-host-tools.sh
 * installs every one). Each package names its own tools with `hostTool`.
 */
import { spawnSync } from 'node:child_process';

export interface HostTool {
  readonly name: string;
  readonly found: boolean;
  /** Skip the tests that need it: missing, and not on CI. The first read prints why. */
  readonly skip: boolean;
  /** Found: "<name> found"; missing: what is missing and how to install it. */
  readonly status: string;
  /** Throws `status` when the tool is missing: the first line of every test that needs it. */
  require(): void;
}

export const onCi = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

/** A probe: `command --version` runs and exits 0. */
export const answers = (command: string) => (): boolean => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;

/** `name`, found when `probe` (run on first use) says so; `install`: how to install it. */
export function hostTool(name: string, install: string, probe: () => boolean): HostTool {
  let found: boolean | undefined;
  let warned = false;
  const tool: HostTool = {
    name,
    get found() {
      return (found ??= probe());
    },
    get status() {
      return tool.found ? `${name} found` : `${name} is not installed (${install}; tooling/test-env/install-host-tools.sh installs it)`;
    },
    get skip() {
      const skip = !tool.found && !onCi;
      if (skip && !warned) console.warn(`SKIPPED the tests that need ${name}: ${tool.status}`);
      warned = true;
      return skip;
    },
    require() {
      if (!tool.found) throw new Error(`${tool.status}${onCi ? ': on CI (CI=true) the tests that need it fail instead of skipping' : ''}`);
    },
  };
  return tool;
}
