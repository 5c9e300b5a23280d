/*
 * backup.h: `sluiced backup -d DIR --out FILE` and `sluiced restore --from
 * FILE --payloads OLDDIR -d NEWDIR` (docs/design.md section 6). A backup is
 * one file, made 0600 because it holds the master key: the store (copied
 * with SQLite's online backup API while the daemon runs), the keys and
 * configuration, and every payload's size and SHA-256. Payloads are copied
 * beside it; a restore copies them into the new directory and checks each.
 * A restore makes a new directory, all or nothing.
 */
#ifndef SLUICE_BACKUP_H
#define SLUICE_BACKUP_H

/* Each returns the process exit status (0, 1 failed, 2 usage). */
int backup_run(const char *dir, const char *out);
int restore_run(const char *from, const char *payloads, const char *dir);

#endif
