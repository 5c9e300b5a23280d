/*
 * handoff.h: bytes handed from the thread that receives them to a consumer
 * running on a thread of its own, through a bounded ring, so receiving and
 * consuming (sluice get: decrypting, hashing, writing) overlap on two
 * cores. The consumer sees the bytes in order, exactly once, each call at
 * most HANDOFF_SLICE bytes; its first failure (a negative SLUICE_E* and its
 * reason) stops it, and is what the next handoff_put() or handoff_finish()
 * returns. One producer, one consumer.
 */
#ifndef SLUICE_CLIENT_HANDOFF_H
#define SLUICE_CLIENT_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

#define HANDOFF_SLICE	(1024u * 1024)

typedef int (*handoff_fn)(void *arg, const uint8_t *p, size_t n, char *why,
    size_t whylen);

struct handoff;

/* A ring of cap bytes (at least HANDOFF_SLICE) and its consumer thread. */
int handoff_start(size_t cap, handoff_fn fn, void *arg, struct handoff **out)
    __attribute__((warn_unused_result));
/* Copies p[0..n) in, waiting while the ring is full. */
int handoff_put(struct handoff *h, const uint8_t *p, size_t n, char *why,
    size_t whylen) __attribute__((warn_unused_result));
/* Waits until everything put was consumed; ends the thread. */
int handoff_finish(struct handoff *h, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* Stops the consumer (what it has not taken is dropped), ends the thread
 * and frees. NULL is a no-op. */
void handoff_free(struct handoff *h);

#endif
