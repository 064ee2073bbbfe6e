/* placeholder: being written */
#include <stdio.h>

#include "commands.h"

int cmd_example(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("kpigate example: not built yet\n", stderr);
	return KPG_EXIT_USAGE;
}
