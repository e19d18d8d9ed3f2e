/* ee_printf for the CoreMark port: the subset of printf that CoreMark's
 * reports use (%d %i %u %x %X %c %s %p %f %%, flags '-' and '0', width,
 * precision, length l/ll/z), formatted into a buffer and handed to
 * port_console() in core_portme.c. Written for reading, not speed: it runs a
 * few dozen times, outside the timed part. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "coremark.h"

void port_console(const char *buf, size_t len); /* core_portme.c */

struct out {
  char buf[512];
  size_t len;
};

static void put(struct out *o, char ch) {
  if (o->len < sizeof o->buf) o->buf[o->len++] = ch;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, int left, char pad) {
  int fill = width > (int)n ? width - (int)n : 0;
  if (!left) {
    /* Zero padding goes after a sign. */
    if (pad == '0' && n > 0 && s[0] == '-') { put(o, '-'); s++; n--; }
    while (fill-- > 0) put(o, pad);
  }
  for (size_t i = 0; i < n; i++) put(o, s[i]);
  if (left)
    while (fill-- > 0) put(o, ' ');
}

/* Digits of v in base 10 or 16, most significant first, into buf (at least 24 bytes); returns the length. */
static size_t utoa(uint64_t v, unsigned base, int upper, char *buf) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[24];
  size_t n = 0;
  do { tmp[n++] = digits[v % base]; v /= base; } while (v);
  for (size_t i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  return n;
}

/* Fixed-point text of a double: integer part, '.', prec digits, rounded half up.
 * Enough for CoreMark's seconds and iterations per second (|v| < 2^64). */
static size_t ftoa(double v, int prec, char *buf, size_t cap) {
  size_t n = 0;
  if (v != v) { buf[0] = 'n'; buf[1] = 'a'; buf[2] = 'n'; return 3; }
  if (v < 0) { buf[n++] = '-'; v = -v; }
  if (prec > 9) prec = 9;
  uint64_t scale = 1;
  for (int i = 0; i < prec; i++) scale *= 10;
  if (v >= 18446744073709551616.0 / (double)scale) {
    const char *big = "inf-or-too-large";
    while (*big && n < cap) buf[n++] = *big++;
    return n;
  }
  uint64_t fixed = (uint64_t)(v * (double)scale + 0.5);
  n += utoa(fixed / scale, 10, 0, buf + n);
  if (prec > 0) {
    buf[n++] = '.';
    uint64_t frac = fixed % scale;
    for (uint64_t d = scale / 10; d > 0; d /= 10) buf[n++] = (char)('0' + (frac / d) % 10);
  }
  return n;
}

int ee_printf(const char *fmt, ...) {
  struct out o = { .len = 0 };
  va_list ap;
  va_start(ap, fmt);
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') { put(&o, *p); continue; }
    p++;
    int left = 0;
    char pad = ' ';
    for (;; p++) {
      if (*p == '-') left = 1;
      else if (*p == '0') pad = '0';
      else break;
    }
    int width = 0, prec = -1;
    while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    if (*p == '.') {
      prec = 0;
      p++;
      while (*p >= '0' && *p <= '9') prec = prec * 10 + (*p++ - '0');
    }
    int longs = 0;
    while (*p == 'l' || *p == 'z') { longs++; p++; }
    char num[48];
    size_t n;
    switch (*p) {
      case 'd': case 'i': {
        int64_t v = longs ? va_arg(ap, long) : va_arg(ap, int);
        uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        n = 0;
        if (v < 0) num[n++] = '-';
        n += utoa(m, 10, 0, num + n);
        put_padded(&o, num, n, width, left, pad);
        break;
      }
      case 'u': case 'x': case 'X': {
        uint64_t v = longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
        n = utoa(v, *p == 'u' ? 10 : 16, *p == 'X', num);
        put_padded(&o, num, n, width, left, pad);
        break;
      }
      case 'p': {
        num[0] = '0'; num[1] = 'x';
        n = 2 + utoa((uintptr_t)va_arg(ap, void *), 16, 0, num + 2);
        put_padded(&o, num, n, width, left, ' ');
        break;
      }
      case 'f': {
        n = ftoa(va_arg(ap, double), prec < 0 ? 6 : prec, num, sizeof num);
        put_padded(&o, num, n, width, left, pad);
        break;
      }
      case 'c':
        num[0] = (char)va_arg(ap, int);
        put_padded(&o, num, 1, width, left, ' ');
        break;
      case 's': {
        const char *s = va_arg(ap, const char *);
        if (!s) s = "(null)";
        size_t len = 0;
        while (s[len] && (prec < 0 || len < (size_t)prec)) len++;
        put_padded(&o, s, len, width, left, ' ');
        break;
      }
      case '%':
        put(&o, '%');
        break;
      case '\0':
        p--; /* a lone '%' at the end: stop at the terminator */
        break;
      default: /* unknown conversion: show it as written */
        put(&o, '%');
        put(&o, *p);
        break;
    }
  }
  va_end(ap);
  port_console(o.buf, o.len);
  return (int)o.len;
}
