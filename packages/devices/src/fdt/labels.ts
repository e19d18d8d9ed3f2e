/**
 * Phandle labels shared by the nodes of the `virt` tree. A node claims one with
 * `node.phandle(label)`; others refer to it with `w.phandle(label)`.
 */
export const FDT_LABEL_CPU0 = 'cpu0';
/** The hart's local interrupt controller (`riscv,cpu-intc`). */
export const FDT_LABEL_CPU0_INTC = 'cpu0-intc';
/** The PLIC: the `interrupt-parent` of every wired device. */
export const FDT_LABEL_PLIC = 'plic';
/** The sifive test / syscon node, the `regmap` of /poweroff and /reboot. */
export const FDT_LABEL_SYSCON = 'syscon';
