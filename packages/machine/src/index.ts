export { VirtMachine, KERNEL_OFFSET } from './virt-machine.js';
export type { MachineImages, MachinePorts, RunResult } from './virt-machine.js';
export { defaultBoardConfig, BOARD_CONFIG_VERSION, DEFAULT_CMDLINE, DEFAULT_RAM_SIZE } from './board-config.js';
export type { BoardConfig, DefaultBoardOptions } from './board-config.js';
export { VirtualTime } from './virtual-time.js';
export { MmioBus } from './mmio-bus.js';
export { loadGuestImages, checkRiscvLinuxImage, GuestImageError, sha256 } from './guest-images.js';
export type { GuestImage, GuestImageSet } from './guest-images.js';
export { ScriptInput } from './script-input.js';
