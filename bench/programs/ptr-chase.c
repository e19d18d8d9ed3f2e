/* ptr-chase: pointer chasing and irregular memory access.
 * A singly linked list threaded through 256 Ki nodes in a random order
 * (Fisher-Yates shuffle), walked repeatedly; an open-addressing hash table
 * (linear probing, 2^18 slots) with inserts, hits and misses; and an
 * unbalanced binary search tree of random keys, built then searched. */
#include "bench.h"

#define LIST_N (256u * 1024u)
#define LIST_WALKS 12
#define HT_BITS 18
#define HT_SLOTS (1u << HT_BITS)
#define HT_INSERTS 180000u
#define HT_LOOKUPS 1500000u
#define TREE_N 65536u
#define TREE_LOOKUPS 600000u

struct node {
  struct node *next;
  uint64_t value;
};

struct tnode {
  struct tnode *left, *right;
  uint64_t key;
  uint64_t hits;
};

static struct node nodes[LIST_N];
static uint32_t perm[LIST_N];
static uint64_t ht_keys[HT_SLOTS];  /* 0 = empty */
static uint64_t ht_vals[HT_SLOTS];
static struct tnode tnodes[TREE_N];

static uint64_t list_bench(uint64_t *s) {
  for (uint32_t i = 0; i < LIST_N; i++) perm[i] = i;
  for (uint32_t i = LIST_N - 1; i > 0; i--) {
    uint32_t j = (uint32_t)rng_below(s, i + 1);
    uint32_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  for (uint32_t i = 0; i < LIST_N; i++) {
    nodes[perm[i]].next = i + 1 < LIST_N ? &nodes[perm[i + 1]] : 0;
    nodes[perm[i]].value = rng_next(s);
  }
  uint64_t h = 0;
  for (uint32_t w = 0; w < LIST_WALKS; w++) {
    uint64_t acc = w;
    for (struct node *p = &nodes[perm[0]]; p; p = p->next) {
      acc += p->value ^ (acc >> 7);
      p->value += acc & 0xFF;  /* the next walk sees new values */
    }
    h = mix(h, acc);
  }
  return h;
}

static inline uint32_t ht_slot(uint64_t key) {
  return (uint32_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - HT_BITS));
}

static void ht_put(uint64_t key, uint64_t val) {
  uint32_t i = ht_slot(key);
  while (ht_keys[i] != 0 && ht_keys[i] != key) i = (i + 1) & (HT_SLOTS - 1);
  ht_keys[i] = key;
  ht_vals[i] += val;
}

static int ht_get(uint64_t key, uint64_t *val) {
  uint32_t i = ht_slot(key);
  while (ht_keys[i] != 0) {
    if (ht_keys[i] == key) {
      *val = ht_vals[i];
      return 1;
    }
    i = (i + 1) & (HT_SLOTS - 1);
  }
  return 0;
}

static uint64_t hash_bench(uint64_t *s) {
  /* keys drawn from a small range, so some inserts update an existing key */
  uint64_t ks = *s;
  for (uint32_t i = 0; i < HT_INSERTS; i++) ht_put((rng_next(s) % 400000u) + 1, i);
  uint64_t h = 0, hits = 0;
  for (uint32_t i = 0; i < HT_LOOKUPS; i++) {
    uint64_t v;
    if (ht_get((rng_next(&ks) % 500000u) + 1, &v)) {
      hits++;
      h += v;
    } else {
      h ^= i;
    }
  }
  return mix(h, hits);
}

static uint64_t tree_bench(uint64_t *s) {
  struct tnode *root = 0;
  uint32_t used = 0;
  for (uint32_t i = 0; i < TREE_N; i++) {
    uint64_t key = rng_next(s) >> 44;  /* 20-bit keys: some duplicates */
    struct tnode **link = &root;
    while (*link && (*link)->key != key) link = key < (*link)->key ? &(*link)->left : &(*link)->right;
    if (*link) {
      (*link)->hits++;
    } else {
      struct tnode *n = &tnodes[used++];
      n->left = n->right = 0;
      n->key = key;
      n->hits = 1;
      *link = n;
    }
  }
  uint64_t h = used, found = 0;
  for (uint32_t i = 0; i < TREE_LOOKUPS; i++) {
    uint64_t key = rng_next(s) >> 44;
    uint32_t depth = 0;
    struct tnode *p = root;
    while (p && p->key != key) {
      p = key < p->key ? p->left : p->right;
      depth++;
    }
    if (p) {
      found++;
      h += p->hits * depth;
    } else {
      h ^= depth;
    }
  }
  return mix(h, found);
}

uint64_t bench(void) {
  uint64_t s = 0xC0FFEE123456789ULL;
  uint64_t h = list_bench(&s);
  h = mix(h, hash_bench(&s));
  h = mix(h, tree_bench(&s));
  return h;
}
