import { describe, expect, it } from 'vitest';
import {
  GoldfishRtc,
  RTC_ALARM_HIGH,
  RTC_ALARM_LOW,
  RTC_ALARM_STATUS,
  RTC_CLEAR_ALARM,
  RTC_CLEAR_INTERRUPT,
  RTC_IRQ_ENABLED,
  RTC_TIME_HIGH,
  RTC_TIME_LOW,
} from './goldfish-rtc.js';
import { FakeIrq } from './test-support/fakes.js';

const T0 = 1_700_000_000_123_456_789n; // ns since the epoch

function setup(now = T0) {
  const clock = { t: now, reads: 0, now: () => (clock.reads++, clock.t) };
  const irq = new FakeIrq(11);
  const rtc = new GoldfishRtc({ irq, clock });
  const readTime = () => {
    const lo = rtc.read(RTC_TIME_LOW, 4) as number;
    const hi = rtc.read(RTC_TIME_HIGH, 4) as number;
    return (BigInt(hi) << 32n) | BigInt(lo);
  };
  return { rtc, clock, irq, readTime };
}

describe('GoldfishRtc', () => {
  it('reads the ClockPort on TIME_LOW and latches the high half for TIME_HIGH', () => {
    const { rtc, clock, readTime } = setup();
    expect(readTime()).toBe(T0);
    expect(clock.reads).toBe(1);
    // TIME_HIGH alone does not sample the port again.
    rtc.read(RTC_TIME_LOW, 4);
    clock.t = T0 + (1n << 40n);
    expect(rtc.read(RTC_TIME_HIGH, 4)).toBe(Number(T0 >> 32n));
    expect(clock.reads).toBe(2);
  });

  it('keeps an offset when the guest sets the time (TIME_HIGH then TIME_LOW)', () => {
    const { rtc, clock, readTime } = setup();
    const wanted = 946_684_800_000_000_000n; // 2000-01-01
    rtc.write(RTC_TIME_HIGH, 4, Number(wanted >> 32n));
    rtc.write(RTC_TIME_LOW, 4, Number(wanted & 0xffff_ffffn));
    expect(readTime()).toBe(wanted);
    clock.t += 5_000_000_000n;
    expect(readTime()).toBe(wanted + 5_000_000_000n);
  });

  it('holds alarm registers; CLEAR_ALARM disarms; CLEAR_INTERRUPT lowers the line', () => {
    const { rtc, irq } = setup();
    rtc.write(RTC_ALARM_HIGH, 4, 0x1234);
    rtc.write(RTC_ALARM_LOW, 4, 0x5678);
    rtc.write(RTC_IRQ_ENABLED, 4, 1);
    expect(rtc.read(RTC_ALARM_LOW, 4)).toBe(0x5678);
    expect(rtc.read(RTC_ALARM_HIGH, 4)).toBe(0x1234);
    expect(rtc.read(RTC_ALARM_STATUS, 4)).toBe(1);
    expect(rtc.read(RTC_IRQ_ENABLED, 4)).toBe(1);
    rtc.write(RTC_CLEAR_ALARM, 4, 1);
    expect(rtc.read(RTC_ALARM_STATUS, 4)).toBe(0);
    rtc.write(RTC_CLEAR_INTERRUPT, 4, 1);
    expect(irq.level).toBe(false);
  });

  it('round-trips its state (offset, latch, alarm) and reads the same time afterwards', () => {
    const a = setup();
    a.rtc.write(RTC_TIME_HIGH, 4, 7);
    a.rtc.write(RTC_TIME_LOW, 4, 9);
    a.rtc.read(RTC_TIME_LOW, 4);
    a.rtc.write(RTC_ALARM_LOW, 4, 3);
    const saved = a.rtc.save();
    const b = setup(a.clock.t);
    b.rtc.restore(structuredClone(saved));
    expect(b.rtc.save()).toEqual(saved);
    expect(b.rtc.read(RTC_TIME_HIGH, 4)).toBe(7);
    expect(b.readTime()).toBe(a.readTime());
  });
});
