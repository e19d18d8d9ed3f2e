/* The two HTIF services the CoreMark port uses (see htif.c). */
#ifndef PRNR_COREMARK_HTIF_H
#define PRNR_COREMARK_HTIF_H

#include <stddef.h>

void htif_write(const char *buf, size_t len);
void htif_exit(int code) __attribute__((noreturn));

#endif
