/* commands.h - the kpigate subcommands. Each takes the arguments after its
 * own name (argv[0] is the subcommand name) and returns the process exit
 * code: 0 ok, 1 findings or invalid input, 2 usage error. */
#ifndef COMMANDS_H
#define COMMANDS_H

enum { KPG_EXIT_OK = 0,
       KPG_EXIT_FINDINGS = 1,
       KPG_EXIT_USAGE = 2 };

int cmd_replay(int argc, char **argv);  /* cmd_replay.c */
int cmd_compare(int argc, char **argv); /* cmd_compare.c */
int cmd_policy(int argc, char **argv);  /* cmd_policy.c: "policy check FILE...", "policy keys" */
int cmd_config(int argc, char **argv);  /* cmd_config.c: "config keys" */
int cmd_audit(int argc, char **argv);   /* cmd_audit.c: "audit verify|summary" */
int cmd_example(int argc, char **argv); /* cmd_example.c */
int cmd_run(int argc, char **argv);     /* cmd_run.c: the daemon; --check today */
int cmd_action(int argc, char **argv);  /* cmd_action.c: "action test --policy FILE" */

#endif
