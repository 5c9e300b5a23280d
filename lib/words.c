/* words.c: the POSIX-shell-style word splitter; contract in words.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/utf8.h"
#include "sluice/words.h"

size_t
words_utf8_len(const unsigned char *p, size_t n)
{
	uint32_t cp;

	return utf8_seq(p, n, &cp);
}

/* The byte-level checks that do not depend on quoting. */
static int
check_bytes(const uint8_t *p, size_t len, char *why, size_t whylen)
{
	size_t i = 0, n;

	while (i < len) {
		if (p[i] == '\0')
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "NUL byte at offset %zu", i);
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n') ||
		    p[i] == 0x7f)
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "control byte 0x%02x at offset %zu", p[i], i);
		if ((n = words_utf8_len(p + i, len - i)) == 0)
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "invalid UTF-8 at offset %zu", i);
		i += n;
	}
	return 0;
}

static int
is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

struct splitter {
	const uint8_t	*p;
	size_t		 len, i;
	char		*word;		/* scratch: at most len + 1 bytes */
	size_t		 wlen;
	int		 in_word;
	char		**argv;
	int		 argc;
};

static int
end_word(struct splitter *s, char *why, size_t whylen)
{
	char *w;

	if (!s->in_word)
		return 0;
	if (s->argc >= WORDS_MAX)
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "too many words (at most %d)", WORDS_MAX);
	if ((w = malloc(s->wlen + 1)) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	memcpy(w, s->word, s->wlen);
	w[s->wlen] = '\0';
	s->argv[s->argc++] = w;
	s->wlen = 0;
	s->in_word = 0;
	return 0;
}

/* Past the closing quote of the quoted part opened at offset open. */
static int
close_quote(struct splitter *s, size_t open, const char *which, char *why,
    size_t whylen)
{
	if (s->i >= s->len)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "unbalanced %s quote at offset %zu", which, open);
	s->i++;
	return 0;
}

static int
single_quoted(struct splitter *s, char *why, size_t whylen)
{
	size_t open = s->i++;

	while (s->i < s->len && s->p[s->i] != '\'')
		s->word[s->wlen++] = (char)s->p[s->i++];
	return close_quote(s, open, "single", why, whylen);
}

/* Inside double quotes a backslash escapes only \ " $ ` and a newline
 * (which it drops): 1 when one starts at s->i, now taken. */
static int
dq_escape(struct splitter *s)
{
	if (s->p[s->i] != '\\' || s->i + 1 >= s->len ||
	    strchr("\\\"$`\n", s->p[s->i + 1]) == NULL)
		return 0;
	if (s->p[s->i + 1] != '\n')
		s->word[s->wlen++] = (char)s->p[s->i + 1];
	s->i += 2;
	return 1;
}

static int
double_quoted(struct splitter *s, char *why, size_t whylen)
{
	size_t open = s->i++;

	while (s->i < s->len && s->p[s->i] != '"')
		if (!dq_escape(s))
			s->word[s->wlen++] = (char)s->p[s->i++];
	return close_quote(s, open, "double", why, whylen);
}

static int
backslashed(struct splitter *s, char *why, size_t whylen)
{
	if (s->i + 1 >= s->len)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "trailing backslash at offset %zu", s->i);
	if (s->p[s->i + 1] == '\n') {	/* line continuation: not a word */
		s->i += 2;
		return 0;
	}
	s->in_word = 1;
	s->word[s->wlen++] = (char)s->p[s->i + 1];
	s->i += 2;
	return 0;
}

static int
split(struct splitter *s, char *why, size_t whylen)
{
	int r;
	uint8_t c;

	while (s->i < s->len) {
		c = s->p[s->i];
		if (is_blank(c)) {
			if ((r = end_word(s, why, whylen)) != 0)
				return r;
			s->i++;
			continue;
		}
		if (c == '\\') {
			if ((r = backslashed(s, why, whylen)) != 0)
				return r;
			continue;
		}
		s->in_word = 1;
		if (c == '\'')
			r = single_quoted(s, why, whylen);
		else if (c == '"')
			r = double_quoted(s, why, whylen);
		else {
			s->word[s->wlen++] = (char)c;
			s->i++;
			r = 0;
		}
		if (r != 0)
			return r;
	}
	return end_word(s, why, whylen);
}

int
words_split(const char *line, size_t len, int *argc, char ***argv,
    char *why, size_t whylen)
{
	struct splitter s;
	int r;

	memset(&s, 0, sizeof(s));
	if (argc != NULL)
		*argc = 0;
	if (argv != NULL)
		*argv = NULL;
	if (line == NULL || argc == NULL || argv == NULL)
		return sluice_why(why, whylen, SLUICE_EINVAL, "no line");
	if (len > WORDS_MAX_LINE)
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "line too long (%zu bytes, at most %u)", len,
		    WORDS_MAX_LINE);
	s.p = (const uint8_t *)line;
	s.len = len;
	if ((r = check_bytes(s.p, len, why, whylen)) != 0)
		goto out;
	s.word = malloc(len + 1);
	s.argv = calloc(WORDS_MAX + 1, sizeof(*s.argv));
	if (s.word == NULL || s.argv == NULL) {
		r = sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
		goto out;
	}
	if ((r = split(&s, why, whylen)) != 0)
		goto out;
	*argc = s.argc;
	*argv = s.argv;
	s.argv = NULL;
 out:
	free(s.word);
	words_free(s.argv);
	return r;
}

void
words_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}
