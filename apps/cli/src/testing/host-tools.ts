/** The host tools the CLI's tests use; see @prnr/test-env/host-tools for what a missing one does. */
import { answers, hostTool } from '@prnr/test-env/host-tools';

export const redis = hostTool('redis-server', 'apt-get install redis-server', answers('redis-server'));
export const gdbMultiarch = hostTool('gdb-multiarch', 'apt-get install gdb-multiarch', answers('gdb-multiarch'));
export const riscvGcc = hostTool('riscv64-linux-gnu-gcc', 'apt-get install gcc-riscv64-linux-gnu', answers('riscv64-linux-gnu-gcc'));
