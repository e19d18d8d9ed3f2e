/**
 * What happens to a machine at every slice boundary, in the recording and in
 * a replay that runs straight through it, so that both agree with a replay
 * restored from that boundary's snapshot.
 *
 * A restore starts the hart with an empty software TLB. The recording (and a
 * straight-through replay) would otherwise keep it warm across the boundary,
 * and a guest that changed a page-table entry without sfence.vma (Linux clears
 * accessed bits so) would then read through the stale entry in one run and
 * the new one in the other. Flushing here makes the three runs identical.
 * Translated code needs nothing: every store and DMA write to a page drops
 * the blocks made from it, so it never differs from the guest bytes.
 */
import type { VirtMachine } from '@prnr/machine';

export function atSliceBoundary(machine: VirtMachine): void {
  machine.hart.flushTlb();
}
