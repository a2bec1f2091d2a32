/*
 * replay.c — a fuzz harness without libFuzzer: runs its
 * LLVMFuzzerTestOneInput() once on each file named, or on each file of
 * each folder named (in name order), so that the normal and the ASan
 * builds replay the regression inputs and the seed corpus in ctest.
 *
 * usage: fuzz_replay_NAME FILE_OR_FOLDER...
 * Prints "NAME: N inputs replayed" and exits 0; a missing file or folder
 * exits 2; a failing input crashes the program as it crashed the fuzzer
 * (the harness's checks abort). Each input is in a buffer of exactly its
 * size, so that the ASan build sees a read past its end.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;

	if (!f || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "replay: %s: cannot open\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	size_t n = (size_t)st.st_size;
	uint8_t *data = malloc(n ? n : 1);
	if (!data || fread(data, 1, n, f) != n) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of a folder, in name order; returns how many, or -1. */
static int replay_folder(const char *dir)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	int done = 0;

	if (!d) {
		fprintf(stderr, "replay: %s: cannot open the folder\n", dir);
		return -1;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **grown = realloc(names, cap * sizeof(*names));
			if (!grown)
				abort();
			names = grown;
		}
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		if (!(names[n] = malloc(len)))
			abort();
		snprintf(names[n++], len, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t k = 0; k < n; k++) {
		struct stat st;
		if (stat(names[k], &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(names[k]) != 0)
				done = -1;
			else if (done >= 0)
				done++;
		}
		free(names[k]);
	}
	free(names);
	return done;
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE_OR_FOLDER...\n", name);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int n;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: no such file or folder\n", argv[i]);
			return 2;
		}
		n = S_ISDIR(st.st_mode)         ? replay_folder(argv[i])
		    : replay_file(argv[i]) == 0 ? 1
						: -1;
		if (n < 0)
			return 2;
		total += n;
	}
	printf("%s: %d inputs replayed\n", name, total);
	return 0;
}
