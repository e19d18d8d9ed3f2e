/** What is wrong with a debug-info file given to `prnr profile` (BTF, DWARF, ELF, System.map): one line, for the user. */
export class DebugInfoError extends Error {}
