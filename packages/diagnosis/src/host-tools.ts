/** The host tools the diagnosis tests use; see @prnr/test-env/host-tools for what a missing one does. */
import { answers, hostTool } from '@prnr/test-env/host-tools';

export const pahole = hostTool('pahole', 'apt-get install dwarves', answers('pahole'));
export const riscvGcc = hostTool('riscv64-linux-gnu-gcc', 'apt-get install gcc-riscv64-linux-gnu', answers('riscv64-linux-gnu-gcc'));
