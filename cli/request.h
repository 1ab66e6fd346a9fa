/* The shopper that liftctl assign and explain evaluate: --unit, --attr, --experiment,
 * --config, --at and --no-consent, parsed one way for both (cli/request.c). */
#ifndef LIFT_CLI_REQUEST_H
#define LIFT_CLI_REQUEST_H

#include "cli.h"
#include "lift/assign.h"

#define CLI_SHOPPER_MAX_ATTRS 64
#define CLI_SHOPPER_OPTIONS                                                                        \
    {"unit", required_argument, NULL, 'u'}, {"attr", required_argument, NULL, 'a'},                \
        {"experiment", required_argument, NULL, 'e'}, {"config", required_argument, NULL, 'c'},    \
        {"at", required_argument, NULL, 't'},                                                      \
    {                                                                                              \
        "no-consent", no_argument, NULL, 'n'                                                       \
    }

typedef struct cli_shopper {
    const char *unit, *experiment, *config;
    lift_attr attrs[CLI_SHOPPER_MAX_ATTRS];
    lift_request req; /* now, consent, attrs; unit set from --unit; only from --experiment */
} cli_shopper;

void cli_shopper_init(cli_shopper *s);

/* Takes option c (of CLI_SHOPPER_OPTIONS) with its argument: CLI_OK, CLI_USAGE after saying
 * why a value is bad, or -1 when c is not one of them. */
int cli_shopper_option(cli_shopper *s, int c, const char *arg, const char *cmd);

/* The config from --config's JSON file, or from the database, with req.only set from
 * --experiment; NULL after saying why, with *rc the exit status. */
lift_config *cli_shopper_config(cli_shopper *s, const char *cmd, int *rc);

#endif
