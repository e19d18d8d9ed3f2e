/**
 * NS16550A UART with 16-byte FIFOs, byte-wide registers (reg-shift 0).
 * TI PC16550D datasheet, §8 "Registers": https://www.ti.com/lit/ds/symlink/pc16550d.pdf
 *
 * Transmit: a byte written to THR goes to the ConsoleOutputSink at once, so
 * the transmitter is always empty afterwards (THRE and TEMT stay set; a THRE
 * interrupt re-arms after every write, as on a fast line).
 * Receive: bytes come from the ConsoleInputPort, pulled in `service()` while
 * the RX FIFO has room, and by default only while the guest listens
 * (IER.ERBFI set, as Linux's 8250 driver does while the tty is open), so input
 * queued before the driver opens the port is not lost to its FIFO reset.
 * `receiveWhilePolled: true` pulls regardless, for guests that poll LSR.DR.
 * There is no line timing: a FIFO below its trigger level reports the
 * character-timeout interrupt at once.
 */
import {
  DEVICE_SPECIFICATION_VERSION,
  expectState,
  lo32,
  sized,
  type AccessSize,
  type Device,
  type DeviceState,
  type IrqSource,
  type MmioRange,
} from './device.js';
import type { FdtWriter } from './fdt/fdt-writer.js';
import { FDT_LABEL_PLIC } from './fdt/labels.js';
import type { ConsoleInputPort, ConsoleOutputSink } from './ports.js';

/** Register offsets (DLAB = LCR bit 7 selects DLL/DLM at 0/1). */
export const UART_RBR = 0; // read, DLAB=0
export const UART_THR = 0; // write, DLAB=0
export const UART_DLL = 0; // DLAB=1
export const UART_IER = 1; // DLAB=0
export const UART_DLM = 1; // DLAB=1
export const UART_IIR = 2; // read
export const UART_FCR = 2; // write
export const UART_LCR = 3;
export const UART_MCR = 4;
export const UART_LSR = 5;
export const UART_MSR = 6;
export const UART_SCR = 7;

export const UART_IER_ERBFI = 0x01; // received data available
export const UART_IER_ETBEI = 0x02; // transmitter holding register empty
export const UART_IER_ELSI = 0x04; // receiver line status
export const UART_IER_EDSSI = 0x08; // modem status

export const UART_IIR_NO_INT = 0x01;
export const UART_IIR_MSI = 0x00;
export const UART_IIR_THRI = 0x02;
export const UART_IIR_RDI = 0x04;
export const UART_IIR_RLSI = 0x06;
export const UART_IIR_CTI = 0x0c;
export const UART_IIR_FIFO_ENABLED = 0xc0;

export const UART_FCR_ENABLE = 0x01;
export const UART_FCR_CLEAR_RX = 0x02;
export const UART_FCR_CLEAR_TX = 0x04;
export const UART_FCR_TRIGGER_SHIFT = 6;

export const UART_LCR_DLAB = 0x80;

export const UART_MCR_DTR = 0x01;
export const UART_MCR_RTS = 0x02;
export const UART_MCR_OUT1 = 0x04;
export const UART_MCR_OUT2 = 0x08;
export const UART_MCR_LOOP = 0x10;

export const UART_LSR_DR = 0x01;
export const UART_LSR_OE = 0x02;
export const UART_LSR_THRE = 0x20;
export const UART_LSR_TEMT = 0x40;

export const UART_MSR_DCTS = 0x01;
export const UART_MSR_DDSR = 0x02;
export const UART_MSR_TERI = 0x04;
export const UART_MSR_DDCD = 0x08;
export const UART_MSR_CTS = 0x10;
export const UART_MSR_DSR = 0x20;
export const UART_MSR_RI = 0x40;
export const UART_MSR_DCD = 0x80;

export const UART_FIFO_SIZE = 16;
/** RX trigger levels selected by FCR bits 7:6. */
const RX_TRIGGER = [1, 4, 8, 14] as const;
/** Modem lines seen when not in loopback: carrier, data set ready, clear to send. */
const MSR_IDLE = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
/** QEMU virt placement. */
export const UART_DEFAULT_BASE = 0x1000_0000;
export const UART_SIZE = 0x100;
/** Input clock for the FDT `clock-frequency` (1.8432 MHz * 2, as QEMU declares). */
export const UART_CLOCK_HZ = 3_686_400;

export interface Uart16550aOptions {
  base?: number;
  irq: IrqSource;
  input?: ConsoleInputPort;
  output?: ConsoleOutputSink;
  /** Pull input even when IER.ERBFI is clear (for polling guests). Default false. */
  receiveWhilePolled?: boolean;
}

