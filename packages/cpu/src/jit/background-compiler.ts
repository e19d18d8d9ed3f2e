/**
 * Block modules compiled off the machine's thread (the 'wasm' engine's `backgroundCompile`).
 *
 * `new WebAssembly.Module` compiles on the calling thread: on a Linux boot that is about half a
 * second in which the machine stands still. Here a worker thread (one per thread that asks,
 * started on first use, not keeping the process alive) compiles each module's bytes and posts the
 * compiled module back; the engine keeps running the interpreter and the blocks it has meanwhile.
 *
 * Finished compiles are collected with `poll()`, synchronously (`receiveMessageOnPort`, after one
 * read of a shared counter the worker bumps), so nothing needs the event loop: a machine run in
 * a synchronous loop gets them as soon as they are ready. When the worker cannot be started, or
 * has stopped, modules compile on the calling thread, as without it.
 *
 * When a module arrives changes nothing a machine computes: translated code is step-for-step
 * the interpreter (wasm-engine.ts checks at install time that the guest code it was made from is
 * still in RAM).
 */
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { wasmApi } from '../wasm/api.js';
import { EXIT_BYTES, EXITS_SECTION, SLOW_PATH_COUNT } from './wasm-compiler.js';

/** One module for `compileAll`. */
export interface CompileJob {
  readonly bytes: Uint8Array;
  readonly memoryPages: number;
  readonly done: (module: object) => void;
}

/** Compiles block modules; finished ones are handed over in `poll()`. */
export interface ModuleCompiler {
  /**
   * Start compiling `bytes` (a block module importing a memory of `memoryPages` pages); `done` is
   * called from a later `poll()` with the module (it throws there, as `new WebAssembly.Module`
   * would, when the bytes do not compile).
   */
  compile(bytes: Uint8Array, memoryPages: number, done: (module: object) => void): void;
  /** `compile` for each, in this order: many modules at once (a loaded file's), in one message where the compiler can. */
  compileAll(jobs: readonly CompileJob[]): void;
  /** Call `done` for every compile that has finished (of every engine of this thread); returns how many. Cheap when none has. */
  poll(): number;
  /** Compiles started and not yet handed over. */
  readonly inFlight: number;
}

