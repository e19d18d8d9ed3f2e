/* Host side: print the checksum that the guest build must reproduce. */
#include <stdio.h>
#include "bench.h"

int main(void) {
  printf("0x%016llxULL\n", (unsigned long long)bench());
  return 0;
}
