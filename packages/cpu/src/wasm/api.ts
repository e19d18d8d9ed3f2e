/**
 * The few members of the WebAssembly JavaScript API this package uses. Node has
 * them all; @types/node does not declare them (they live in TypeScript's DOM
 * library), so they are typed here instead of pulling in the DOM types.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
export interface WasmTable {
  get(i: number): unknown;
  set(i: number, fn: unknown): void;
  grow(delta: number): number;
  readonly length: number;
}
interface WasmApi {
  /** `value`: what every slot holds at first (default null). */
  Table: new (d: { initial: number; element: 'anyfunc' }, value?: unknown) => WasmTable;
  Memory: new (d: { initial: number; maximum: number }) => WasmMemory;
  Module: { new (bytes: Uint8Array): object; customSections(module: object, name: string): ArrayBuffer[] };
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => WasmInstance;
}

export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
