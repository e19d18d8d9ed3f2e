// The Device interface and helpers.
export {
  DEVICE_SPECIFICATION_VERSION,
  DeviceStateError,
  expectState,
  u64ToState,
  u64FromState,
  lo32,
  hi32,
  sized,
} from './device.js';
export type { AccessSize, MmioRange, DeviceState, IrqSource, Device, U64 } from './device.js';

// Ports: where the outside world enters.
export type {
  ConsoleInputPort,
  ConsoleOutputSink,
  ClockPort,
  EntropyPort,
  PacketPort,
  PowerRequest,
  PowerControl,
  GuestMemory,
  VirtualClock,
  HostPorts,
} from './ports.js';

// Device tree.
export {
  FdtWriter,
  FdtNode,
  FdtError,
  u64Cells,
  FDT_MAGIC,
  FDT_VERSION,
  FDT_LAST_COMP_VERSION,
  FDT_BEGIN_NODE,
  FDT_END_NODE,
  FDT_PROP,
  FDT_NOP,
  FDT_END,
  FDT_HEADER_SIZE,
} from './fdt/fdt-writer.js';
export type { FdtReservation, FdtFinishOptions } from './fdt/fdt-writer.js';
export { parseFdt, fdtFind, fdtCells, fdtStrings } from './fdt/fdt-reader.js';
export type { ParsedFdt, ParsedFdtNode } from './fdt/fdt-reader.js';
export { FDT_LABEL_CPU0, FDT_LABEL_CPU0_INTC, FDT_LABEL_PLIC, FDT_LABEL_SYSCON } from './fdt/labels.js';
export { buildVirtFdt, writeVirtTree } from './fdt/virt-fdt.js';
export type { VirtFdtOptions } from './fdt/virt-fdt.js';

// The virt board: memory map, placements, virtio slots, build order, board config.
export {
  VIRT_TEST_BASE,
  VIRT_RTC_BASE,
  VIRT_CLINT_BASE,
  VIRT_PLIC_BASE,
  VIRT_UART0_BASE,
  VIRT_VIRTIO_BASE,
  VIRT_VIRTIO_STRIDE,
  VIRT_VIRTIO_COUNT,
  VIRT_DRAM_BASE,
  VIRT_UART0_IRQ,
  VIRT_RTC_IRQ,
  VIRT_VIRTIO_IRQ,
  VIRT_TIMEBASE_HZ,
  virtioSlotBase,
  virtioSlotIrq,
  VIRT_PLUGIN_AREA,
  VIRT_PLACEMENTS,
  VIRT_VIRTIO_SLOTS,
  virtBuildOrder,
  BOARD_CONFIG_VERSION,
  DEFAULT_CMDLINE,
  DEFAULT_RAM_SIZE,
  boardConfigSchema,
  deviceConfigSchema,
  defaultBoardConfig,
} from './virt/virt-board.js';
export type { BoardConfig, DefaultBoardOptions } from './virt/virt-board.js';

// Device models.
export { Clint, CLINT_MSIP, CLINT_MTIMECMP, CLINT_MTIME, CLINT_SIZE, CLINT_DEFAULT_BASE } from './clint.js';
export type { ClintOptions, ClintState } from './clint.js';
export {
  Plic,
  PLIC_PRIORITY_BASE,
  PLIC_PENDING_BASE,
  PLIC_ENABLE_BASE,
  PLIC_ENABLE_STRIDE,
  PLIC_CONTEXT_BASE,
  PLIC_CONTEXT_STRIDE,
  PLIC_THRESHOLD,
  PLIC_CLAIM_COMPLETE,
  PLIC_SIZE,
  PLIC_DEFAULT_BASE,
  PLIC_NUM_SOURCES,
  PLIC_PRIORITY_MASK,
  PLIC_CONTEXTS,
} from './plic.js';
export type { PlicOptions, PlicState, PlicContextState } from './plic.js';
export {
  Uart16550a,
  UART_RBR,
  UART_THR,
  UART_DLL,
  UART_IER,
  UART_DLM,
  UART_IIR,
  UART_FCR,
  UART_LCR,
  UART_MCR,
  UART_LSR,
  UART_MSR,
  UART_SCR,
  UART_FIFO_SIZE,
  UART_DEFAULT_BASE,
  UART_SIZE,
  UART_CLOCK_HZ,
} from './uart-16550a.js';
export type { Uart16550aOptions, Uart16550aState } from './uart-16550a.js';
export { GoldfishRtc, RTC_DEFAULT_BASE, RTC_SIZE } from './goldfish-rtc.js';
export type { GoldfishRtcOptions, GoldfishRtcState } from './goldfish-rtc.js';
export { SifiveTest, SIFIVE_TEST_PASS, SIFIVE_TEST_FAIL, SIFIVE_TEST_RESET, SIFIVE_TEST_DEFAULT_BASE, SIFIVE_TEST_SIZE } from './sifive-test.js';
export type { SifiveTestOptions, SifiveTestState } from './sifive-test.js';

