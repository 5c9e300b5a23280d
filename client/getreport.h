/*
 * getreport.h: what `sluice get` says about each file: a line on stdout as
 * each is done, or, with --json, one document at the end:
 *
 *   {"agreement":"NIC-…","complete":true,"directory":"OUT","files":[
 *     {"bytes":N,"name":"cohort.csv","outcome":"decrypted","verified":true},
 *     {"name":"x.csv","outcome":"failed","reason":"…","verified":false}]}
 *
 * (one line, keys sorted). outcome is "decrypted", "downloaded",
 * "already here" or "failed"; bytes is the size of the file in OUT;
 * verified says its SHA-256 matched the signed SHA256SUMS. The report owns
 * copies of every string given to it.
 */
#ifndef SLUICE_CLIENT_GETREPORT_H
#define SLUICE_CLIENT_GETREPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum get_outcome {
	GOT_DECRYPTED,
	GOT_DOWNLOADED,
	GOT_ALREADY_HERE,
	GOT_FAILED,
};

struct got_file {
	char		*name;
	enum get_outcome outcome;
	uint64_t	 bytes;
	int		 verified;
	char		*reason;	/* GOT_FAILED only */
};

struct get_report {
	FILE		*out;		/* NULL: stdout */
	int		 json;		/* 0: a line per file as it is done */
	struct got_file	*f;
	size_t		 n, cap;
	size_t		 done, failed;
};

/* A file done: its line now (text), or kept for the document (JSON). */
int getreport_done(struct get_report *r, const char *name,
    enum get_outcome outcome, uint64_t bytes, int verified)
    __attribute__((warn_unused_result));
/* A file that failed, with the reason (already said on stderr). */
int getreport_failed(struct get_report *r, const char *name,
    const char *reason) __attribute__((warn_unused_result));
/* The closing words: "all N files of NIC are in OUT" when complete (text),
 * or the JSON document, complete or not. */
void getreport_end(const struct get_report *r, const char *nic,
    const char *dir);
/* Frees what was kept; out and json stay. */
void getreport_clear(struct get_report *r);

#endif
