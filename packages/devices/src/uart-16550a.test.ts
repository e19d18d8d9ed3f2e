import { describe, expect, it } from 'vitest';
import { FakeIrq } from './test-support/fakes.js';
import {
  Uart16550a,
  UART_DLL,
  UART_DLM,
  UART_FCR,
  UART_IER,
  UART_IIR,
  UART_LCR,
  UART_LSR,
  UART_MCR,
  UART_MSR,
  UART_RBR,
  UART_SCR,
  UART_THR,
} from './uart-16550a.js';

function setup(inputText = '', options: { receiveWhilePolled?: boolean } = {}) {
  const input = { bytes: [...new TextEncoder().encode(inputText)], asked: 0 };
  const out: number[] = [];
  const irq = new FakeIrq(10);
  const uart = new Uart16550a({
    irq,
    input: {
      next: () => {
        input.asked++;
        return input.bytes.shift() ?? null;
      },
    },
    output: { write: (b) => out.push(b) },
    ...options,
  });
  const r = (off: number) => uart.read(off, 1) as number;
  const w = (off: number, v: number) => uart.write(off, 1, v);
  return { uart, irq, input, out, r, w };
}

describe('Uart16550a', () => {
  it('sends THR bytes to the sink at once; THRE and TEMT stay set', () => {
    const { r, w, out } = setup();
    for (const b of new TextEncoder().encode('hi\n')) w(UART_THR, b);
    expect(String.fromCharCode(...out)).toBe('hi\n');
    expect(r(UART_LSR)).toBe(0x60);
  });

  it('switches offsets 0 and 1 to DLL/DLM while LCR.DLAB is set', () => {
    const { r, w, out } = setup();
    w(UART_LCR, 0x83);
    w(UART_DLL, 0x0c);
    w(UART_DLM, 0x01);
    expect(r(UART_DLL)).toBe(0x0c);
    expect(r(UART_DLM)).toBe(0x01);
    w(UART_LCR, 0x03);
    expect(r(UART_IER)).toBe(0);
    expect(out).toEqual([]); // the DLL write was not a THR write
    w(UART_SCR, 0xa5);
    expect(r(UART_SCR)).toBe(0xa5);
  });

  it('raises THRE when ETBEI is enabled, clears it on an IIR read, re-arms it after a THR write', () => {
    const { r, w, irq } = setup();
    w(UART_FCR, 0x01);
    w(UART_IER, 0x02);
    expect(irq.level).toBe(true);
    expect(r(UART_IIR)).toBe(0xc2);
    expect(irq.level).toBe(false);
    expect(r(UART_IIR)).toBe(0xc1);
    w(UART_THR, 0x41);
    expect(irq.level).toBe(true);
    w(UART_IER, 0);
    expect(irq.level).toBe(false);
  });

  it("passes Linux 8250's THRE startup test (no UART_BUG_THRE)", () => {
    const { r, w } = setup();
    // serial8250_do_startup: IER=THRI, read IIR, IER=0, IER=THRI, read IIR, IER=0.
    w(UART_IER, 0x02);
    const iir1 = r(UART_IIR);
    w(UART_IER, 0);
    w(UART_IER, 0x02);
    const iir = r(UART_IIR);
    w(UART_IER, 0);
    expect(iir1 & 1).toBe(0);
    expect(iir & 1).toBe(0);
  });

  it("is identified as a 16550A by Linux 8250 autoconfig", () => {
    const { r, w } = setup();
    // Scratch test on IER.
    w(UART_IER, 0);
    expect(r(UART_IER) & 0x0f).toBe(0);
    w(UART_IER, 0x0f);
    expect(r(UART_IER) & 0x0f).toBe(0x0f);
    w(UART_IER, 0);
    // Loopback test: MCR = LOOP | OUT2 | RTS must show DCD | CTS.
    w(UART_MCR, 0x10 | 0x0a);
    expect(r(UART_MSR) & 0xf0).toBe(0x90);
    w(UART_MCR, 0);
    // FIFO probe: EFR write (LCR=0xBF) hits FCR; then enabling the FIFO shows IIR bits 7:6 = 3.
    w(UART_LCR, 0xbf);
    w(2, 0);
    w(UART_LCR, 0);
    w(UART_FCR, 0x01);
    expect(r(UART_IIR) >> 6).toBe(3);
    // No EFR (16650+): reads at offset 2 with LCR=0xBF are not 0.
    w(UART_LCR, 0xbf);
    expect(r(2)).not.toBe(0);
    w(UART_LCR, 0);
    // Not a 16750: the 64-byte FIFO bit does not show in IIR bit 5.
    w(UART_FCR, 0x21);
    expect(r(UART_IIR) >> 5).toBe(6);
    w(UART_FCR, 0x01);
    // Not an XScale: IER bit 6 (UUE) does not stick.
    w(UART_IER, 0x40);
    expect(r(UART_IER) & 0x40).toBe(0);
  });

  it('pulls input only while the guest listens, and only as much as the FIFO holds', () => {
    const text = 'abcdefghijklmnopqrstuvwxyz0123456789ABCD'; // 40 bytes
    const { uart, r, w, input, irq } = setup(text);
    w(UART_FCR, 0x01);
    uart.service();
    expect(input.asked).toBe(0); // ERBFI clear: nobody is reading yet
    expect(r(UART_LSR) & 1).toBe(0);
    w(UART_IER, 0x01);
    uart.service();
    expect(input.bytes.length).toBe(40 - 16);
    expect(irq.level).toBe(true);
    let got = '';
    for (let i = 0; i < 5; i++) got += String.fromCharCode(r(UART_RBR));
    expect(got).toBe('abcde');
    uart.service();
    expect(input.bytes.length).toBe(40 - 21);
    while (r(UART_LSR) & 1) got += String.fromCharCode(r(UART_RBR));
    expect(got).toBe(text.slice(0, 21));
    expect(irq.level).toBe(false);
    expect(r(UART_RBR)).toBe(0); // empty FIFO reads 0
  });

  it('holds one byte with FIFOs disabled', () => {
    const { uart, r, w, input } = setup('xyz');
    w(UART_IER, 0x01);
    uart.service();
    expect(input.bytes.length).toBe(2);
    expect(r(UART_IIR)).toBe(0x04);
    expect(r(UART_RBR)).toBe(0x78);
  });

  it('reports data-available at the trigger level and character timeout below it', () => {
    const { uart, r, w } = setup('0123456789');
    w(UART_FCR, 0x81); // FIFO on, trigger 8
    w(UART_IER, 0x01);
    uart.service();
    expect(r(UART_IIR)).toBe(0xc4);
    for (let i = 0; i < 3; i++) r(UART_RBR);
    expect(r(UART_IIR)).toBe(0xcc);
  });

  it('clears the RX FIFO on FCR bit 1 and when the FIFO enable changes', () => {
    const { uart, r, w } = setup('0123456789abcdefghij');
    w(UART_FCR, 0x01);
    w(UART_IER, 0x01);
    uart.service();
    w(UART_FCR, 0x03);
    expect(r(UART_LSR) & 1).toBe(0);
    uart.service();
    expect(r(UART_LSR) & 1).toBe(1);
    w(UART_FCR, 0x00);
    expect(r(UART_LSR) & 1).toBe(0);
  });

  it('loops THR back to RBR in loopback mode, with overrun when the FIFO is full', () => {
    const { r, w, out, irq } = setup();
    w(UART_FCR, 0x01);
    w(UART_MCR, 0x10);
    w(UART_IER, 0x04); // line status interrupts only
    for (let i = 0; i < 17; i++) w(UART_THR, 0x30 + i);
    expect(out).toEqual([]);
    expect(irq.level).toBe(true);
    expect(r(UART_IIR)).toBe(0xc6);
    expect(r(UART_LSR) & 0x03).toBe(0x03);
    expect(r(UART_LSR) & 0x02).toBe(0); // OE cleared by the read
    expect(irq.level).toBe(false);
    expect(r(UART_RBR)).toBe(0x30);
  });

  it('reports modem status deltas in loopback and clears them on an MSR read', () => {
    const { r, w, irq } = setup();
    w(UART_IER, 0x08);
    w(UART_MCR, 0x10 | 0x01); // LOOP | DTR: DSR on, CTS/DCD drop from the idle state
    expect(irq.level).toBe(true);
    expect(r(UART_IIR)).toBe(0x00);
    const msr = r(UART_MSR);
    expect(msr & 0xf0).toBe(0x20);
    expect(msr & 0x0f).not.toBe(0);
    expect(r(UART_MSR) & 0x0f).toBe(0);
    expect(irq.level).toBe(false);
  });

  it('with receiveWhilePolled, pulls input without ERBFI', () => {
    const { uart, r, input } = setup('ok', { receiveWhilePolled: true });
    uart.service();
    expect(input.bytes.length).toBe(1); // FIFOs off: one byte
    expect(r(UART_LSR) & 1).toBe(1);
    expect(r(UART_RBR)).toBe(0x6f);
  });

  it('round-trips its state and behaves the same afterwards', () => {
    const a = setup('hello world, this is input');
    a.w(UART_FCR, 0x41);
    a.w(UART_IER, 0x03);
    a.w(UART_LCR, 0x03);
    a.w(UART_SCR, 0x5a);
    a.uart.service();
    a.r(UART_RBR);
    const saved = a.uart.save();
    const b = setup(new TextDecoder().decode(Uint8Array.from(a.input.bytes)));
    b.uart.restore(structuredClone(saved));
    expect(b.uart.save()).toEqual(saved);
    expect(b.irq.level).toBe(a.irq.level);
    for (const x of [a, b]) {
      x.uart.service();
      x.w(UART_THR, 0x21);
    }
    const drain = (x: typeof a) => {
      let s = '';
      while (x.r(UART_LSR) & 1) s += String.fromCharCode(x.r(UART_RBR));
      return s;
    };
    expect(drain(b)).toBe(drain(a));
    expect(b.out).toEqual([0x21]);
    expect(b.uart.save()).toEqual(a.uart.save());
  });
});
