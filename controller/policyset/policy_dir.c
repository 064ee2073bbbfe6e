/* policy_dir.c - the policy files of a folder (policy_dir.h). */
#include "policy_dir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int policy_dir_list(const char *dir, char ***files, size_t *n,
		    kpg_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **list = NULL;
	size_t count = 0;
	int rc = 0;

	*files = NULL;
	*n = 0;
	if (d == NULL) {
		kpg_err_set(err, "%s", strerror(errno));
		return KPG_EIO;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name), need;
		struct stat st;
		char *p, **nl;

		if (de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (count >= POLICY_DIR_MAX_FILES) {
			kpg_err_set(err, "more than %d policy files", POLICY_DIR_MAX_FILES);
			rc = KPG_ETOOBIG;
			goto out;
		}
		need = strlen(dir) + len + 2;
		if ((p = malloc(need)) == NULL)
			goto nomem;
		snprintf(p, need, "%s/%s", dir, de->d_name);
		/* stat follows symlinks: Kubernetes ConfigMaps are links */
		if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		nl = realloc(list, (count + 1) * sizeof(*list));
		if (nl == NULL) {
			free(p);
			goto nomem;
		}
		list = nl;
		list[count++] = p;
	}
	if (count > 1)
		qsort(list, count, sizeof(*list), name_cmp);
	*files = list;
	*n = count;
	list = NULL;
	count = 0;
out:
	policy_dir_files_free(list, count);
	closedir(d);
	return rc;
nomem:
	kpg_err_set(err, "out of memory");
	rc = KPG_ENOMEM;
	goto out;
}

void policy_dir_files_free(char **files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
}