// Virtio.
export {
  VirtioMmioTransport,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_VENDOR,
  VIRTIO_MMIO_DEFAULT_BASE,
  VIRTIO_MMIO_STRIDE,
  VIRTIO_MMIO_SIZE,
  VIRTIO_MMIO_SLOTS,
  VIRTIO_MMIO_FIRST_IRQ,
  VIRTIO_MMIO_EMPTY_KIND,
  VIRTIO_STATUS_ACKNOWLEDGE,
  VIRTIO_STATUS_DRIVER,
  VIRTIO_STATUS_DRIVER_OK,
  VIRTIO_STATUS_FEATURES_OK,
  VIRTIO_STATUS_DEVICE_NEEDS_RESET,
  VIRTIO_STATUS_FAILED,
} from './virtio/virtio-mmio-transport.js';
export type { VirtioMmioTransportOptions, VirtioMmioState } from './virtio/virtio-mmio-transport.js';
export {
  featureBit,
  VIRTIO_ID_NET,
  VIRTIO_ID_BLOCK,
  VIRTIO_ID_CONSOLE,
  VIRTIO_ID_RNG,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_VERSION_1,
} from './virtio/virtio-device-model.js';
export type { VirtioDeviceModel, VirtioQueueContext } from './virtio/virtio-device-model.js';
export { Virtqueue, VirtqueueError, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_DESC_F_INDIRECT, VIRTQ_AVAIL_F_NO_INTERRUPT } from './virtio/virtqueue.js';
export type { VirtqBuffer, VirtqChain, VirtqueueState } from './virtio/virtqueue.js';
export { VirtioBlock, VIRTIO_BLK_SECTOR_SIZE } from './virtio/virtio-block.js';
export type { VirtioBlockOptions, VirtioBlockState } from './virtio/virtio-block.js';
export { VirtioNet, VIRTIO_NET_HDR_SIZE, VIRTIO_NET_DEFAULT_MAC, parseMac } from './virtio/virtio-net.js';
export type { VirtioNetOptions, VirtioNetState } from './virtio/virtio-net.js';
export { VirtioRng } from './virtio/virtio-rng.js';
export type { VirtioRngOptions, VirtioRngState } from './virtio/virtio-rng.js';
export { CowDisk } from './disk/cow-disk.js';
export type { CowDiskOptions, CowDiskState, CowBlock, CowBlockSize } from './disk/cow-disk.js';

// Registry of device kinds: the built-in ones, and device plugins (the one way to add your own).
export { DeviceRegistry, DeviceConfigError, createDeviceRegistry, builtinDeviceKinds } from './registry.js';
export type { DeviceConfig, DeviceContext, HartIrqName } from './registry.js';
export { DEVICE_PLUGIN_CONTRACT, DevicePluginError, DeviceModuleError, checkDevicePlugin, parseSettingValue, describeDevicePlugin, noteDevicePluginModule, thrownMessage } from './device-plugin.js';
export { callDeviceModule, plainDataProblem } from './plugin-device-guard.js';
export type { DevicePlugin, DeviceSettings, DevicePortDeclaration, PluginDeviceOptions } from './device-plugin.js';
export { loadDevicePlugin, loadDevicePluginCopy, checkDeviceModuleFile } from './host/device-plugin-loader.js';
export type { DeviceModuleRef, LoadedDevicePlugin } from './host/device-plugin-loader.js';
