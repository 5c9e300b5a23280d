#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "handoff.h"

struct handoff {
	pthread_mutex_t	 mu;
	pthread_cond_t	 room, data;	/* signalled as space, bytes come */
	pthread_t	 thread;
	int		 started;
	uint8_t		*ring;
	size_t		 cap;
	uint64_t	 put, taken;	/* bytes in, bytes consumed */
	int		 closed;	/* no more will be put */
	int		 stop;		/* drop the rest */
	int		 err;		/* the consumer's first failure */
	char		 why[1024];
	handoff_fn	 fn;
	void		*arg;
};

/* The next contiguous bytes to consume, waiting for them; 0 at the end. */
static int
next_span(struct handoff *h, const uint8_t **p, size_t *n)
{
	size_t at, k;

	(void)pthread_mutex_lock(&h->mu);
	while (h->put == h->taken && !h->closed && !h->stop)
		(void)pthread_cond_wait(&h->data, &h->mu);
	k = h->stop ? 0 : (size_t)(h->put - h->taken);
	at = (size_t)(h->taken % h->cap);
	(void)pthread_mutex_unlock(&h->mu);
	if (k == 0)
		return 0;
	if (k > h->cap - at)
		k = h->cap - at;
	*p = h->ring + at;
	*n = k > HANDOFF_SLICE ? HANDOFF_SLICE : k;
	return 1;
}

static void
done_span(struct handoff *h, size_t n, int r)
{
	(void)pthread_mutex_lock(&h->mu);
	h->taken += n;
	if (r != 0)
		h->err = r;
	(void)pthread_cond_signal(&h->room);
	(void)pthread_mutex_unlock(&h->mu);
}

static void *
consumer(void *v)
{
	struct handoff *h = v;
	const uint8_t *p;
	size_t n;
	int r = 0;

	while (r == 0 && next_span(h, &p, &n)) {
		r = h->fn(h->arg, p, n, h->why, sizeof(h->why));
		done_span(h, n, r);
	}
	return NULL;
}

/* The consumer's failure as ours (call with the lock held). */
static int
failed(const struct handoff *h, char *why, size_t whylen)
{
	return sluice_why(why, whylen, h->err, "%s", h->why);
}

int
handoff_start(size_t cap, handoff_fn fn, void *arg, struct handoff **out)
{
	struct handoff *h;
	sigset_t all, old;
	int r;

	*out = NULL;
	if (cap < HANDOFF_SLICE || (h = calloc(1, sizeof(*h))) == NULL)
		return SLUICE_ENOMEM;
	h->cap = cap;
	h->fn = fn;
	h->arg = arg;
	(void)pthread_mutex_init(&h->mu, NULL);
	(void)pthread_cond_init(&h->room, NULL);
	(void)pthread_cond_init(&h->data, NULL);
	/* signals stay with the thread that put */
	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	if ((h->ring = malloc(cap)) != NULL &&
	    pthread_create(&h->thread, NULL, consumer, h) == 0)
		h->started = 1;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	r = h->started ? 0 : SLUICE_ENOMEM;
	if (r != 0)
		handoff_free(h);
	else
		*out = h;
	return r;
}

/* Copies what fits of p[0..n) in; *k bytes. */
static void
put_some(struct handoff *h, const uint8_t *p, size_t n, size_t *k)
{
	size_t room = h->cap - (size_t)(h->put - h->taken);
	size_t at = (size_t)(h->put % h->cap), first;

	*k = n < room ? n : room;
	first = *k < h->cap - at ? *k : h->cap - at;
	memcpy(h->ring + at, p, first);
	memcpy(h->ring, p + first, *k - first);
	h->put += *k;
}

int
handoff_put(struct handoff *h, const uint8_t *p, size_t n, char *why,
    size_t whylen)
{
	size_t k;
	int r = 0;

	(void)pthread_mutex_lock(&h->mu);
	while (n > 0 && h->err == 0) {
		while (h->put - h->taken == h->cap && h->err == 0)
			(void)pthread_cond_wait(&h->room, &h->mu);
		if (h->err != 0)
			break;
		put_some(h, p, n, &k);
		p += k;
		n -= k;
		(void)pthread_cond_signal(&h->data);
	}
	if (h->err != 0)
		r = failed(h, why, whylen);
	(void)pthread_mutex_unlock(&h->mu);
	return r;
}

/* Tells the consumer to end (dropping the rest if stop) and joins it. */
static void
end_thread(struct handoff *h, int stop)
{
	if (!h->started)
		return;
	(void)pthread_mutex_lock(&h->mu);
	h->closed = 1;
	h->stop = stop;
	(void)pthread_cond_signal(&h->data);
	(void)pthread_mutex_unlock(&h->mu);
	(void)pthread_join(h->thread, NULL);
	h->started = 0;
}

int
handoff_finish(struct handoff *h, char *why, size_t whylen)
{
	end_thread(h, 0);
	return h->err != 0 ? failed(h, why, whylen) : 0;
}

void
handoff_free(struct handoff *h)
{
	if (h == NULL)
		return;
	end_thread(h, 1);
	(void)pthread_mutex_destroy(&h->mu);
	(void)pthread_cond_destroy(&h->room);
	(void)pthread_cond_destroy(&h->data);
	free(h->ring);
	free(h);
}