export interface Uart16550aState extends DeviceState {
  readonly kind: 'uart-16550a';
  readonly version: 1;
  /** RX FIFO contents, oldest first. */
  readonly rx: number[];
  readonly ier: number;
  readonly lcr: number;
  readonly mcr: number;
  readonly scr: number;
  readonly dll: number;
  readonly dlm: number;
  readonly fifoEnabled: boolean;
  readonly rxTrigger: number;
  /** LSR.OE, cleared by reading LSR. */
  readonly overrun: boolean;
  /** MSR delta bits 3:0, cleared by reading MSR. */
  readonly msrDelta: number;
  /** THRE interrupt armed (cleared by reading IIR when it is the reported source, or by writing THR). */
  readonly thrPending: boolean;
  /** Level last driven on the interrupt line. */
  readonly irq: boolean;
}

export class Uart16550a implements Device {
  static readonly KIND = 'uart-16550a';
  static readonly VERSION = 1;
  readonly specificationVersion = DEVICE_SPECIFICATION_VERSION;
  readonly kind = Uart16550a.KIND;
  readonly version = Uart16550a.VERSION;
  readonly mmio: MmioRange;
  private readonly irqLine: IrqSource;
  private readonly input: ConsoleInputPort | undefined;
  private readonly output: ConsoleOutputSink | undefined;
  private readonly receiveWhilePolled: boolean;
  private rx: number[] = [];
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private dll = 0;
  private dlm = 0;
  private fifoEnabled = false;
  private rxTrigger = 1;
  private overrun = false;
  private msrDelta = 0;
  private thrPending = false;
  private irq = false;

  constructor(options: Uart16550aOptions) {
    this.mmio = { base: options.base ?? UART_DEFAULT_BASE, size: UART_SIZE };
    this.irqLine = options.irq;
    this.input = options.input;
    this.output = options.output;
    this.receiveWhilePolled = options.receiveWhilePolled ?? false;
  }

  read(offset: number, size: AccessSize): number | bigint {
    return sized(this.readReg(offset), size);
  }

  write(offset: number, _size: AccessSize, value: number | bigint): void {
    this.writeReg(offset, lo32(value) & 0xff);
  }

  /** Pulls input bytes while the RX FIFO has room and the guest listens. */
  service(): void {
    if (!this.input || this.loopback()) return;
    if (!(this.ier & UART_IER_ERBFI) && !this.receiveWhilePolled) return;
    let got = false;
    while (this.rx.length < this.capacity()) {
      const b = this.input.next();
      if (b === null) break;
      this.rx.push(b & 0xff);
      got = true;
    }
    if (got) this.update();
  }

  save(): Uart16550aState {
    return {
      kind: 'uart-16550a',
      version: 1,
      rx: [...this.rx],
      ier: this.ier,
      lcr: this.lcr,
      mcr: this.mcr,
      scr: this.scr,
      dll: this.dll,
      dlm: this.dlm,
      fifoEnabled: this.fifoEnabled,
      rxTrigger: this.rxTrigger,
      overrun: this.overrun,
      msrDelta: this.msrDelta,
      thrPending: this.thrPending,
      irq: this.irq,
    };
  }

  restore(state: DeviceState): void {
    const s = expectState<Uart16550aState>(state, Uart16550a.KIND, Uart16550a.VERSION);
    this.rx = [...s.rx];
    this.ier = s.ier;
    this.lcr = s.lcr;
    this.mcr = s.mcr;
    this.scr = s.scr;
    this.dll = s.dll;
    this.dlm = s.dlm;
    this.fifoEnabled = s.fifoEnabled;
    this.rxTrigger = s.rxTrigger;
    this.overrun = s.overrun;
    this.msrDelta = s.msrDelta;
    this.thrPending = s.thrPending;
    this.irq = s.irq;
    this.irqLine.set(this.irq);
  }

  fdt(w: FdtWriter): void {
    w.node(`/soc/serial@${this.mmio.base.toString(16)}`)
      .u32('interrupts', this.irqLine.id)
      .u32('interrupt-parent', w.phandle(FDT_LABEL_PLIC))
      .u32('clock-frequency', UART_CLOCK_HZ)
      .reg([this.mmio.base, this.mmio.size])
      .string('compatible', 'ns16550a');
  }

  private dlab(): boolean {
    return (this.lcr & UART_LCR_DLAB) !== 0;
  }

  private loopback(): boolean {
    return (this.mcr & UART_MCR_LOOP) !== 0;
  }

  private capacity(): number {
    return this.fifoEnabled ? UART_FIFO_SIZE : 1;
  }

  private lsr(): number {
    return (this.rx.length > 0 ? UART_LSR_DR : 0) | (this.overrun ? UART_LSR_OE : 0) | UART_LSR_THRE | UART_LSR_TEMT;
  }

