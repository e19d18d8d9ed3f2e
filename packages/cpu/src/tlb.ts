/**
 * Software TLB geometry, shared by the hart's fast paths.
 * Direct-mapped on the low bits of the virtual page number.
 *
 * The key of an entry is TLB_KEY_BIAS + vpn, vpn = vhi * 2^20 + (vlo >>> 12) (the address shifted
 * right by 12, signed): a double in [2^52, 2^53), exact and distinct for every page of a 64-bit
 * address space. JavaScript compares keys as doubles. Translated code compares them as i64: in that
 * range a double's bits are TLB_KEY_BIAS's bits plus vpn, so the key of an address is one shift
 * and one add, with no conversion to floating point (HOT PATH: every translated load and store).
 * An empty entry is NaN, whose bits match no key.
 */
export const TLB_BITS = 8;
export const TLB_SIZE = 1 << TLB_BITS;
export const TLB_MASK = TLB_SIZE - 1;

/** 1.5 * 2^52. */
export const TLB_KEY_BIAS = 6755399441055744;
/** High 32 bits of TLB_KEY_BIAS as a double (its low 32 bits are 0). */
export const TLB_KEY_BIAS_BITS_HI = 0x43380000;
/** The least key: keys are at or above it, a watched entry's marker below it. */
const TLB_KEY_MIN = 4503599627370496; // 2^52

export const tlbKey = (vlo: number, vhi: number): number => TLB_KEY_BIAS + vhi * 1048576 + (vlo >>> 12);

/** What an exec entry holds for a watched page: below every key, so that no fetch matches it (hart-access.ts). */
export const watchedKey = (key: number): number => key - TLB_KEY_MIN;
/** The key of an entry, watched (watchedKey) or not. */
export const unwatchedKey = (k: number): number => (k < TLB_KEY_MIN ? k + TLB_KEY_MIN : k);
