/**
 * Software TLB geometry, shared by the hart's fast paths.
 * Direct-mapped on the low bits of the virtual page number. The key of an entry
 * is vhi * 2^20 + (vlo >>> 12): exact in a double, and distinct for every page
 * of a 64-bit address space that Sv39 or bare mode can name.
 */
export const TLB_BITS = 8;
export const TLB_SIZE = 1 << TLB_BITS;
export const TLB_MASK = TLB_SIZE - 1;

export const tlbKey = (vlo: number, vhi: number): number => vhi * 1048576 + (vlo >>> 12);
