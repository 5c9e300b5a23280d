/* call.c: what every handler uses to answer its call - the reason for a
 * refusal, text lines, the --json answer, lists, dates as text. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/error.h"

#include "engine/admin/admin_int.h"

#define DEFAULT_CERT_DUE_DAYS	30	/* when the engine passes no policy */

static int __attribute__((format(printf, 3, 0)))
vfail(struct admin_call *c, int err, const char *fmt, va_list ap)
{
	(void)vsnprintf(c->why, sizeof(c->why), fmt, ap);
	return err;
}

int
admin_fail(struct admin_call *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vfail(c, err, fmt, ap);
	va_end(ap);
	return err;
}

int
admin_store_fail(struct admin_call *c, int r, const char *store_why,
    const char *fmt, ...)
{
	va_list ap;

	if (store_why != NULL && store_why[0] != '\0')
		return admin_fail(c, r, "%s", store_why);
	va_start(ap, fmt);
	(void)vfail(c, r, fmt, ap);
	va_end(ap);
	return r;
}

/* Long free text: formats again into a buffer of the right size. */
static int __attribute__((format(printf, 3, 0)))
print_long(struct admin_call *c, size_t n, const char *fmt, va_list ap)
{
	char *big;
	int r;

	if ((big = malloc(n + 1)) == NULL)
		return SLUICE_ENOMEM;
	(void)vsnprintf(big, n + 1, fmt, ap);
	r = sbuf_put(c->text, big, n);
	free(big);
	return r;
}

static int __attribute__((format(printf, 2, 0)))
vprint(struct admin_call *c, const char *fmt, va_list ap)
{
	va_list again;
	char small[1024];
	int n, r;

	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0)
		r = SLUICE_EINVAL;
	else if ((size_t)n < sizeof(small))
		r = sbuf_put(c->text, small, (size_t)n);
	else
		r = print_long(c, (size_t)n, fmt, again);
	va_end(again);
	return r;
}

int
admin_print(struct admin_call *c, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vprint(c, fmt, ap);
	va_end(ap);
	return r != 0 ? r : admin_spill(c);
}

int
admin_spill(struct admin_call *c)
{
	struct admin_ctx *ctx = c->ctx;
	size_t at = ctx->spill_at != 0 ? ctx->spill_at : ADMIN_SPILL_AT;

	if (ctx->spill == NULL || sbuf_len(c->text) < at)
		return 0;
	return ctx->spill(ctx->spill_arg, &c->text);
}

/* json_dump_callback()'s sink: the text answer, spilled as it grows. */
struct dump_sink {
	struct admin_call	*c;
	int			 r;
};

static int
dump_piece(const char *buf, size_t n, void *arg)
{
	struct dump_sink *d = arg;

	if ((d->r = sbuf_put(d->c->text, buf, n)) == 0)
		d->r = admin_spill(d->c);
	return d->r == 0 ? 0 : -1;
}

int
admin_dump(struct admin_call *c, const json_t *v, size_t flags)
{
	struct dump_sink d = { c, 0 };

	if (json_dump_callback(v, dump_piece, &d, flags) != 0)
		return d.r != 0 ? d.r : SLUICE_ENOMEM;
	return admin_print(c, "\n");
}

void
admin_subject(struct admin_call *c, const char *s)
{
	(void)snprintf(c->subject, sizeof(c->subject), "%s", s);
}

void
admin_change(struct admin_call *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(c->change, sizeof(c->change), fmt, ap);
	va_end(ap);
}

const char *
admin_staff_name(struct admin_call *c, int64_t id)
{
	size_t i;

	if (!c->staff_names_read) {
		c->staff_names_read = 1;
		if (staff_list(c->ctx->store, &c->staff_names) != 0)
			staff_list_free(&c->staff_names);
	}
	for (i = 0; id != 0 && i < c->staff_names.n; i++)
		if (c->staff_names.v[i].id == id)
			return c->staff_names.v[i].user;
	return "";
}

int
admin_result(struct admin_call *c, json_t *obj)
{
	if (obj == NULL)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	json_decref(c->result);
	c->result = obj;
	return 0;
}

int
admin_answer(struct admin_call *c, json_t *obj, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (obj == NULL || c->json)
		return admin_result(c, obj);
	json_decref(obj);
	va_start(ap, fmt);
	r = vprint(c, fmt, ap);
	va_end(ap);
	return r != 0 ? r : admin_print(c, "\n");
}

int
admin_append(struct admin_call *c, json_t *arr, json_t *o)
{
	if (o == NULL || json_array_append_new(arr, o) != 0)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	return 0;
}

int
admin_list(struct admin_call *c, const char *key, const char *header,
    const void *v, size_t n, size_t size, admin_row_fn row)
{
	json_t *arr = NULL;
	size_t i;
	int r = 0;

	if (c->json && (arr = json_array()) == NULL)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	if (!c->json && header != NULL)
		r = admin_print(c, "%s\n", header);
	for (i = 0; i < n && r == 0; i++)
		r = row(c, arr, (const char *)v + i * size);
	if (r == 0 && c->json)
		r = admin_result(c, json_pack("{s:O}", key, arr));
	json_decref(arr);
	return r;
}

void
admin_date(int32_t day, char out[11])
{
	if (day == 0 || sluice_date_format(day, out, 11) != 0)
		out[0] = '\0';
}

void
admin_time(int64_t t, char out[21])
{
	if (t == 0 || sluice_time_format(t, out, 21) != 0)
		out[0] = '\0';
}

int32_t
admin_today(const struct admin_call *c)
{
	return sluice_day_of(c->ctx->now);
}

int32_t
admin_cert_due_days(const struct admin_call *c)
{
	return c->ctx->policy != NULL ? c->ctx->policy->cert_due_days :
	    DEFAULT_CERT_DUE_DAYS;
}
