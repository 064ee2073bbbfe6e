/* commands.h - the kpigate subcommands. Each takes the arguments after its
 * own name (argv[0] is the subcommand name) and returns the process exit
 * code, the same convention for every command (README's table):
 * 0 it ran and found nothing, 1 findings (drift, a broken chain, an
 * invalid policy or configuration, a retrain decided), 2 trouble (a usage
 * error, unreadable input, nothing usable). */
#ifndef COMMANDS_H
#define COMMANDS_H

enum { KPG_EXIT_OK = 0,
       KPG_EXIT_FINDINGS = 1,
       KPG_EXIT_TROUBLE = 2,
       KPG_EXIT_USAGE = KPG_EXIT_TROUBLE };

int cmd_replay(int argc, char **argv);   /* cmd_replay.c */
int cmd_compare(int argc, char **argv);  /* cmd_compare.c */
int cmd_policy(int argc, char **argv);   /* cmd_policy.c: "policy check FILE...", "policy keys" */
int cmd_config(int argc, char **argv);   /* cmd_config.c: "config keys" */
int cmd_audit(int argc, char **argv);    /* cmd_audit.c: "audit verify|summary" */
int cmd_example(int argc, char **argv);  /* cmd_example.c */
int cmd_run(int argc, char **argv);      /* cmd_run.c: the daemon; --check today */
int cmd_action(int argc, char **argv);   /* cmd_action.c: "action test --policy FILE" */
int cmd_model(int argc, char **argv);    /* cmd_model.c: "model deployed --model NAME --file FILE" */
int cmd_baseline(int argc, char **argv); /* cmd_baseline.c: "baseline build|show" */

#endif