  /** MSR status bits 7:4: from MCR in loopback (OUT2->DCD, OUT1->RI, RTS->CTS, DTR->DSR), else idle lines. */
  private msrStatus(): number {
    if (!this.loopback()) return MSR_IDLE;
    const m = this.mcr;
    return (
      (m & UART_MCR_OUT2 ? UART_MSR_DCD : 0) |
      (m & UART_MCR_OUT1 ? UART_MSR_RI : 0) |
      (m & UART_MCR_RTS ? UART_MSR_CTS : 0) |
      (m & UART_MCR_DTR ? UART_MSR_DSR : 0)
    );
  }

  /** The interrupt identification (IIR bits 3:0), highest priority first. */
  private interruptId(): number {
    if (this.ier & UART_IER_ELSI && this.overrun) return UART_IIR_RLSI;
    if (this.ier & UART_IER_ERBFI && this.rx.length > 0) {
      return this.fifoEnabled && this.rx.length < this.rxTrigger ? UART_IIR_CTI : UART_IIR_RDI;
    }
    if (this.ier & UART_IER_ETBEI && this.thrPending) return UART_IIR_THRI;
    if (this.ier & UART_IER_EDSSI && this.msrDelta !== 0) return UART_IIR_MSI;
    return UART_IIR_NO_INT;
  }

  private update(): void {
    const level = this.interruptId() !== UART_IIR_NO_INT;
    if (level !== this.irq) {
      this.irq = level;
      this.irqLine.set(level);
    }
  }

  private readReg(offset: number): number {
    switch (offset) {
      case UART_RBR: {
        if (this.dlab()) return this.dll;
        const b = this.rx.length > 0 ? (this.rx.shift() as number) : 0;
        this.update();
        return b;
      }
      case UART_IER:
        return this.dlab() ? this.dlm : this.ier;
      case UART_IIR: {
        const id = this.interruptId();
        if (id === UART_IIR_THRI) {
          this.thrPending = false;
          this.update();
        }
        return id | (this.fifoEnabled ? UART_IIR_FIFO_ENABLED : 0);
      }
      case UART_LCR:
        return this.lcr;
      case UART_MCR:
        return this.mcr;
      case UART_LSR: {
        const v = this.lsr();
        if (this.overrun) {
          this.overrun = false;
          this.update();
        }
        return v;
      }
      case UART_MSR: {
        const v = this.msrStatus() | this.msrDelta;
        if (this.msrDelta !== 0) {
          this.msrDelta = 0;
          this.update();
        }
        return v;
      }
      case UART_SCR:
        return this.scr;
      default:
        return 0;
    }
  }

  private writeReg(offset: number, v: number): void {
    switch (offset) {
      case UART_THR:
        if (this.dlab()) {
          this.dll = v;
          return;
        }
        if (this.loopback()) this.receive(v);
        else this.output?.write(v);
        // The byte left at once: THR is empty again, so THRE re-arms.
        this.thrPending = true;
        break;
      case UART_IER:
        if (this.dlab()) {
          this.dlm = v;
          return;
        }
        // Enabling ETBEI while THR is empty raises THRE at once (Linux's 8250 startup test relies on it).
        if (v & UART_IER_ETBEI && !(this.ier & UART_IER_ETBEI)) this.thrPending = true;
        this.ier = v & 0x0f;
        break;
      case UART_FCR: {
        const enable = (v & UART_FCR_ENABLE) !== 0;
        if (enable !== this.fifoEnabled || v & UART_FCR_CLEAR_RX) this.rx = [];
        this.fifoEnabled = enable;
        this.rxTrigger = RX_TRIGGER[v >>> UART_FCR_TRIGGER_SHIFT];
        break;
      }
      case UART_LCR:
        this.lcr = v;
        return;
      case UART_MCR: {
        const before = this.msrStatus();
        this.mcr = v & 0x1f;
        this.noteModemChange(before, this.msrStatus());
        break;
      }
      case UART_SCR:
        this.scr = v;
        return;
      default:
        return; // LSR, MSR: read-only
    }
    this.update();
  }

  /** A byte arriving at the receiver (loopback): into the FIFO, or an overrun when it is full. */
  private receive(b: number): void {
    if (this.rx.length < this.capacity()) this.rx.push(b);
    else this.overrun = true;
  }

  private noteModemChange(before: number, after: number): void {
    const changed = before ^ after;
    if (changed & UART_MSR_CTS) this.msrDelta |= UART_MSR_DCTS;
    if (changed & UART_MSR_DSR) this.msrDelta |= UART_MSR_DDSR;
    if (changed & UART_MSR_DCD) this.msrDelta |= UART_MSR_DDCD;
    if (before & UART_MSR_RI && !(after & UART_MSR_RI)) this.msrDelta |= UART_MSR_TERI;
  }
}
