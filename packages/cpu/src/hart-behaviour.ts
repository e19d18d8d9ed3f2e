/**
 * The hart's behaviour version. It goes up whenever something a guest can observe of the hart
 * changes (a value an instruction writes to a register, hence possibly to memory), so that a
 * recording made before the change still replays as it ran: a board config keeps the version its
 * machine was built with (`hartVersion`), and the hart runs it (HartOptions.behaviourVersion).
 * A build runs every version from 1 to HART_BEHAVIOUR_VERSION.
 *
 *   1  sstatus reads show SXL = 2 in bits 35:34, as mstatus does.
 *   2  sstatus bits 35:34 read 0: they are WPRI in sstatus, SXL is only in mstatus (privileged
 *      spec v1.12, 4.1.1), as on QEMU. Linux saves sstatus in pt_regs on every trap, so guest
 *      memory differs from version 1 from the first trap on.
 */
export const HART_BEHAVIOUR_VERSION = 2;

/** Whether this build runs behaviour version `v` (an integer from 1 to HART_BEHAVIOUR_VERSION). */
export function isHartBehaviourVersion(v: number): boolean {
  return Number.isInteger(v) && v >= 1 && v <= HART_BEHAVIOUR_VERSION;
}
