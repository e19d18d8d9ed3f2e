export { VirtMachine, KERNEL_OFFSET, MACHINE_META_VERSION } from './virt-machine.js';
export type { MachineImages, MachinePorts, RunResult, MachineMeta } from './virt-machine.js';
// The board config lives with the rest of the virt board in @prnr/devices (virt/virt-board.ts).
export { defaultBoardConfig, boardConfigSchema, BOARD_CONFIG_VERSION, DEFAULT_CMDLINE, DEFAULT_RAM_SIZE } from '@prnr/devices';
export type { BoardConfig, DefaultBoardOptions } from '@prnr/devices';
export { VirtualTime } from './virtual-time.js';
export { MmioBus } from './mmio-bus.js';
export { loadGuestImages, checkRiscvLinuxImage, GuestImageError, sha256 } from './guest-images.js';
export type { GuestImage, GuestImageSet, LoadGuestImagesOptions } from './guest-images.js';
export { ScriptInput } from './script-input.js';
export { guestBoard } from './guest-board.js';
export { BoardConfigError, MAX_RAM_MIB } from './board-config-error.js';
export type { GuestBoardOptions } from './guest-board.js';
export { pluginPortSlots, pluginDevicePorts, hostPluginPorts } from './plugin-ports.js';
export type { PluginPortSlot } from './plugin-ports.js';
