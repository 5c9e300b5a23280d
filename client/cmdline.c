#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "cmdline.h"

/* Characters that mean nothing to a POSIX shell's word splitter. */
static int
word_is_bare(const char *w)
{
	const char *p;

	if (*w == '\0')
		return 0;
	for (p = w; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9'))
			continue;
		if (strchr("_-./:=@%+,", *p) == NULL)
			return 0;
	}
	return 1;
}

static int
word_put_quoted(struct sbuf *out, const char *w)
{
	const char *p;
	int r;

	if ((r = sbuf_put_u8(out, '\'')) != 0)
		return r;
	for (p = w; *p != '\0'; p++) {
		if (*p == '\'')
			r = sbuf_put(out, "'\\''", 4);
		else
			r = sbuf_put_u8(out, (uint8_t)*p);
		if (r != 0)
			return r;
	}
	return sbuf_put_u8(out, '\'');
}

int
cmdline_quote(char *const *argv, size_t argc, struct sbuf *out)
{
	size_t i;
	int r;

	for (i = 0; i < argc; i++) {
		if (argv[i] == NULL)
			return SLUICE_EINVAL;
		if (i > 0 && (r = sbuf_put_u8(out, ' ')) != 0)
			return r;
		if (word_is_bare(argv[i]))
			r = sbuf_put(out, argv[i], strlen(argv[i]));
		else
			r = word_put_quoted(out, argv[i]);
		if (r != 0)
			return r;
	}
	return 0;
}

int
cmdline_join(char *const *argv, size_t argc, char **line)
{
	struct sbuf *b;
	char *s = NULL;
	int r;

	*line = NULL;
	if ((b = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = cmdline_quote(argv, argc, b)) != 0)
		goto out;
	if ((s = malloc(sbuf_len(b) + 1)) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	if (sbuf_len(b) > 0)
		memcpy(s, sbuf_ptr(b), sbuf_len(b));
	s[sbuf_len(b)] = '\0';
	*line = s;
	s = NULL;
out:
	free(s);
	sbuf_free(b);
	return r;
}
