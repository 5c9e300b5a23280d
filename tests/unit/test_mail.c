/*
 * test_mail.c: the outbox's delivery pieces - the exact RFC 5322 bytes, the
 * backoff, a Maildir write that is idempotent under retry, and the sendmail
 * transport's verdicts (exit status, a child that never reads, no shell).
 */
#include <sys/stat.h>

#include <check.h>
#include <signal.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/mail.h"
#include "sluice/error.h"
#include "suite_run.h"

static char tmpdir[64];

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sluice-mail-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
rm_rf(const char *path)
{
	char sub[512];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

static void
teardown(void)
{
	rm_rf(tmpdir);
}

static void
msg_init(struct outbox_msg *m, char *to, char *subject, char *body)
{
	memset(m, 0, sizeof(*m));
	m->id = 17;
	snprintf(m->dedupe_key, sizeof(m->dedupe_key), "expiry-30:NIC-123456-A1B2C:1");
	m->to = to;
	m->subject = subject;
	m->body = body;
	m->created_at = 1798794000;	/* 2027-01-01T09:00:00Z, a Friday */
}

static void
cfg_init(struct sluice_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->mail_from, sizeof(cfg->mail_from), "sluice@example.org");
}

START_TEST(format_exact)
{
	struct sluice_config cfg;
	struct outbox_msg m;
	struct sbuf *b = sbuf_new();
	const char *want =
	    "Date: Fri, 01 Jan 2027 09:00:00 +0000\n"
	    "From: sluice@example.org\n"
	    "To: a@x.example,b@y.example\n"
	    "Subject: [sluice] hello\n"
	    "Message-ID: <sluice.17.";

	cfg_init(&cfg);
	msg_init(&m, "a@x.example,b@y.example", "[sluice] hello",
	    "line one\r\nline two é");
	ck_assert_int_eq(mail_format(&cfg, &m, b), 0);
	ck_assert_int_eq(sbuf_put_u8(b, 0), 0);
	const char *got = (const char *)sbuf_ptr(b);
	ck_assert_int_eq(strncmp(got, want, strlen(want)), 0);
	/* 16 hex of SHA-256("expiry-30:NIC-123456-A1B2C:1"), then the rest */
	ck_assert_ptr_nonnull(strstr(got, "@example.org>\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "Auto-Submitted: auto-generated\n\nline one\nline two é\n"));
	ck_assert_ptr_null(strchr(got, '\r'));
	sbuf_free(b);
}
END_TEST

START_TEST(format_refuses_header_injection)
{
	struct sluice_config cfg;
	struct outbox_msg m;
	struct sbuf *b = sbuf_new();

	cfg_init(&cfg);
	msg_init(&m, "a@x.example", "hi\nBcc: evil@x.example", "body\n");
	ck_assert_int_eq(mail_format(&cfg, &m, b), SLUICE_EINVAL);
	msg_init(&m, "a@x.example\r\nBcc: evil@x.example", "hi", "body\n");
	ck_assert_int_eq(mail_format(&cfg, &m, b), SLUICE_EINVAL);
	sbuf_free(b);
}
END_TEST

START_TEST(backoff_doubles_to_an_hour)
{
	ck_assert_int_eq(mail_backoff(0), 60);
	ck_assert_int_eq(mail_backoff(1), 120);
	ck_assert_int_eq(mail_backoff(2), 240);
	ck_assert_int_eq(mail_backoff(5), 1920);
	ck_assert_int_eq(mail_backoff(6), 3600);
	ck_assert_int_eq(mail_backoff(1000), 3600);
}
END_TEST

static int
count_dir(const char *path)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

START_TEST(maildir_retry_rewrites_the_same_file)
{
	struct outbox_msg m;
	char dir[128], path[256], buf[64], why[256];
	int fd;
	ssize_t n;

	msg_init(&m, "a@x.example", "s", "b");
	snprintf(dir, sizeof(dir), "%s/mail", tmpdir);
	ck_assert_int_eq(mail_maildir_put(dir, &m, (const uint8_t *)"one\n", 4,
	    why, sizeof(why)), 0);
	ck_assert_int_eq(mail_maildir_put(dir, &m, (const uint8_t *)"one\n", 4,
	    why, sizeof(why)), 0);
	snprintf(path, sizeof(path), "%s/new", dir);
	ck_assert_int_eq(count_dir(path), 1);
	snprintf(path, sizeof(path), "%s/tmp", dir);
	ck_assert_int_eq(count_dir(path), 0);
	snprintf(path, sizeof(path), "%s/cur", dir);
	ck_assert_int_eq(count_dir(path), 0);
	snprintf(path, sizeof(path), "%s/new/1798794000.M17P0.sluice", dir);
	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(memcmp(buf, "one\n", 4), 0);
}
END_TEST

static void
write_script(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0700), 0);
}

START_TEST(sendmail_verdicts)
{
	struct outbox_msg m;
	char prog[128], out[128], script[512], why[256], buf[256];
	FILE *f;
	size_t n;

	msg_init(&m, "a@x.example, b@y.example", "s", "b");
	snprintf(prog, sizeof(prog), "%s/sm", tmpdir);
	snprintf(out, sizeof(out), "%s/out", tmpdir);
	snprintf(script, sizeof(script), "#!/bin/sh\necho \"$*\" > '%s'\n"
	    "cat >> '%s'\nexit 0\n", out, out);
	write_script(prog, script);
	ck_assert_int_eq(mail_sendmail_put(prog, &m, (const uint8_t *)"hi\n", 3,
	    5, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(f = fopen(out, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "-i -- a@x.example b@y.example\nhi\n");

	write_script(prog, "#!/bin/sh\ncat >/dev/null\nexit 75\n");
	ck_assert_int_eq(mail_sendmail_put(prog, &m, (const uint8_t *)"hi\n", 3,
	    5, why, sizeof(why)), SLUICE_EIO);
	snprintf(buf, sizeof(buf), "%s exited with status 75", prog);
	ck_assert_str_eq(why, buf);

	/* A child that hangs is killed at the deadline. */
	write_script(prog, "#!/bin/sh\nexec sleep 30\n");
	ck_assert_int_eq(mail_sendmail_put(prog, &m, (const uint8_t *)"hi\n", 3,
	    1, why, sizeof(why)), SLUICE_EIO);
	snprintf(buf, sizeof(buf), "%s killed after 1 seconds", prog);
	ck_assert_str_eq(why, buf);

	snprintf(prog, sizeof(prog), "%s/absent", tmpdir);
	ck_assert_int_eq(mail_sendmail_put(prog, &m, (const uint8_t *)"hi\n", 3,
	    5, why, sizeof(why)), SLUICE_EIO);
	snprintf(buf, sizeof(buf), "%s exited with status 127", prog);
	ck_assert_str_eq(why, buf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mail");
	TCase *tc = tcase_create("mail");

	/* As the engine does (engine.c): a fake sendmail that exits before
	 * reading must give EPIPE, not kill the test with SIGPIPE. */
	(void)signal(SIGPIPE, SIG_IGN);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, format_exact);
	tcase_add_test(tc, format_refuses_header_injection);
	tcase_add_test(tc, backoff_doubles_to_an_hour);
	tcase_add_test(tc, maildir_retry_rewrites_the_same_file);
	tcase_add_test(tc, sendmail_verdicts);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