// The worker: compile what comes, post the module back, then count it in the shared counter (the
// main thread reads the counter before it asks the port). CommonJS: an eval'd worker is.
//
// V8 compiles a module's functions lazily, each at its first call, on the calling thread: left so,
// the machine's thread would still compile every block (Liftoff) when it first runs. So each
// function is called here once, on a private memory of the module's size with empty tables, with a
// budget of 0: a block then makes no second pass and no chained call (each needs its steps to fit
// in the budget), and stops at its first slow path or exit-table call (a null entry traps) or at
// its end. Nothing it does reaches a machine; its compiled code is shared by the module's copies.
// The tables are as small as the module allows (a power of two): an instance costs V8 time in
// proportion to the size of the tables it imports (3 ms each at 16 Ki slots, most of the warming).
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { port, counter, nice } = workerData;
const done = new Int32Array(counter);
// A lowered priority: on Linux a thread's own id (from /proc/thread-self) renices that thread alone.
if (nice !== undefined && process.platform === 'linux') {
  try { require('node:os').setPriority(Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()), nice); } catch {}
}
const memories = new Map();
const tables = new Map();
function tableFor(module) {
  const list = WebAssembly.Module.customSections(module, '${EXITS_SECTION}')[0];
  const need = Math.max(${SLOW_PATH_COUNT}, list === undefined ? 1 : list.byteLength / ${EXIT_BYTES});
  let size = 8;
  while (size < need) size *= 2;
  let table = tables.get(size);
  if (table === undefined) { table = new WebAssembly.Table({ initial: size, element: 'anyfunc' }); tables.set(size, table); }
  return table;
}
function warm(module, pages) {
  let memory = memories.get(pages);
  if (memory === undefined) { memory = new WebAssembly.Memory({ initial: pages, maximum: pages }); memories.set(pages, memory); }
  const table = tableFor(module);
  const instance = new WebAssembly.Instance(module, { env: { memory, table, exits: table } });
  for (const fn of Object.values(instance.exports)) {
    try { fn(0, 0); } catch {}
  }
}
function compileOne(id, bytes, pages) {
  let module = null;
  try { module = new WebAssembly.Module(bytes); } catch {}
  if (module !== null) try { warm(module, pages); } catch {}
  port.postMessage({ id, module });
  Atomics.add(done, 0, 1);
}
port.on('message', (m) => {
  if (m.batch === undefined) compileOne(m.id, m.bytes, m.pages);
  else for (const { id, at, length, pages } of m.batch) compileOne(id, new Uint8Array(m.bytes, at, length), pages);
});
`;

interface Job {
  readonly bytes: Uint8Array;
  readonly done: (module: object) => void;
}

/** A worker thread compiling block modules for the engines of this thread. */
export class BackgroundCompiler implements ModuleCompiler {
  private static instance: BackgroundCompiler | null | undefined;

  /** This thread's compiler, its worker started on first use; null where no worker thread can be made. */
  static shared(): BackgroundCompiler | null {
    if (BackgroundCompiler.instance === undefined) BackgroundCompiler.instance = BackgroundCompiler.start();
    return BackgroundCompiler.instance;
  }

  /**
   * A compiler of its own, with its own worker (close it when done); null where no worker thread
   * can be made. `nice`: the worker's nice value on Linux (default: the starting thread's).
   */
  static start(nice?: number): BackgroundCompiler | null {
    try {
      return new BackgroundCompiler(nice);
    } catch {
      return null;
    }
  }

  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly finished: Int32Array;
  private received = 0;
  private nextId = 0;
  private readonly jobs = new Map<number, Job>();
  /** The worker stopped (it never does on its own): what is in flight, and what comes, compiles here. */
  private stopped = false;

  private constructor(nice?: number) {
    const { port1, port2 } = new MessageChannel();
    this.finished = new Int32Array(new SharedArrayBuffer(4));
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: port2, counter: this.finished.buffer, nice }, transferList: [port2] });
    this.worker.unref();
    this.worker.on('error', () => { this.stopped = true; });
    this.worker.on('exit', () => { this.stopped = true; });
    port1.unref();
    this.port = port1;
  }

  /** Stop the worker: what is still in flight, and what comes, compiles on the calling thread at the next poll. */
  close(): void {
    this.stopped = true;
    this.port.close();
    void this.worker.terminate();
  }

  /** Compiles started and not yet handed over. */
  get inFlight(): number {
    return this.jobs.size;
  }

  compile(bytes: Uint8Array, memoryPages: number, done: (module: object) => void): void {
    const id = this.nextId++;
    this.jobs.set(id, { bytes, done });
    if (!this.stopped) this.port.postMessage({ id, bytes, pages: memoryPages });
  }

  /**
   * One message for all: their bytes gathered into one buffer, which moves to the worker. A message
   * each (a copy, a clone and a port write per module) cost the caller ~150 ms for a smoke boot's
   * 640 modules, at the start of a run; this way 56-61 ms, mostly the new buffer's page faults.
   */
  compileAll(jobs: readonly CompileJob[]): void {
    if (jobs.length === 0) return;
    let size = 0;
    for (const j of jobs) size += j.bytes.length;
    const all = new Uint8Array(size);
    const batch: { id: number; at: number; length: number; pages: number }[] = [];
    let at = 0;
    for (const j of jobs) {
      const id = this.nextId++;
      this.jobs.set(id, { bytes: j.bytes, done: j.done });
      all.set(j.bytes, at);
      batch.push({ id, at, length: j.bytes.length, pages: j.memoryPages });
      at += j.bytes.length;
    }
    if (!this.stopped) this.port.postMessage({ batch, bytes: all.buffer }, [all.buffer]);
  }

  poll(): number {
    if (this.jobs.size === 0) return 0;
    if (this.stopped) {
      const jobs = [...this.jobs.values()];
      this.jobs.clear();
      for (const j of jobs) j.done(new wasmApi.Module(j.bytes));
      return jobs.length;
    }
    if (Atomics.load(this.finished, 0) === this.received) return 0;
    let n = 0;
    for (;;) {
      const m = receiveMessageOnPort(this.port) as { message: { id: number; module: object | null } } | undefined;
      if (m === undefined) break;
      this.received++;
      const job = this.jobs.get(m.message.id);
      if (job === undefined) continue;
      this.jobs.delete(m.message.id);
      n++;
      // null: the worker could not compile it; compiling here throws the error itself.
      job.done(m.message.module ?? new wasmApi.Module(job.bytes));
    }
    return n;
  }
}
